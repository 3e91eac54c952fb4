// Read flow control (src/app/read-gate.ts): reading pauses while too much waits in memory and
// the broker is connected, resumes below the low water mark, when the broker goes away, or
// after MAX_PAUSE_MS at the latest — a device without flow control never waits longer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadGate } from '../../../src/app/read-gate.ts';

function rig(options: { highWater?: number; lowWater?: number; maxPauseMs?: number } = {}) {
  const state = { backlog: 0, connected: true, paused: false, pauses: 0, resumes: 0 };
  const gate = new ReadGate({
    backlog: () => state.backlog,
    connected: () => state.connected,
    pause: () => {
      state.paused = true;
      state.pauses += 1;
    },
    resume: () => {
      state.paused = false;
      state.resumes += 1;
    },
    highWater: options.highWater ?? 100,
    lowWater: options.lowWater ?? 10,
    maxPauseMs: options.maxPauseMs ?? 5000,
  });
  return { state, gate };
}

describe('ReadGate', () => {
  it('does nothing up to the high water mark', () => {
    const { state, gate } = rig();
    state.backlog = 100;
    gate.check();
    assert.equal(state.paused, false);
    assert.deepEqual(gate.status(), { pauses: 0, pausedMs: 0, paused: false });
  });

  it('pauses above it once, and resumes below the low water mark', async () => {
    const { state, gate } = rig();
    state.backlog = 101;
    gate.check();
    gate.check(); // already paused: no second pause
    assert.equal(state.paused, true);
    assert.equal(state.pauses, 1);
    state.backlog = 50; // between the marks: still paused
    await sleep(20);
    assert.equal(state.paused, true);
    state.backlog = 10;
    await sleep(20);
    assert.equal(state.paused, false);
    assert.equal(state.resumes, 1);
    const status = gate.status();
    assert.equal(status.pauses, 1);
    assert.equal(status.paused, false);
    assert.ok(
      status.pausedMs >= 19,
      `paused for ${status.pausedMs} ms (at least the 20 ms between the marks)`,
    );
  });

  it('never pauses while the broker is away (the durable queue takes everything)', () => {
    const { state, gate } = rig();
    state.connected = false;
    state.backlog = 10_000;
    gate.check();
    assert.equal(state.paused, false);
  });

  it('resumes when the broker goes away during a pause', async () => {
    const { state, gate } = rig();
    state.backlog = 1000;
    gate.check();
    assert.equal(state.paused, true);
    state.connected = false;
    await sleep(20);
    assert.equal(state.paused, false);
  });

  it('resumes after maxPauseMs even when nothing drains (a stalled broker)', async () => {
    const { state, gate } = rig({ maxPauseMs: 30 });
    state.backlog = 1000;
    gate.check();
    await sleep(10);
    assert.equal(state.paused, true);
    await sleep(60);
    assert.equal(state.paused, false, 'a pause is bounded');
    gate.check(); // still over: pauses again, again bounded
    assert.equal(state.pauses, 2);
    gate.stop();
    assert.equal(state.paused, false);
  });

  it('stop() resumes and leaves no timer behind', () => {
    const { state, gate } = rig();
    state.backlog = 1000;
    gate.check();
    gate.stop();
    assert.equal(state.paused, false);
    gate.stop(); // idempotent
    assert.equal(state.resumes, 1);
  });
});
