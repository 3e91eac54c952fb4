// Crash scenario: kill -9 the gateway 20 times during a 50,000-line run, restarting
// it each time on the same config and the same queue file. The ack device keeps its pty open
// and resends every line not yet acknowledged (the device side of at-least-once), the
// subscriber stays connected to Mosquitto throughout (Mosquitto keeps the gateway's session:
// clean = false, `persistence false` is fine, the broker never restarts).
//   - QoS 1: 0 acknowledged readings lost; duplicates are allowed (and counted).
//   - QoS 2 with a QoS 2 subscriber: 0 lost AND 0 duplicates — the persistent session and
//     the stored packet ids, and the `#seq` marks committed with the messages so
//     a line whose ACK died with the gateway is ACKed again, not queued twice.
//
// Kill moments are random from a seeded generator (TTY2MQTT_CRASH_SEED to replay; the seed
// is printed) and spread over the run, start-up included. Sizes: TTY2MQTT_CRASH_LINES
// (default 50,000) and TTY2MQTT_CRASH_KILLS (default 20) for each case.
//
// Order is checked on the gateway's own sequence: the stable id `<gw>/<port>/<portSeq>` of
// the first delivery of each queued message must increase. Order by reading id
// is reported too, but a windowed device may itself reorder: a line the dead gateway read
// but never queued is resent after its successors were accepted by the next run.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startAckDevice } from '../helpers/ack-device.ts';
import type { AckDevice } from '../helpers/ack-device.ts';
import { formatReport, readingId, waitForDelivery } from '../helpers/delivery-check.ts';
import type { DeliveryReport } from '../helpers/delivery-check.ts';
import { METER_TOPIC, startDeliveryRig } from '../helpers/delivery-rig.ts';
import type { DeliveryRig } from '../helpers/delivery-rig.ts';
import type { ReceivedMessage } from '../helpers/mqtt-sub.ts';
import { errorMessage } from '../../src/errors.ts';

const LINES = positiveInt('TTY2MQTT_CRASH_LINES', 50_000);
const KILLS = positiveInt('TTY2MQTT_CRASH_KILLS', 20);
const SEED = positiveInt('TTY2MQTT_CRASH_SEED', Math.floor(Math.random() * 2 ** 31));
/** New lines per second; the window (and the gateway's ACK pace) may hold the device back. */
const RATE = 1000;
const WINDOW = 16;
/**
 * Resend an unacknowledged line after 200 ms. A resend is recognised only while its seq is
 * among the last 256 the gateway committed (docs/contract.md §4.1). The device's window slides
 * (ack-device.ts): no line more than WINDOW ids past the oldest unacknowledged one, so
 * however late a resend comes, at most WINDOW newer lines went through before it. (With a
 * count-only window the other 15 slots kept streaming at 1,000 lines/s while one line
 * whose ACK died with the gateway waited for its resend — the first line read after the
 * restart is discarded, possibly partial — and once, 256 commits went by: seed 835586555
 * queued reading 40206 twice at QoS 2.) 200 ms keeps the stall after each kill short.
 */
const RESEND_MS = 200;
/** Kills come no sooner than this after the gateway was spawned (start-up takes ~1.2 s). */
const MIN_UPTIME_MS = 200;
/** Per case; a healthy one takes ~80 s. A failing one reports before the 5 min are up. */
const CASE_TIMEOUT_MS = 5 * 60_000;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not ${raw}`);
  return n;
}

/** mulberry32: a small seeded generator, so a failing run's kill pattern can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface KillRecord {
  run: number;
  uptimeMs: number;
  /** How far the killed run had got: spawned, port open, connected to the broker. */
  phase: 'starting' | 'port open' | 'connected';
  ackedBefore: number;
}

/** Where the gateway was when it died, from its own log. */
function phaseOf(output: string): KillRecord['phase'] {
  if (output.includes('connected to broker')) return 'connected';
  return output.includes('port meter: opened') ? 'port open' : 'starting';
}

interface StampedAnalysis {
  /** Messages the subscriber saw on the meter topic. */
  received: number;
  /** The same stable id delivered more than once (a redelivery by the MQTT session). */
  redeliveries: number;
  /** Reading ids queued under more than one stable id (the `#seq` de-duplication missed). */
  queuedTwice: Map<number, string[]>;
  /** Stable ids whose same id came again: [stable id, reading id]. */
  redelivered: [string, number | undefined][];
  /** First deliveries whose portSeq is below an earlier first delivery's. */
  gatewayOutOfOrder: number;
  missingStableId: number;
}

/** The stable id `<gateway>/<port>/<portSeq>` of a message (MQTT 5 user property `id`). */
function stableIdOf(m: ReceivedMessage): string | null {
  return /(?:^| )id:(\S+)/.exec(m.userProperties ?? '')?.[1] ?? null;
}

function analyseStamped(all: readonly ReceivedMessage[]): StampedAnalysis {
  const messages = all.filter((m) => m.topic === METER_TOPIC);
  const seen = new Set<string>();
  const stableIdsOf = new Map<number, Set<string>>();
  const redelivered: [string, number | undefined][] = [];
  let highest = -1;
  let gatewayOutOfOrder = 0;
  let missingStableId = 0;
  for (const m of messages) {
    const id = readingId(m.payload);
    const stableId = stableIdOf(m);
    if (stableId === null) {
      missingStableId += 1;
      continue;
    }
    if (id !== undefined) {
      const ids = stableIdsOf.get(id) ?? new Set<string>();
      ids.add(stableId);
      stableIdsOf.set(id, ids);
    }
    if (seen.has(stableId)) {
      redelivered.push([stableId, id]);
      continue;
    }
    seen.add(stableId);
    const portSeq = Number(stableId.slice(stableId.lastIndexOf('/') + 1));
    if (portSeq < highest) gatewayOutOfOrder += 1;
    else highest = portSeq;
  }
  const queuedTwice = new Map<number, string[]>();
  for (const [id, ids] of stableIdsOf) if (ids.size > 1) queuedTwice.set(id, [...ids]);
  return {
    received: messages.length,
    redeliveries: redelivered.length,
    queuedTwice,
    redelivered,
    gatewayOutOfOrder,
    missingStableId,
  };
}

/** One line per run: how it started (what it recovered and resumed) and how it ended. */
function runSummary(rig: DeliveryRig, kills: KillRecord[]): string {
  return rig.runs
    .map((run, i) => {
      const out = run.stdout();
      const recovered = /"queued":(\d+),"bytes":\d+,"inSession":(\d+)[^\n]*recovered queued/.exec(out);
      const connect = /"sessionPresent":(true|false),"resumed":(\d+)[^\n]*connected to broker/.exec(out);
      const kill = kills.find((k) => k.run === i + 1);
      const lost = out.split('broker connection lost').length - 1;
      return (
        `run ${i + 1}: recovered ${recovered?.[1] ?? 0} queued + ${recovered?.[2] ?? 0} in session; ` +
        `${connect === null ? 'never connected' : `sessionPresent ${connect[1]}, resumed ${connect[2]}`}` +
        `${lost > 0 ? `, lost the broker ${lost}×` : ''}; ` +
        `${kill === undefined ? 'not killed' : `kill -9 after ${kill.uptimeMs} ms (${kill.phase})`}`
      );
    })
    .join('\n    ');
}

interface Timeline {
  startedAt: number;
  /** Spawn time of each run (index = run − 1). */
  spawns: number[];
  kills: KillRecord[];
  /** Every ACK/NAK the device received, by seq: [ms since start, run alive then, line]. */
  replies: Map<number, [number, number, string][]>;
  /** Reply lines that are neither ACK nor NAK (torn or merged writes): [ms, run, line]. */
  garbled: [number, number, string][];
}

/** What happened to one reading, for a duplicate's post-mortem. */
function historyOf(rig: DeliveryRig, timeline: Timeline, id: number): string {
  const seq = id - 1; // ids start at 1 with seq 0, and a run never wraps (LINES < 65536)
  const replies = (timeline.replies.get(seq) ?? []).map(
    ([t, run, line]) => `${line} at ${t} ms (run ${run})`,
  );
  const deliveries = rig.sub.messages
    .filter((m) => m.topic === METER_TOPIC && readingId(m.payload) === id)
    .map((m) => `${stableIdOf(m)} at ${m.receivedAt - timeline.startedAt} ms`);
  return `reading ${id} (seq ${seq}): device got [${replies.join('; ')}]; subscriber got [${deliveries.join('; ')}]`;
}

function killTimeline(timeline: Timeline): string {
  return timeline.spawns
    .map((t, i) => {
      const kill = timeline.kills.find((k) => k.run === i + 1);
      const end = kill === undefined ? '' : `–${t + kill.uptimeMs - timeline.startedAt}`;
      return `run ${i + 1} ${t - timeline.startedAt}${end} ms`;
    })
    .join(', ');
}

async function crashRun(
  rig: DeliveryRig,
  qos: 1 | 2,
): Promise<{
  report: DeliveryReport;
  stamped: StampedAnalysis;
  device: AckDevice;
  timeline: Timeline;
  summary: string;
}> {
  const random = seededRandom(SEED + qos);
  const startedAt = Date.now();
  const timeline: Timeline = { startedAt, spawns: [startedAt], kills: [], replies: new Map(), garbled: [] };
  const device = await startAckDevice({
    path: rig.pty.devicePath,
    rate: RATE,
    count: LINES,
    window: WINDOW,
    resendAfterMs: RESEND_MS,
    onReply: (line) => {
      const seq = Number(
        /^(?:ACK|NAK) (\d+)$|^NAK (\d+) \S+$/
          .exec(line)
          ?.slice(1)
          .find((x) => x) ?? NaN,
      );
      if (Number.isNaN(seq)) {
        if (timeline.garbled.length < 100)
          timeline.garbled.push([Date.now() - startedAt, rig.runs.length, line]);
        return;
      }
      const list = timeline.replies.get(seq) ?? [];
      list.push([Date.now() - startedAt, rig.runs.length, line]);
      timeline.replies.set(seq, list);
    },
  });
  const kills = timeline.kills;
  try {
    let spawnedAt = startedAt;
    for (let k = 0; k < KILLS; k += 1) {
      // Spread the remaining kills over the rest of the run: uniform on [0.2, 1.8] × the
      // expected time per kill at the pace so far (crashes included), at least MIN_UPTIME_MS.
      const elapsed = Date.now() - startedAt;
      const pace = elapsed < 3000 ? RATE / 2 : Math.max(50, (device.acked.size / elapsed) * 1000);
      const remainingMs = ((LINES - device.acked.size) / pace) * 1000;
      const slot = remainingMs / (KILLS - k);
      const uptimeMs = Math.round(Math.max(MIN_UPTIME_MS, (0.2 + 1.6 * random()) * slot));
      await sleep(Math.max(0, spawnedAt + uptimeMs - Date.now()));
      const phase = phaseOf(rig.gateway.stdout());
      const ackedBefore = device.acked.size;
      await rig.kill9Gateway();
      kills.push({ run: rig.runs.length, uptimeMs: Date.now() - spawnedAt, phase, ackedBefore });
      await rig.restartGateway({ wait: 'none' });
      spawnedAt = Date.now();
      timeline.spawns.push(spawnedAt);
    }
    await device.done(CASE_TIMEOUT_MS - 100_000);
  } catch (error) {
    throw new Error(
      `${errorMessage(error)}\n  ${device.describe()}\n    ${runSummary(rig, kills)}\n` +
        `last run's log:\n${rig.gateway.stdout().slice(-4000)}${rig.gateway.stderr()}`,
      { cause: error },
    );
  } finally {
    await device.stop();
  }
  const ackedAt = Date.now();
  const first = await waitForDelivery(rig.sub.messages, device.acked, {
    topic: METER_TOPIC,
    timeoutMs: 60_000,
  });
  // Late redeliveries (a resumed session) would come now: give them a moment.
  await sleep(1000);
  const report = await waitForDelivery(rig.sub.messages, device.acked, { topic: METER_TOPIC, timeoutMs: 0 });
  const stamped = analyseStamped(rig.sub.messages);
  const killedWhen = (p: KillRecord['phase']): number => kills.filter((k) => k.phase === p).length;
  const summary = [
    `QoS ${qos}: seed ${SEED}, ${LINES} lines at up to ${RATE}/s, window ${WINDOW}, resend after ${RESEND_MS} ms; ` +
      `${kills.length} kills (${killedWhen('starting')} starting, ${killedWhen('port open')} port open, ` +
      `${killedWhen('connected')} connected)`,
    `lines sent ${device.sent}, acked ${device.acked.size}; ${device.describe()}`,
    `subscriber: ${formatReport(report)}`,
    `stable ids: ${stamped.received} received, ${stamped.redeliveries} redeliveries of the same id, ` +
      `${stamped.queuedTwice.size} readings queued twice, ${stamped.gatewayOutOfOrder} out of the queue's order, ` +
      `${stamped.missingStableId} without an id`,
    `time: ${((ackedAt - startedAt) / 1000).toFixed(1)} s to the last ACK, ` +
      `${((Date.now() - startedAt) / 1000).toFixed(1)} s in all (${first.missing.length} missing at the last ACK + 0 s)`,
    `runs (ms since start): ${killTimeline(timeline)}`,
    `garbled reply lines: ${timeline.garbled.length}${timeline.garbled.length > 0 ? ` ${JSON.stringify(timeline.garbled.slice(0, 10))}` : ''}`,
    `runs:\n    ${runSummary(rig, kills)}`,
  ].join('\n  ');
  return { report, stamped, device, timeline, summary };
}

/**
 * Mosquitto's connection events (connects, disconnects and their reasons), collected while
 * the test runs: its log is bounded and at ~8 lines per message the start of a problem
 * would long be gone by the end.
 */
function watchConnectionEvents(rig: DeliveryRig): { events: string[]; stop(): void } {
  const events: string[] = [];
  const seen = new Set<string>();
  const interesting = /New client|disconnect|Disconnect|closed|exceeded|Socket error|protocol error/i;
  const timer = setInterval(() => {
    for (const line of rig.broker.log().slice(-200_000).split('\n')) {
      if (!interesting.test(line) || / (Sending|Received) PUB/.test(line) || seen.has(line)) continue;
      seen.add(line);
      if (events.length < 2000) events.push(line);
    }
  }, 200);
  return { events, stop: () => clearInterval(timer) };
}

async function crashCase(qos: 1 | 2): Promise<void> {
  const rig = await startDeliveryRig(
    qos === 2 ? { gatewayYaml: 'gateway-qos2.yaml', subscriberQos: 2 } : { subscriberQos: 1 },
  );
  const watcher = watchConnectionEvents(rig);
  try {
    const { report, stamped, device, timeline, summary } = await crashRun(rig, qos);
    console.log(`delivery-crash:\n  ${summary}`);
    assert.equal(device.acked.size, LINES, summary);
    assert.deepEqual(device.naks, [], `no NAK other than full\n  ${summary}`);
    assert.deepEqual(report.missing, [], `0 acknowledged readings lost\n  ${summary}`);
    assert.equal(report.unreadable, 0, summary);
    assert.equal(stamped.missingStableId, 0, `every message carries its stable id\n  ${summary}`);
    assert.equal(stamped.gatewayOutOfOrder, 0, `the queue's order on first delivery\n  ${summary}`);
    if (qos === 2) {
      const dupIds = [
        ...new Set([
          ...stamped.queuedTwice.keys(),
          ...stamped.redelivered.flatMap(([, id]) => (id === undefined ? [] : [id])),
        ]),
      ];
      assert.equal(
        report.duplicates,
        0,
        `exactly once at QoS 2\n  ${summary}\n  readings queued twice (reading id → stable ids): ` +
          `${JSON.stringify([...stamped.queuedTwice].slice(0, 10))}\n  the same stable id delivered again: ` +
          `${JSON.stringify(stamped.redelivered.slice(0, 10))}\n  ` +
          dupIds
            .slice(0, 10)
            .map((id) => historyOf(rig, timeline, id))
            .join('\n  '),
      );
    }
  } catch (error) {
    // Every run's log, for the post-mortem (kept out of a passing run's output).
    // Which side lost what: the subscriber's own exits and restarts, and every broker event
    // that names the test subscriber, besides the first and last of the rest.
    const subscriberEvents = watcher.events.filter((e) => e.includes('tty2mqtt-test-sub-'));
    console.log(
      `delivery-crash QoS ${qos} failed; gateway runs:\n${rig.gatewayLog().slice(-20_000)}\n` +
        `subscriber process: ${rig.sub.events.length === 0 ? 'never exited' : rig.sub.events.join('\n  ')}\n` +
        `mosquitto events of the subscriber:\n${subscriberEvents.join('\n')}\n` +
        `mosquitto connection events (first 80):\n${watcher.events.slice(0, 80).join('\n')}\n` +
        `mosquitto connection events (last 40):\n${watcher.events.slice(-40).join('\n')}`,
    );
    throw error;
  } finally {
    watcher.stop();
    await rig.stop();
  }
}

describe(`kill -9 the gateway ${KILLS} times during a ${LINES}-line run (seed ${SEED})`, () => {
  after(() => console.log(`delivery-crash: seed ${SEED} (replay with TTY2MQTT_CRASH_SEED=${SEED})`));

  it('QoS 1: 0 acknowledged readings lost, order of the queue kept', { timeout: CASE_TIMEOUT_MS }, () =>
    crashCase(1),
  );

  it('QoS 2 with a QoS 2 subscriber: 0 lost, 0 duplicates', { timeout: CASE_TIMEOUT_MS }, () => crashCase(2));
});
