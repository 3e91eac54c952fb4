import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatAck,
  formatEnvelope,
  formatNak,
  nakReasonFor,
  parseEnvelope,
  xorChecksum,
} from '../../../src/line/envelope.ts';

const plain = { checksum: 'none', ack: false } as const;
const optional = { checksum: 'optional', ack: false } as const;
const required = { checksum: 'required', ack: false } as const;

test('xorChecksum: XOR of the UTF-8 bytes, two uppercase hex digits', () => {
  assert.equal(xorChecksum(''), '00');
  assert.equal(xorChecksum('A'), '41');
  assert.equal(xorChecksum('AB'), '03');
  // An NMEA sentence from the wild: $GPGLL,5057.970,N,00146.110,E,142451,A*27
  assert.equal(xorChecksum('GPGLL,5057.970,N,00146.110,E,142451,A'), '27');
  // Non-ASCII goes by its UTF-8 bytes, also astral characters and lone surrogates (as U+FFFD).
  for (const text of ['t=€5', 'é', '😀=1', 'a\uD800b'])
    assert.equal(xorChecksum(text), hexXor(Buffer.from(text, 'utf8')), text);
});

test('xorChecksum: the simulator lines carry the same checksum (one rule, docs/contract.md §4.1)', () => {
  assert.equal(xorChecksum('temp=23.5,hum=40.2'), '52');
  assert.equal(xorChecksum(''), '00');
  assert.equal(xorChecksum('\n'), '0A');
  assert.equal(xorChecksum('°'), hexXor(Buffer.from('°'))); // two bytes, C2 B0
  fc.assert(fc.property(fc.string(), (s) => xorChecksum(s) === hexXor(Buffer.from(s))));
});

function hexXor(bytes: Buffer): string {
  let x = 0;
  for (const b of bytes) x ^= b;
  return x.toString(16).toUpperCase().padStart(2, '0');
}

test('checksum: none never strips *HH', () => {
  const line = `temp=1*${xorChecksum('temp=1')}`;
  assert.deepEqual(parseEnvelope(line, plain), { ok: true, body: line, seq: null });
});

test('checksum: optional verifies when present, either case, and passes lines without', () => {
  const sum = xorChecksum('temp=23.5,hum=40');
  assert.deepEqual(parseEnvelope(`temp=23.5,hum=40*${sum}`, optional), {
    ok: true,
    body: 'temp=23.5,hum=40',
    seq: null,
  });
  assert.deepEqual(parseEnvelope(`temp=23.5,hum=40*${sum.toLowerCase()}`, optional), {
    ok: true,
    body: 'temp=23.5,hum=40',
    seq: null,
  });
  assert.deepEqual(parseEnvelope('temp=23.5', optional), { ok: true, body: 'temp=23.5', seq: null });
  // Not hex, or too short: not a checksum, part of the body.
  assert.deepEqual(parseEnvelope('temp=1*ZZ', optional), { ok: true, body: 'temp=1*ZZ', seq: null });
  assert.deepEqual(parseEnvelope('*A', optional), { ok: true, body: '*A', seq: null });
});

test('checksum mismatch is reported with both values', () => {
  const r = parseEnvelope('temp=2*00', optional); // temp=2 gives *03
  assert.equal(r.ok, false);
  assert.ok(!r.ok);
  assert.equal(r.reason, 'checksum_mismatch');
  assert.match(r.detail, /\*00.*\*/);
});

test('checksum: required rejects a line without *HH; accepts a checksum of an empty body', () => {
  const r = parseEnvelope('temp=1', required);
  assert.ok(!r.ok);
  assert.equal(r.reason, 'checksum_missing');
  assert.deepEqual(parseEnvelope('*00', required), { ok: true, body: '', seq: null });
});

test('ack: #<seq> prefix, 0–65535, one space', () => {
  const ack = { checksum: 'none', ack: true } as const;
  assert.deepEqual(parseEnvelope('#0 temp=1', ack), { ok: true, body: 'temp=1', seq: 0 });
  assert.deepEqual(parseEnvelope('#65535 temp=1', ack), { ok: true, body: 'temp=1', seq: 65535 });
  assert.deepEqual(parseEnvelope('#12  temp=1', ack), { ok: true, body: ' temp=1', seq: 12 });
  assert.deepEqual(parseEnvelope('#007 a=1', ack), { ok: true, body: 'a=1', seq: 7 });
  for (const bad of [
    'temp=1',
    '#65536 a=1',
    '#-1 a=1',
    '#+1 a=1',
    '# a=1',
    '#12a=1',
    '#12',
    '#123456 a=1',
    '',
    '#1\ta=1',
  ]) {
    const r = parseEnvelope(bad, ack);
    assert.ok(!r.ok, bad);
    assert.equal(r.reason, 'bad_envelope', bad);
    assert.equal(r.seq, null, bad);
  }
});

test('ack and checksum together: the checksum covers the #seq prefix', () => {
  const opts = { checksum: 'required', ack: true } as const;
  const sum = xorChecksum('#42 temp=1');
  assert.notEqual(sum, xorChecksum('temp=1'), 'test data: the prefix must change the XOR');
  assert.deepEqual(parseEnvelope(`#42 temp=1*${sum}`, opts), { ok: true, body: 'temp=1', seq: 42 });
  assert.equal(formatEnvelope('temp=1', { seq: 42, checksum: true }), `#42 temp=1*${sum}`);
  // A checksum over the body alone is wrong: the seq must be protected too.
  const r = parseEnvelope(`#42 temp=1*${xorChecksum('temp=1')}`, opts);
  assert.ok(!r.ok);
  assert.equal(r.reason, 'checksum_mismatch');
  // The seq is still returned so the gateway can NAK it.
  assert.equal(r.seq, 42);
  // A corrupted seq digit is caught by the checksum.
  const corrupted = parseEnvelope(`#43 temp=1*${sum}`, opts);
  assert.ok(!corrupted.ok);
  assert.equal(corrupted.reason, 'checksum_mismatch');
  // Missing checksum with a readable seq: NAK-able too.
  const missing = parseEnvelope('#5 temp=1', opts);
  assert.ok(!missing.ok);
  assert.equal(missing.reason, 'checksum_missing');
  assert.equal(missing.seq, 5);
  // A bad prefix under a good checksum: bad_envelope, no seq to NAK.
  const bad = parseEnvelope(`x temp=1*${xorChecksum('x temp=1')}`, opts);
  assert.ok(!bad.ok);
  assert.equal(bad.reason, 'bad_envelope');
  assert.equal(bad.seq, null);
});

test('formatAck / formatNak / nakReasonFor', () => {
  assert.equal(formatAck(7), 'ACK 7\n');
  assert.equal(formatNak(7, 'checksum'), 'NAK 7 checksum\n');
  assert.equal(nakReasonFor('checksum_mismatch'), 'checksum');
  assert.equal(nakReasonFor('checksum_missing'), 'checksum');
  assert.equal(nakReasonFor('parse_error'), 'parse');
  assert.equal(nakReasonFor('no_valid_fields'), 'invalid');
  assert.equal(nakReasonFor('unknown_key'), 'invalid');
  assert.equal(nakReasonFor('topic_rejected'), 'topic');
  assert.equal(nakReasonFor('queue_full'), 'full');
  assert.equal(nakReasonFor('bad_envelope'), 'envelope');
});
