// learn/envelope.ts and learn/interval.ts: the envelope told by the daemon's own parser, and
// the interval as the median gap per key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guessEnvelope, peelEnvelope } from '../../../src/learn/envelope.ts';
import { durationText, guessInterval } from '../../../src/learn/interval.ts';
import { formatEnvelope } from '../../../src/line/envelope.ts';

describe('learn: envelope', () => {
  it('peels a valid *HH and a #seq, keeps a wrong checksum in the body and says so', () => {
    assert.deepEqual(peelEnvelope(formatEnvelope('a=1', { seq: 7, checksum: true })), {
      body: 'a=1',
      checksum: true,
      badChecksum: false,
      seq: 7,
    });
    assert.deepEqual(peelEnvelope('a=1*00'), {
      body: 'a=1*00',
      checksum: false,
      badChecksum: true,
      seq: null,
    });
    assert.deepEqual(peelEnvelope('a=1'), { body: 'a=1', checksum: false, badChecksum: false, seq: null });
  });

  it('required when every reading has a checksum, optional when some do, ack by majority', () => {
    const all = ['a=1', 'a=2'].map((b) => peelEnvelope(formatEnvelope(b, { checksum: true })));
    assert.deepEqual([guessEnvelope(all).checksum, guessEnvelope(all).ack], ['required', false]);
    const some = [...all, peelEnvelope('a=3')];
    assert.equal(guessEnvelope(some).checksum, 'optional');
    const seqs = [1, 2, 3].map((s) => peelEnvelope(formatEnvelope('{"a":1}', { seq: s })));
    assert.deepEqual([guessEnvelope(seqs).checksum, guessEnvelope(seqs).ack], ['none', true]);
    assert.equal(guessEnvelope([]).checksum, 'none');
  });
});

describe('learn: interval', () => {
  it('the median gap of each key, rounded as a person writes it', () => {
    const times = [0, 10_020, 19_990, 30_000, 40_010];
    assert.equal(guessInterval(new Map([['t', times]]), 45_000).interval, '10s');
    assert.equal(guessInterval(new Map([['t', [0, 200, 401, 600]]]), 1000).interval, '200ms');
    assert.equal(durationText(300_000), '5m');
    assert.equal(durationText(90_000), '90s');
  });

  it('not measured from fewer than three readings of one key', () => {
    const guess = guessInterval(new Map([['t', [0, 60_000]]]), 61_000);
    assert.equal(guess.interval, null);
    assert.match(guess.note, /listen longer/);
  });
});
