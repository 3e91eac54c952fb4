import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { REFILL_FREE_SHARE, REFILL_HOLD_MIN_WINDOW, RefillHold } from '../../../src/mqtt/refill-hold.ts';

describe('RefillHold', () => {
  it('refills at once when nothing awaits an acknowledgement, however little is free', () => {
    const hold = new RefillHold(() => assert.fail('no timer should run'));
    assert.equal(hold.holds(1, 256, 0), false);
    hold.stop();
  });

  it('refills at once when a quarter of the window or more is free', () => {
    const hold = new RefillHold(() => assert.fail('no timer should run'));
    assert.equal(hold.holds(8, 32, 24), false);
    assert.equal(hold.holds(10, 40, 30), false);
    assert.equal(hold.holds(64, 256, 192), false);
    hold.stop();
  });

  it('holds a smaller refill back while acknowledgements are awaited', () => {
    const hold = new RefillHold(() => undefined);
    assert.equal(hold.holds(7, 32, 25), true);
    assert.equal(hold.holds(1, 256, 255), true);
    hold.stop();
  });

  it('windows below REFILL_HOLD_MIN_WINDOW never hold (Receive Maximum 20: one PUBLISH per PUBACK)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: REFILL_HOLD_MIN_WINDOW - 1 }), fc.nat(), (limit, freeSeed) => {
        const free = 1 + (freeSeed % limit);
        const hold = new RefillHold(() => assert.fail('no timer should run'));
        const held = hold.holds(free, limit, limit - free);
        hold.stop();
        return !held;
      }),
    );
  });

  it('holds exactly when acknowledgements are awaited and less than a quarter is free', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 65_535 }),
        fc.nat(),
        fc.nat(),
        (limit, freeSeed, awaitingSeed) => {
          const free = 1 + (freeSeed % limit);
          const awaiting = awaitingSeed % (limit - free + 1);
          const hold = new RefillHold(() => undefined);
          const held = hold.holds(free, limit, awaiting);
          hold.stop();
          const expected =
            limit >= REFILL_HOLD_MIN_WINDOW && awaiting > 0 && free < Math.ceil(limit * REFILL_FREE_SHARE);
          return held === expected;
        },
      ),
    );
  });

  it('ends a hold by time: wakes the pump once, then lets the next refill through', async () => {
    let wakes = 0;
    const hold = new RefillHold(() => (wakes += 1), 5);
    assert.equal(hold.holds(1, 32, 31), true);
    assert.equal(hold.holds(2, 32, 30), true); // still the same hold: one timer
    await sleep(50);
    assert.equal(wakes, 1);
    assert.equal(hold.holds(2, 32, 30), false, 'after the bound the free slots are refilled');
    hold.refilled();
    assert.equal(hold.holds(1, 32, 31), true, 'a refill starts the next hold afresh');
    hold.stop();
    await sleep(20);
    assert.equal(wakes, 1, 'stop() cancels the pending wake');
  });

  it('a refill cancels the pending wake', async () => {
    let wakes = 0;
    const hold = new RefillHold(() => (wakes += 1), 5);
    assert.equal(hold.holds(1, 32, 31), true);
    hold.refilled();
    await sleep(30);
    assert.equal(wakes, 0);
  });
});
