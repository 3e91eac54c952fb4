// The watchdog's progress rule (src/ops/liveness.ts) and the systemd supervision built on it
// (src/ops/watchdog.ts), on a fake clock: a wedge stops the pings, while a broker outage, an
// unplugged device or an idle one never do.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../src/log/logger.ts';
import { assessLiveness, stallBoundMs, statusLine } from '../../../src/ops/liveness.ts';
import type { ServiceSnapshot } from '../../../src/ops/liveness.ts';
import type { NotifyFields, Notifier } from '../../../src/ops/systemd-notify.ts';
import { SystemdSupervisor, watchdogIntervalMs } from '../../../src/ops/watchdog.ts';
import type { PortSupervision } from '../../../src/serial/port.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';

const BOUND = stallBoundMs(2000); // WatchdogSec=2s → 4 s

function port(over: Partial<PortSupervision> = {}): PortSupervision {
  return { path: '/dev/ttyUSB0', state: 'open', checkedAt: 0, settled: true, ...over };
}

function snapshot(over: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  return {
    ports: [port()],
    publisher: { connected: true, inflight: 0, lastProgressAt: 0 },
    configuredPorts: 1,
    queued: 0,
    ...over,
  };
}

describe('assessLiveness', () => {
  it('is alive while port checks complete and the publisher is idle', () => {
    assert.deepEqual(assessLiveness(snapshot({ ports: [port({ checkedAt: 59_800 })] }), 60_000, BOUND), {
      alive: true,
    });
  });

  it('an open port whose supervision check stopped completing is a wedge', () => {
    const s = snapshot({ ports: [port({ checkedAt: 10_000 })] });
    assert.equal(assessLiveness(s, 14_000, BOUND).alive, true); // exactly at the bound: not yet
    const later = assessLiveness(s, 14_001, BOUND);
    assert.equal(later.alive, false);
    assert.match(later.alive ? '' : later.reason, /port \/dev\/ttyUSB0: no supervision check for 4\.0 s/);
  });

  it('an unplugged, reopening or stopped port is never a wedge, however long', () => {
    for (const state of ['closed', 'opening', 'stopped'] as const)
      assert.equal(
        assessLiveness(snapshot({ ports: [port({ state, checkedAt: 0 })] }), 3_600_000, BOUND).alive,
        true,
      );
  });

  it('a connected publisher with messages in flight and no ack beyond the bound is a wedge', () => {
    const s = snapshot({ publisher: { connected: true, inflight: 3, lastProgressAt: 1000 }, ports: [] });
    assert.equal(assessLiveness(s, 5000, BOUND).alive, true);
    const stuck = assessLiveness(s, 5001, BOUND);
    assert.equal(stuck.alive, false);
    assert.match(stuck.alive ? '' : stuck.reason, /3 message\(s\) in flight and no acknowledgement/);
  });

  it('a broker outage (disconnected, messages queued) or an idle publisher is not', () => {
    const outage = snapshot({
      publisher: { connected: false, inflight: 5, lastProgressAt: 0 },
      queued: 9000,
      ports: [],
    });
    assert.equal(assessLiveness(outage, 86_400_000, BOUND).alive, true);
    const idle = snapshot({ publisher: { connected: true, inflight: 0, lastProgressAt: 0 }, ports: [] });
    assert.equal(assessLiveness(idle, 86_400_000, BOUND).alive, true);
    assert.equal(assessLiveness(snapshot({ publisher: null, ports: [] }), 86_400_000, BOUND).alive, true);
  });

  it('states ports, queue and broker in one STATUS line', () => {
    const s = snapshot({
      ports: [port(), port({ path: '/dev/ttyACM0', state: 'closed' })],
      configuredPorts: 3,
      queued: 12,
      publisher: { connected: false, inflight: 0, lastProgressAt: 0 },
    });
    assert.equal(statusLine(s), '1/3 ports open, queue 12, broker disconnected');
    assert.equal(statusLine(snapshot()), '1/1 ports open, queue 0, broker connected');
  });
});

describe('watchdogIntervalMs (sd_watchdog_enabled)', () => {
  it('reads WATCHDOG_USEC and honours WATCHDOG_PID', () => {
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '2000000' }, 42), 2000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: '42' }, 42), 2000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: '7' }, 42), null);
    assert.equal(watchdogIntervalMs({}, 42), null);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42), null);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42), null);
  });
});

class RecordingNotifier implements Notifier {
  readonly sent: NotifyFields[] = [];
  constructor(readonly enabled = true) {}
  notify(fields: NotifyFields): Promise<boolean> {
    this.sent.push({ ...fields });
    return Promise.resolve(true);
  }
}

function supervisor(
  env: NodeJS.ProcessEnv,
  state: { snap: ServiceSnapshot },
  notifier: Notifier,
  clock: FakeClock,
) {
  return new SystemdSupervisor({
    notifier,
    env,
    pid: 42,
    log: silentLogger(),
    snapshot: () => state.snap,
    now: () => clock.now,
    scheduler: clock,
  });
}

describe('SystemdSupervisor', () => {
  it('READY waits for the first open attempt of every port, then pings at half the interval', async () => {
    const clock = new FakeClock();
    const notifier = new RecordingNotifier();
    const state = { snap: snapshot({ ports: [port({ settled: false, state: 'opening' })] }) };
    const s = supervisor({ WATCHDOG_USEC: '2000000' }, state, notifier, clock);
    let ready = false;
    const readying = s.ready(new AbortController().signal).then(() => (ready = true));
    clock.advance(200);
    await Promise.resolve();
    assert.equal(ready, false);
    assert.equal(notifier.sent.length, 0);
    state.snap = snapshot({ ports: [port({ checkedAt: 200 })] });
    clock.advance(50);
    await readying;
    assert.deepEqual(notifier.sent[0], { READY: '1', STATUS: '1/1 ports open, queue 0, broker connected' });
    // Pings every second; the port's checks keep completing.
    for (let t = 1; t <= 5; t += 1) {
      state.snap = snapshot({ ports: [port({ checkedAt: clock.now + 1000 })] });
      clock.advance(1000);
    }
    assert.deepEqual(notifier.sent.slice(1), Array(5).fill({ WATCHDOG: '1' }));
  });

  it('withholds pings while stalled, says why in STATUS, and resumes', async () => {
    const clock = new FakeClock();
    const notifier = new RecordingNotifier();
    const state = { snap: snapshot({ ports: [], configuredPorts: 0 }) };
    const s = supervisor({ WATCHDOG_USEC: '2000000' }, state, notifier, clock);
    await s.ready(new AbortController().signal);
    state.snap = snapshot({
      ports: [],
      configuredPorts: 0,
      publisher: { connected: true, inflight: 2, lastProgressAt: 0 },
    });
    clock.advance(4000); // ticks at 1, 2, 3, 4 s: within the bound
    assert.equal(notifier.sent.filter((f) => f['WATCHDOG'] === '1').length, 4);
    const before = notifier.sent.length;
    clock.advance(3000); // 5, 6, 7 s: beyond it
    const stalled = notifier.sent.slice(before);
    assert.ok(
      stalled.every((f) => f['WATCHDOG'] === undefined),
      JSON.stringify(stalled),
    );
    assert.match(stalled[0]?.['STATUS'] ?? '', /^stalled: publisher: 2 message\(s\) in flight/);
    state.snap = snapshot({
      ports: [],
      configuredPorts: 0,
      publisher: { connected: true, inflight: 0, lastProgressAt: 7000 },
    });
    clock.advance(1000);
    assert.deepEqual(notifier.sent.at(-1), {
      WATCHDOG: '1',
      STATUS: '0/0 ports open, queue 0, broker connected',
    });
  });

  it('never pings for another WATCHDOG_PID, still sends READY, STATUS and STOPPING', async () => {
    const clock = new FakeClock();
    const notifier = new RecordingNotifier();
    const state = { snap: snapshot() };
    const s = supervisor({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: '7' }, state, notifier, clock);
    await s.ready(new AbortController().signal);
    state.snap = snapshot({ queued: 5 });
    clock.advance(20_000);
    assert.ok(notifier.sent.every((f) => f['WATCHDOG'] === undefined));
    assert.equal(notifier.sent.at(-1)?.['STATUS'], '1/1 ports open, queue 5, broker connected');
    await s.stopping();
    assert.deepEqual(notifier.sent.at(-1), { STOPPING: '1', STATUS: 'stopping' });
    const count = notifier.sent.length;
    clock.advance(60_000);
    assert.equal(notifier.sent.length, count, 'nothing after STOPPING');
    assert.equal(clock.pending, 0);
  });

  it('does nothing at all without $NOTIFY_SOCKET', async () => {
    const clock = new FakeClock();
    const notifier = new RecordingNotifier(false);
    const s = supervisor({ WATCHDOG_USEC: '2000000' }, { snap: snapshot() }, notifier, clock);
    await s.ready(new AbortController().signal);
    clock.advance(60_000);
    await s.stopping();
    assert.equal(notifier.sent.length, 0);
    assert.equal(clock.pending, 0);
  });
});
