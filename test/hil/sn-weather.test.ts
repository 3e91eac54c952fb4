// Firmware in the loop, MQTT-SN (raw framing, predefined topic ids): devices/sn-weather/
// sn-weather.ino compiled for an Uno in its fixed-seed fake sensor mode, run in the emulated
// Uno (hil/harness.c), served by the real gateway's MQTT-SN port through the pty, published
// to a real Mosquitto and checked by an independent mosquitto_sub (MQTT 5: with the
// gateway's stable message id). Covers: CONNECT/CONNACK, SUBSCRIBE to predefined id 3,
// PUBLISH QoS 1 on predefined ids 1 and 2, commands down to the LED, availability, and a
// gateway crash (kill -9) and restart: the firmware is told DISCONNECT, reconnects and its
// readings carry on, none lost and none published twice.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { HIL_GATEWAY_ID, startHilRig } from '../helpers/hil.ts';
import type { EmulatedBoard, HilRig } from '../helpers/hil.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { ReceivedMessage, Subscription } from '../helpers/mqtt-sub.ts';

const BASE = 'hil/home';
const PORT = 'outdoor';
const DEVICE_DIR = join(REPO_ROOT, 'devices', 'sn-weather');

interface Field {
  min: number;
  max: number;
}
interface Profile {
  protocol: string;
  mqttsn: { framing: string; predefined: Record<string, string> };
  fields: { temperature: Field; humidity: Field };
}
const profile = parse(readFileSync(join(DEVICE_DIR, 'profile.yaml'), 'utf8')) as Profile;

/** First reading 2 s after boot, then one every 10 s (READ_INTERVAL_MS, not overridable). */
const READING_TIMEOUT_MS = 15_000;
const TEMPERATURE = `${BASE}/${PORT}/temperature`;
const HUMIDITY = `${BASE}/${PORT}/humidity`;

/**
 * The readings of the sketch's FAKE_SENSORS mode, in order: a 16-bit Galois LFSR (taps
 * 0xB400) seeded 0xACE1, temperature 20.5 + n % 21 tenths, then humidity 43.0 + n % 41.
 * The board is not reset by the gateway's restart, so its sequence simply goes on.
 */
function fakeReadings(count: number): Array<{ temperature: string; humidity: string }> {
  let state = 0xace1;
  const next = (): number => {
    const lsb = state & 1;
    state >>= 1;
    if (lsb !== 0) state ^= 0xb400;
    return state;
  };
  const tenths = (t: number): string => `${Math.trunc(t / 10)}.${t % 10}`;
  const readings: Array<{ temperature: string; humidity: string }> = [];
  for (let i = 0; i < count; i++) {
    const temperature = tenths(205 + (next() % 21));
    const humidity = tenths(430 + (next() % 41));
    readings.push({ temperature, humidity });
  }
  return readings;
}

/** The gateway's stable message id (MQTT 5 user property `id`: `<gateway>/<port>/<seq>`). */
function stableId(m: ReceivedMessage): string {
  const id = /(?:^|\s)id:(\S+)/.exec(m.userProperties ?? '')?.[1];
  assert.ok(id !== undefined, `${m.topic} ${m.payload}: no user property id in "${m.userProperties}"`);
  return id;
}

/** Readings received on `topic`, one per stable id (a broker redelivery is not a duplicate). */
function distinct(messages: readonly ReceivedMessage[], topic: string): ReceivedMessage[] {
  const byId = new Map<string, ReceivedMessage>();
  for (const m of messages.filter((x) => x.topic === topic)) {
    const id = stableId(m);
    const seen = byId.get(id);
    // One id is one message: the same id carrying another payload would be a seq reused.
    if (seen !== undefined) assert.equal(m.payload, seen.payload, `stable id ${id} reused for another value`);
    else byId.set(id, m);
  }
  return [...byId.values()];
}

describe('sn-weather.ino (MQTT-SN, raw framing) on an emulated Uno → gateway → Mosquitto', () => {
  let rig: HilRig | undefined;
  let board: EmulatedBoard;
  let broker: Mosquitto;
  let sub: Subscription;
  let gateway: GatewayProcess;

  /** Another gateway on the same config and queue file, after a kill -9. */
  const startGw = (): GatewayProcess => {
    gateway = (rig as HilRig).restartGateway();
    return gateway;
  };

  before(async () => {
    assert.equal(profile.protocol, 'mqttsn');
    assert.equal(profile.mqttsn.framing, 'raw');
    // No reset on open: the point of the restart test is a board that keeps running while
    // the gateway is gone (a USB-serial adapter without DTR reset, or a radio link), so it
    // meets a gateway that has forgotten it.
    rig = await startHilRig({
      device: 'sn-weather',
      port: PORT,
      base: BASE,
      board: { resetOnOpen: false, pins: true },
    });
    ({ board, broker, sub, gateway } = rig);
  });

  after(async () => {
    await rig?.stop();
  });

  it('connects: CONNECT/CONNACK, SUBSCRIBE to predefined id 3, the client is active', async () => {
    await gateway.waitForOutput(`${PORT}: opened ${board.path}`, 20_000);
    assert.match(board.output(), /opened, atmega328p running .*sn-weather-fake\.elf/);
    await gateway.waitForOutput('MQTT-SN client sn-weather active', 15_000);
    await sub.waitFor((m) => m.topic === `${BASE}/gateway/state` && m.payload === 'online', 15_000);
    // setup() drives the LED low: the firmware runs.
    await board.waitForPin('D13', 0);
  });

  it('publishes temperature and humidity (predefined ids 1, 2) at QoS 1, in range, retained', async () => {
    const t = await sub.waitFor((m) => m.topic === TEMPERATURE, READING_TIMEOUT_MS);
    const h = await sub.waitFor((m) => m.topic === HUMIDITY, READING_TIMEOUT_MS);
    for (const [message, field] of [
      [t, profile.fields.temperature],
      [h, profile.fields.humidity],
    ] as const) {
      const value = Number(message.payload);
      assert.ok(Number.isFinite(value), `${message.topic}: ${message.payload} is not a number`);
      assert.ok(
        value >= field.min && value <= field.max,
        `${message.topic}: ${value} outside ${field.min}…${field.max}`,
      );
      assert.equal(message.qos, 1, `${message.topic} not at QoS 1`);
      assert.match(message.userProperties ?? '', new RegExp(`id:${HIL_GATEWAY_ID}/${PORT}/\\d+`));
    }
    // Exactly the sketch's first fake reading: nothing before it was lost or invented.
    const [first] = fakeReadings(1);
    assert.deepEqual({ temperature: t.payload, humidity: h.payload }, first);
    // The sketch sets RETAIN: a later subscriber gets the last reading, flagged retained.
    const late = await subscribe({ host: broker.host, port: broker.port, topics: [HUMIDITY] });
    try {
      const r = await late.waitFor((m) => m.topic === HUMIDITY);
      assert.equal(r.retain, true);
    } finally {
      await late.stop();
    }
    // Only the profile's topics reach the broker.
    const topics = new Set(sub.messages.map((m) => m.topic.slice(BASE.length + 1)));
    for (const topic of topics)
      assert.match(topic, new RegExp(`^(gateway/.*|${PORT}/(temperature|humidity|availability))$`));
  });

  it('availability is online while the client is connected', async () => {
    await sub.waitFor((m) => m.topic === `${BASE}/${PORT}/availability` && m.payload === 'online');
  });

  it('a command on …/led/set (predefined id 3) reaches the firmware: D13 follows on / off', async () => {
    const command = (payload: string): Promise<void> =>
      publish({ host: broker.host, port: broker.port, topic: `${BASE}/${PORT}/led/set`, payload, qos: 1 });
    await command('on');
    await board.waitForPin('D13', 1, 5_000);
    await command('off');
    await board.waitForPin('D13', 0, 5_000);
    await command('on');
    await board.waitForPin('D13', 1, 5_000);
    // The firmware PUBACKs each QoS 1 delivery: nothing outstanding is left to retry.
    await sleep(500);
    assert.doesNotMatch(gateway.stdout() + gateway.stderr(), /"reason":"(delivery_dropped|unexpected)"/);
  });

  it('gateway kill -9 and restart: DISCONNECT, the firmware reconnects, readings go on, none doubled', async () => {
    // Kill just before the next reading is due, so that it is taken while the gateway is
    // gone: its PUBLISH goes unanswered and is resent (DUP, same MsgId) to the new gateway.
    await sub.waitFor(
      (m) => m.topic === HUMIDITY && distinct(sub.messages, HUMIDITY).length >= 2,
      READING_TIMEOUT_MS,
    );
    const last = sub.messages.filter((m) => m.topic === HUMIDITY).at(-1);
    assert.ok(last !== undefined);
    await sleep(Math.max(0, last.receivedAt + 9_000 - Date.now()));
    const before = distinct(sub.messages, HUMIDITY).length;
    const old = gateway;
    await old.kill('SIGKILL');
    const restarted = startGw();
    await restarted.waitForOutput(`${PORT}: opened ${board.path}`, 20_000);
    // The new gateway does not know the client: it answers its packet with DISCONNECT…
    await restarted.waitForOutput(/"reason":"not_connected"/, 20_000);
    // …and the firmware connects and subscribes again.
    await restarted.waitForOutput('MQTT-SN client sn-weather active', 15_000);
    // Two more readings after the restart.
    await sub.waitFor(
      (m) => m.topic === HUMIDITY && distinct(sub.messages, HUMIDITY).length >= before + 2,
      2 * READING_TIMEOUT_MS,
    );
    // Still subscribed after the reconnect (the sketch SUBSCRIBEs again): commands work.
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/${PORT}/led/set`,
      payload: 'off',
      qos: 1,
    });
    await board.waitForPin('D13', 0, 5_000);

    // Every reading exactly once, in the firmware's order: nothing lost, nothing doubled.
    const temperatures = distinct(sub.messages, TEMPERATURE).map((m) => m.payload);
    const humidities = distinct(sub.messages, HUMIDITY).map((m) => m.payload);
    const expected = fakeReadings(Math.max(temperatures.length, humidities.length));
    assert.ok(temperatures.length >= humidities.length && temperatures.length <= humidities.length + 1);
    assert.deepEqual(
      temperatures,
      expected.slice(0, temperatures.length).map((r) => r.temperature),
    );
    assert.deepEqual(
      humidities,
      expected.slice(0, humidities.length).map((r) => r.humidity),
    );
    await sub.waitFor((m) => m.topic === `${BASE}/${PORT}/availability` && m.payload === 'online');
    assert.doesNotMatch(restarted.stdout() + restarted.stderr(), /"level":"(error|fatal)"/);
  });
});
