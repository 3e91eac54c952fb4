// Generic MySensors commands (src/mysensors/command-topic.ts): the topic levels name a node,
// child and V_ type; the payload is checked by the V_ type's rule and becomes one C_SET line
// with the ack requested.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandLine, parseTarget } from '../../../src/mysensors/command-topic.ts';

void describe('MySensors command topics', () => {
  void it('parses <node>/<child>/<V_TYPE> and refuses what is not one', () => {
    assert.deepEqual(parseTarget(['7', '3', 'V_STATUS']), {
      ok: true,
      target: { node: 7, child: 3, type: 2, vName: 'V_STATUS' },
    });
    for (const levels of [
      ['0', '3', 'V_STATUS'],
      ['255', '3', 'V_STATUS'],
      ['07', '3', 'V_STATUS'],
      ['7', '255', 'V_STATUS'],
      ['7', '3', 'V_NOPE'],
      ['7', '3', '2'],
      ['7', '3'],
    ])
      assert.equal(parseTarget(levels).ok, false, levels.join('/'));
  });

  void it('renders node;child;1;1;type;value, checked by the V_ type', () => {
    const status = { node: 7, child: 3, type: 2, vName: 'V_STATUS' };
    assert.deepEqual(commandLine(status, Buffer.from('ON')), { ok: true, line: '7;3;1;1;2;1\n', value: '1' });
    assert.equal(commandLine(status, Buffer.from('2')).ok, false);
    const dimmer = { node: 7, child: 4, type: 3, vName: 'V_PERCENTAGE' };
    assert.deepEqual(commandLine(dimmer, Buffer.from('40')), {
      ok: true,
      line: '7;4;1;1;3;40\n',
      value: '40',
    });
    assert.equal(commandLine(dimmer, Buffer.from('101')).ok, false);
    const text = { node: 7, child: 5, type: 47, vName: 'V_TEXT' };
    assert.equal(commandLine(text, Buffer.from('a'.repeat(25))).ok, true);
    assert.equal(commandLine(text, Buffer.from('a'.repeat(26))).ok, false, 'over the 25-byte payload');
    assert.equal(commandLine(text, Buffer.from('hi\n7;1;1;0;2;1')).ok, false, 'a second line smuggled in');
    assert.equal(commandLine(text, Buffer.from([0xff])).ok, false);
  });
});
