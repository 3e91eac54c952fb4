// Firmware in the loop, seq/ACK line device: devices/power-meter/power-meter.ino compiled for
// an Uno in its fixed-seed fake sensor mode, run in the emulated Uno (hil/harness.c), read by
// the real gateway through its pty and published to a real Mosquitto, where an independent
// mosquitto_sub (MQTT 5: with the gateway's stable message id) checks what arrives.
// Covers: JSON readings in range at the profile's QoS/retain, availability, a gateway crash
// (kill -9) while the board keeps running — the unacknowledged line is resent to the new
// gateway and published once, every line the firmware sent arrives — and the reset_energy
// command (reply pattern: written, then acked; the energy counter restarts at 0).
//
// The board is started WITHOUT reset on open, like a real board whose DTR auto-reset is
// disabled (the gateway's reset_on_open: false, the default, does not pulse DTR either): it
// keeps its unacknowledged line across the gateway restart. Reset on open is covered by the
// other HIL files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { HIL_GATEWAY_ID, startHilRig } from '../helpers/hil.ts';
import type { EmulatedBoard, HilRig } from '../helpers/hil.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { ReceivedMessage, Subscription } from '../helpers/mqtt-sub.ts';

const BASE = 'hil/home';
const PORT = 'meter';
const DEVICE_DIR = join(REPO_ROOT, 'devices', 'power-meter');
const READINGS = `${BASE}/${PORT}`; // publish mode json, topic "{port}"
const RESULT = `${BASE}/${PORT}/reset_energy/result`;

interface Field {
  min: number;
  max?: number;
}
interface Profile {
  fields: Record<'power' | 'voltage' | 'current' | 'energy', Field>;
  publish: { qos: number; retain: boolean; mode: string };
  line: { ack: boolean; checksum: string };
  commands: { reset_energy: { write: string; reply?: unknown } };
}
const profile = parse(readFileSync(join(DEVICE_DIR, 'profile.yaml'), 'utf8')) as Profile;

/** The sketch: first reading 2 s after boot, then every 10 s (INTERVAL_MS, not overridable). */
const INTERVAL_MS = 10_000;
/** The sketch resends an unacknowledged line every 2 s (ACK_TIMEOUT_MS). */
const RESEND_MS = 2_000;
/** Scheduling slack for the emulated board, the gateway and the broker on a busy machine. */
const SLACK_MS = 2_500;
/** kWh per W·ms. */
const KWH_PER_WMS = 1 / 3.6e9;

interface Reading {
  message: ReceivedMessage;
  id: string;
  power: number;
  voltage: number;
  current: number;
  energy: number;
}

/** The gateway's stable message id (MQTT 5 user property `id`: `<gateway>/<port>/<seq>`). */
function stableId(m: ReceivedMessage): string {
  const id = /(?:^|\s)id:(\S+)/.exec(m.userProperties ?? '')?.[1];
  assert.ok(id !== undefined, `${m.topic} ${m.payload}: no user property id in "${m.userProperties}"`);
  return id;
}

/**
 * The readings received so far, one per stable id (a QoS 1 redelivery of one queued message
 * after the crash carries the same id and is not a second publication).
 */
function readings(messages: readonly ReceivedMessage[]): Reading[] {
  const byId = new Map<string, Reading>();
  for (const m of messages) {
    if (m.topic !== READINGS) continue;
    const id = stableId(m);
    const seen = byId.get(id);
    if (seen !== undefined) {
      assert.equal(m.payload, seen.message.payload, `stable id ${id} reused for another reading`);
      continue;
    }
    const values = JSON.parse(m.payload) as Record<string, unknown>;
    const number = (key: string): number => {
      const value = values[key];
      assert.equal(typeof value, 'number', `${m.payload}: ${key} is not a number`);
      return value as number;
    };
    byId.set(id, {
      message: m,
      id,
      power: number('power'),
      voltage: number('voltage'),
      current: number('current'),
      energy: number('energy'),
    });
  }
  return [...byId.values()];
}

describe('power-meter.ino (json, #seq/ACK, checksum) on an emulated Uno → gateway → Mosquitto', () => {
  let rig: HilRig | undefined;
  let queuePath: string;
  let board: EmulatedBoard;
  let broker: Mosquitto;
  let sub: Subscription;
  let gateway: GatewayProcess;

  /** Another gateway on the same config and queue file, after a kill -9. */
  const startGw = (): GatewayProcess => {
    gateway = (rig as HilRig).restartGateway();
    return gateway;
  };
  /** Resolves with the reading number `n` (0-based, distinct ids) once it has arrived. */
  const nthReading = async (n: number, timeoutMs: number): Promise<Reading> => {
    await sub.waitFor(() => readings(sub.messages).length > n, timeoutMs);
    const reading = readings(sub.messages)[n];
    assert.ok(reading !== undefined);
    return reading;
  };

  before(async () => {
    assert.equal(profile.line.ack, true);
    assert.equal(profile.publish.mode, 'json');
    rig = await startHilRig({ device: 'power-meter', port: PORT, base: BASE, board: { resetOnOpen: false } });
    ({ board, broker, sub, gateway } = rig);
    queuePath = rig.queuePath;
  });

  after(async () => {
    await rig?.stop();
  });

  it('publishes each reading as one JSON object at <base>/<port>, in range, retained at QoS 1', async () => {
    await gateway.waitForOutput(`${PORT}: opened ${board.path}`, 20_000);
    assert.match(board.output(), /opened, atmega328p running .*power-meter-fake\.elf/);
    const first = await nthReading(0, RESEND_MS + INTERVAL_MS + SLACK_MS);
    for (const key of ['power', 'voltage', 'current', 'energy'] as const) {
      const { min, max } = profile.fields[key];
      const value = first[key];
      assert.ok(
        value >= min && (max === undefined || value <= max),
        `${key} ${value} outside ${min}…${max ?? '∞'}`,
      );
    }
    assert.equal(first.message.qos, profile.publish.qos);
    assert.match(first.id, new RegExp(`^${HIL_GATEWAY_ID}/${PORT}/\\d+$`));
    // Retained: a subscriber that comes later still gets the reading, flagged retained.
    const late = await subscribe({ host: broker.host, port: broker.port, topics: [READINGS] });
    try {
      const r = await late.waitFor((m) => m.topic === READINGS);
      assert.equal(r.retain, profile.publish.retain);
      assert.equal(r.payload, first.message.payload);
    } finally {
      await late.stop();
    }
    await sub.waitFor((m) => m.topic === `${BASE}/${PORT}/availability` && m.payload === 'online');
    // The boot banner (the first line after the open) is never published; nothing reaches
    // the broker outside the profile's topics.
    assert.ok(!sub.messages.some((m) => m.payload.includes('booting')));
    const topics = new Set(sub.messages.map((m) => m.topic.slice(BASE.length + 1)));
    for (const topic of topics)
      assert.match(topic, new RegExp(`^(gateway/.*|${PORT}|${PORT}/(availability|reset_energy/.*))$`));
  });

  it('gateway kill -9 while the board runs: the unacknowledged line is resent and published once', async () => {
    const old = gateway;
    const before = readings(sub.messages);
    const last = before.at(-1);
    assert.ok(last !== undefined);
    // Crash right after a reading was acknowledged; the next one is taken ~10 s later with
    // nobody listening, and the firmware holds it (no new reading while one is unacknowledged),
    // resending it every 2 s into a pty nobody has open.
    await old.kill('SIGKILL');
    await sleep(Math.max(0, last.message.receivedAt + INTERVAL_MS + 4_000 - Date.now()));
    assert.equal(readings(sub.messages).length, before.length, 'a reading arrived with no gateway running');

    const restartIndex = sub.messages.length;
    const restarted = startGw();
    await restarted.waitForOutput(`${PORT}: opened ${board.path}`, 20_000);
    const openedAt = Date.now();
    // The first line read after the open is discarded (it may be partial); the next resend,
    // at most 2 s later, is acknowledged and published.
    const held = await nthReading(before.length, 2 * RESEND_MS + SLACK_MS);
    assert.ok(
      held.message.receivedAt - openedAt <= 2 * RESEND_MS + SLACK_MS,
      `the held line came ${held.message.receivedAt - openedAt} ms after the reopen`,
    );
    // Once it is acknowledged the firmware is overdue for its next reading: it comes at once
    // or on schedule, never skipped.
    const next = await nthReading(before.length + 1, INTERVAL_MS + SLACK_MS);

    // Every line the firmware sent was published exactly once, in order.
    const all = readings(sub.messages);
    const payloads = all.map((r) => r.message.payload);
    assert.equal(
      new Set(payloads).size,
      payloads.length,
      `a line was published twice:\n${payloads.join('\n')}`,
    );
    for (let i = 1; i < all.length; i++)
      assert.ok(
        all[i]!.energy >= all[i - 1]!.energy,
        `energy went back from ${all[i - 1]!.energy} to ${all[i]!.energy} with no reset`,
      );
    // After the held line, the readings go on one interval apart (or sooner): none skipped.
    assert.ok(next.message.receivedAt - held.message.receivedAt <= INTERVAL_MS + SLACK_MS);
    // The device's #seq marks, committed with each line's messages in the queue file: the
    // firmware's seq 0, 1, 2, … with no gap (a gap would be a line the device was told ACK
    // for and that was never queued), one committed line per published reading.
    const db = new Database(queuePath, { readonly: true, fileMustExist: true });
    let seqs: number[];
    try {
      seqs = (
        db.prepare('SELECT seq FROM seq_marks WHERE port = ? ORDER BY n').all(PORT) as Array<{ seq: number }>
      ).map((row) => row.seq);
    } finally {
      db.close();
    }
    assert.deepEqual(
      seqs,
      all.map((_, i) => i),
      'the committed #seq marks are not one per published reading',
    );

    // The new gateway's books: every line a reading or a recognised resend of a line already
    // queued (acknowledged again, not republished), nothing NAKed. The first line after the
    // open is discarded only when the board was in the middle of it as the port opened
    // (src/serial/in-flight.ts), which depends on timing: at most that one.
    const response = `${BASE}/gateway/response/health`;
    const asked = sub.messages.length;
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/gateway/request/health`,
      payload: '{"id":"pm-1"}',
      qos: 1,
    });
    const answer = await sub.waitFor((m) => m.topic === response && sub.messages.indexOf(m) >= asked);
    const health = JSON.parse(answer.payload) as {
      ok: boolean;
      result: {
        ports: Record<
          string,
          { lines: number; duplicates: number; readings: number; naks: number; discards: object }
        >;
      };
    };
    assert.equal(health.ok, true);
    const counters = health.result.ports[PORT];
    assert.ok(counters !== undefined);
    assert.equal(counters.naks, 0, JSON.stringify(counters));
    assert.ok(
      [0, 1].includes(Object.keys(counters.discards).length) &&
        Object.entries(counters.discards).every(([reason, n]) => reason === 'partial_first_line' && n === 1),
      `only a line cut by the open may be discarded: ${JSON.stringify(counters)}`,
    );
    assert.equal(counters.readings, all.length - before.length, JSON.stringify(counters));
    assert.equal(counters.lines, counters.readings + counters.duplicates, JSON.stringify(counters));
    await sub.waitFor(
      (m) =>
        m.topic === `${BASE}/${PORT}/availability` &&
        m.payload === 'online' &&
        sub.messages.indexOf(m) >= restartIndex,
    );
    assert.doesNotMatch(restarted.stdout() + restarted.stderr(), /"level":"(error|fatal)"/);
  });

  it('reset_energy round-trips: written, acked by OK RESET, and the next reading counts from 0', async () => {
    const last = readings(sub.messages).at(-1);
    assert.ok(last !== undefined);
    // Reset shortly before the next reading is due, so it has counted only a moment since.
    await sleep(Math.max(0, last.message.receivedAt + INTERVAL_MS - 3_000 - Date.now()));
    const count = readings(sub.messages).length;
    const resetAt = Date.now();
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/${PORT}/reset_energy/set`,
      payload: '',
      qos: 1,
    });
    const acked = await sub.waitFor(
      (m) => m.topic === RESULT && m.payload.includes('"status":"acked"'),
      5_000,
    );
    const results = sub.messages.filter((m) => m.topic === RESULT);
    const written = results.find((m) => m.payload.includes('"status":"written"'));
    assert.ok(written !== undefined, `no written result: ${results.map((m) => m.payload).join(', ')}`);
    assert.ok(results.indexOf(written) < results.indexOf(acked), 'acked before written');
    const w = JSON.parse(written.payload) as { id: string; command: string };
    const a = JSON.parse(acked.payload) as { id: string; command: string };
    assert.equal(a.command, 'reset_energy');
    assert.equal(a.id, w.id);
    assert.equal(written.retain, false);

    const next = await nthReading(count, INTERVAL_MS + SLACK_MS);
    // Counted since the reset only: at most the profile's maximum power over that time.
    const elapsedMs = next.message.receivedAt - resetAt;
    const bound = (profile.fields.power.max ?? 4000) * elapsedMs * KWH_PER_WMS + 0.0005;
    assert.ok(next.energy <= bound, `energy ${next.energy} kWh after the reset exceeds ${bound.toFixed(4)}`);
    assert.ok(next.energy < last.energy, `energy ${next.energy} not below ${last.energy}: no reset`);
    // The reply line 'OK RESET' was the command's answer, not a reading or a discard.
    assert.ok(!sub.messages.some((m) => m.payload.includes('OK RESET')));
  });
});
