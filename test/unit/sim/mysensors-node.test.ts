// The simulator's MySensors node without an id (src/sim/mysensors-node.ts): what it sends
// before and after the controller's answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulatedMySensorsNode } from '../../../src/sim/mysensors-node.ts';

void describe('SimulatedMySensorsNode', () => {
  void it('asks for an id until it gets one, then presents, asks the time and reports', () => {
    const sent: string[] = [];
    const node = new SimulatedMySensorsNode(
      (l) => sent.push(l),
      () => 0.5,
    );
    node.tick();
    node.tick();
    assert.deepEqual(sent, ['255;255;3;0;3;', '255;255;3;0;3;']);
    sent.length = 0;
    assert.equal(node.onLine('255;255;3;0;4;7'), true);
    assert.equal(node.id, 7);
    assert.deepEqual(sent, [
      '7;255;0;0;17;2.3.2',
      '7;255;3;0;11;tty2mqtt sim node',
      '7;255;3;0;12;1.0',
      '7;5;0;0;6;Attic',
      '7;6;0;0;3;Fan',
      '7;255;3;0;1;',
      '7;5;1;0;0;20.0',
    ]);
    assert.equal(node.onLine('7;255;3;0;1;1796300000'), true);
    assert.equal(node.time, 1796300000);
  });

  void it('obeys V_STATUS on child 6: echo when asked, then its new state; ignores other nodes', () => {
    const sent: string[] = [];
    const node = new SimulatedMySensorsNode(
      (l) => sent.push(l),
      () => 0.5,
    );
    node.onLine('255;255;3;0;4;3');
    sent.length = 0;
    assert.equal(node.onLine('3;6;1;1;2;1'), true);
    assert.deepEqual(sent, ['3;6;1;1;2;1', '3;6;1;0;2;1']);
    assert.equal(node.state, '1');
    assert.equal(node.onLine('12;3;1;1;2;1'), false, "another node's command");
    assert.equal(node.onLine('ACK 1'), false);
  });
});
