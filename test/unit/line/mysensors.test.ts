import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMySensors, V_TYPES, vTypeName } from '../../../src/line/mysensors.ts';
import type { DecodeResult } from '../../../src/pipeline/types.ts';

function parseError(r: DecodeResult): string {
  assert.ok(r.ok === false, JSON.stringify(r));
  assert.equal(r.reason, 'parse_error');
  return r.detail;
}

test('C_SET becomes <child>/<V_NAME> with the node as a level', () => {
  assert.deepEqual(decodeMySensors('12;6;1;0;0;36.5'), {
    ok: true,
    values: new Map([['6/V_TEMP', '36.5']]),
    levels: { node: '12' },
  });
  assert.deepEqual(decodeMySensors('1;0;1;1;1;40'), {
    ok: true,
    values: new Map([['0/V_HUM', '40']]),
    levels: { node: '1' },
  });
});

test('the payload is everything after the fifth ";"', () => {
  const r = decodeMySensors('3;1;1;0;49;55.72;13.01;18');
  assert.ok(r.ok === true);
  assert.deepEqual([...r.values], [['1/V_POSITION', '55.72;13.01;18']]);
  const empty = decodeMySensors('3;1;1;0;2;');
  assert.ok(empty.ok === true);
  assert.deepEqual([...empty.values], [['1/V_STATUS', '']]);
});

test('unknown V_ numbers stay numbers; the table follows the MySensors serial API', () => {
  const r = decodeMySensors('1;77;1;0;200;x');
  assert.ok(r.ok === true);
  assert.deepEqual([...r.values], [['77/200', 'x']]);
  assert.equal(vTypeName(0), 'V_TEMP');
  assert.equal(vTypeName(2), 'V_STATUS');
  assert.equal(vTypeName(38), 'V_VOLTAGE');
  assert.equal(vTypeName(47), 'V_TEXT');
  assert.equal(vTypeName(56), 'V_POWER_FACTOR');
  assert.equal(vTypeName(58), 'V_TILT');
  assert.equal(V_TYPES.length, 59);
  assert.equal(vTypeName(59), '59');
});

test('presentation, req, internal and stream are ignored', () => {
  for (const [line, word] of [
    ['0;255;3;0;14;Gateway startup complete.', 'internal'],
    ['12;6;0;0;6;DS18B20', 'presentation'],
    ['12;6;2;0;2;', 'req'],
    ['12;255;4;0;0;0100', 'stream'],
  ] as const) {
    const r = decodeMySensors(line);
    assert.equal(r.ok, 'ignored', line);
    assert.ok(r.ok === 'ignored');
    assert.match(r.detail, new RegExp(word));
  }
});

test('bad headers are parse_errors', () => {
  assert.match(parseError(decodeMySensors('12;6;1;0;0')), /node;child;command;ack;type;payload/);
  assert.match(parseError(decodeMySensors('256;6;1;0;0;1')), /node 256 is above 255/);
  assert.match(parseError(decodeMySensors('1;256;1;0;0;1')), /child 256 is above 255/);
  assert.match(parseError(decodeMySensors('1;1;5;0;0;1')), /command 5 is above 4/);
  assert.match(parseError(decodeMySensors('1;1;1;2;0;1')), /ack 2 is above 1/);
  assert.match(parseError(decodeMySensors('1;1;1;0;256;1')), /type 256 is above 255/);
  assert.match(parseError(decodeMySensors('-1;1;1;0;0;1')), /node "-1" is not a number/);
  assert.match(parseError(decodeMySensors(' 1;1;1;0;0;1')), /node/);
  assert.match(parseError(decodeMySensors('1;;1;0;0;1')), /child "" is not a number/);
  assert.match(parseError(decodeMySensors('1;0001;1;0;0;1')), /child/);
});

test('the payload is at most 25 bytes (counted in UTF-8)', () => {
  assert.equal(decodeMySensors(`1;1;1;0;47;${'x'.repeat(25)}`).ok, true);
  assert.match(parseError(decodeMySensors(`1;1;1;0;47;${'x'.repeat(26)}`)), /26 bytes/);
  assert.match(parseError(decodeMySensors(`1;1;1;0;47;${'é'.repeat(13)}`)), /26 bytes/);
});
