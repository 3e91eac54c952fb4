// The broker reconnect delays (src/mqtt/backoff.ts): exponential from 1 s with full jitter,
// capped at 60 s, back to the start after a reset. The outage scenario
// (test/integration/delivery-outage.test.ts) is shorter than the time the cap takes to
// reach, so the cap is checked here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBackoff } from '../../../src/mqtt/backoff.ts';

void test('the ceiling doubles from 1 s and stops at 60 s; each delay is half of it plus up to half again', () => {
  const top = createBackoff(1000, 60_000, () => 1);
  assert.deepEqual(
    Array.from({ length: 9 }, () => top.next()),
    [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000],
  );
  const bottom = createBackoff(1000, 60_000, () => 0);
  assert.deepEqual(
    Array.from({ length: 8 }, () => bottom.next()),
    [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
  );
});

void test('reset: the next delay is the first one again', () => {
  const backoff = createBackoff(1000, 60_000, () => 0.5);
  for (let i = 0; i < 40; i += 1) assert.ok(backoff.next() <= 60_000);
  backoff.reset();
  assert.equal(backoff.next(), 750);
});
