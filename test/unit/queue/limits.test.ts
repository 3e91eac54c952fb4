// limits.ts roomFor: the when_full rule every outbox applies (docs/contract.md §2/§6).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roomFor } from '../../../src/queue/limits.ts';

const limits = { maxMessages: 3, maxBytes: 100 };
const oldest = [
  { key: 'a', size: 10 },
  { key: 'b', size: 20 },
  { key: 'c', size: 30 },
];

void test('roomFor: what fits drops nothing, under either policy', () => {
  for (const whenFull of ['drop_oldest', 'reject_new'] as const)
    assert.deepEqual(
      roomFor({ ...limits, whenFull }, { count: 2, bytes: 50 }, { count: 1, bytes: 50 }, oldest),
      [],
    );
});

void test('roomFor: more than the limits on its own is refused, whatever could be dropped', () => {
  const drop = { ...limits, whenFull: 'drop_oldest' } as const;
  assert.equal(roomFor(drop, { count: 0, bytes: 0 }, { count: 4, bytes: 4 }, oldest), undefined);
  assert.equal(roomFor(drop, { count: 0, bytes: 0 }, { count: 1, bytes: 101 }, oldest), undefined);
});

void test('roomFor: reject_new refuses when full', () => {
  const reject = { ...limits, whenFull: 'reject_new' } as const;
  assert.equal(roomFor(reject, { count: 3, bytes: 60 }, { count: 1, bytes: 1 }, oldest), undefined);
});

void test('roomFor: drop_oldest drops the oldest droppable ones, by count and by bytes, only as far as needed', () => {
  const drop = { ...limits, whenFull: 'drop_oldest' } as const;
  assert.deepEqual(
    roomFor(drop, { count: 3, bytes: 60 }, { count: 1, bytes: 1 }, oldest)?.map((v) => v.key),
    ['a'],
  );
  assert.deepEqual(
    roomFor(drop, { count: 3, bytes: 60 }, { count: 1, bytes: 70 }, oldest)?.map((v) => v.key),
    ['a', 'b'],
  );
  let read = 0;
  const counted = (function* () {
    for (const o of oldest) {
      read += 1;
      yield o;
    }
  })();
  roomFor(drop, { count: 3, bytes: 60 }, { count: 1, bytes: 1 }, counted);
  assert.equal(read, 2, 'stops reading the candidates once there is room');
});

void test('roomFor: only messages in flight left (none droppable) refuses', () => {
  const drop = { ...limits, whenFull: 'drop_oldest' } as const;
  assert.equal(roomFor(drop, { count: 3, bytes: 60 }, { count: 1, bytes: 1 }, []), undefined);
  assert.equal(
    roomFor(drop, { count: 3, bytes: 90 }, { count: 1, bytes: 50 }, [{ key: 'a', size: 10 }]),
    undefined,
  );
});
