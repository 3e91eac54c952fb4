// End to end against a real Mosquitto: a device writes on one end of a socat pty pair, the
// real daemon (a child process) reads the other end with the real serialport bindings,
// and an independent mosquitto_sub sees exactly what a user's broker would see.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDevice, withChecksum } from '../helpers/device.ts';
import type { DeviceEnd } from '../helpers/device.ts';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { subscribe } from '../helpers/mqtt-sub.ts';
import type { Subscription } from '../helpers/mqtt-sub.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';

const BASE = 'iot/home1';

/**
 * A bench scale that prints what real ones do: a sign then padding, a unit word, Fahrenheit,
 * a state code. Exercises number_format, transform and unknown_keys through the daemon.
 */
const SCALE_PROFILE = `id: scale
protocol: line
line:
  format: regex
  pattern: '^W=(?<weight>[^;]*);T=(?<temp>[^;]*);S=(?<state>[^;]*)(?:;TARE=(?<tare>[^;]*))?$'
fields:
  weight: { type: number, unit: kg, min: 0, max: 150, number_format: lenient }
  temperature:
    key: temp
    type: number
    unit: "°C"
    transform: [{ convert: { from: "°F", to: "°C" } }, { round: 1 }]
  state: { type: enum, values: [idle, busy], transform: [{ map: { "0": idle, "1": busy } }] }
unknown_keys: reject
publish: { topic: "{port}/{field}", qos: 1, retain: false }
`;

function gatewayYaml(
  url: string,
  ports: { name: string; path: string; device: string }[],
  extra = '',
): string {
  return [
    'version: 1',
    'gateway: { id: testgw, base_topic: iot/home1 }',
    `mqtt: { broker: external, url: "${url}", keepalive: 5s }`,
    'ports:',
    ...ports.map((p) => `  - { name: ${p.name}, path: "${p.path}", device: ${p.device}, idle_timeout: 0 }`),
    'log: { level: debug }',
    extra,
  ].join('\n');
}

describe('gateway → Mosquitto, line devices on socat ptys', () => {
  let dir: string;
  let broker: Mosquitto;
  let climate: PtyPair;
  let meter: PtyPair;
  let gateway: GatewayProcess;
  let sub: Subscription;
  let scale: PtyPair;
  let climateDevice: DeviceEnd;
  let meterDevice: DeviceEnd;
  let scaleDevice: DeviceEnd;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-e2e-'));
    broker = await startMosquitto();
    climate = await createPtyPair(dir, { device: 'climate-dev', gateway: 'climate-gw' });
    meter = await createPtyPair(dir, { device: 'meter-dev', gateway: 'meter-gw' });
    scale = await createPtyPair(dir, { device: 'scale-dev', gateway: 'scale-gw' });
    mkdirSync(join(dir, 'devices', 'scale'), { recursive: true });
    writeFileSync(join(dir, 'devices', 'scale', 'profile.yaml'), SCALE_PROFILE);
    writeFileSync(
      join(dir, 'gateway.yaml'),
      gatewayYaml(broker.url, [
        { name: 'livingroom', path: climate.gatewayPath, device: 'climate' },
        { name: 'garage', path: meter.gatewayPath, device: 'power-meter' },
        { name: 'bench', path: scale.gatewayPath, device: 'scale' },
      ]),
    );
    sub = await subscribe({
      host: broker.host,
      port: broker.port,
      topics: [`${BASE}/#`],
      qos: 2,
      protocolV5: true,
    });
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    await sub.waitFor((m) => m.topic === `${BASE}/gateway/state` && m.payload === 'online', 20_000);
    // The binding flushes a tty's input when it opens it: lines written before that are gone.
    await gateway.waitForOutput('port livingroom: opened', 20_000);
    await gateway.waitForOutput('port garage: opened', 20_000);
    await gateway.waitForOutput('port bench: opened', 20_000);
    climateDevice = await openDevice(climate.devicePath);
    meterDevice = await openDevice(meter.devicePath);
    scaleDevice = await openDevice(scale.devicePath);
  });

  after(async () => {
    await climateDevice?.close();
    await meterDevice?.close();
    await scaleDevice?.close();
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await climate?.kill();
    await meter?.kill();
    await scale?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes temp=23.5,hum=40 as iot/home1/livingroom/temperature 23.5, retained, QoS 1', async () => {
    // The first, possibly partial, line after a port opens is discarded (docs/contract.md §4.1).
    await climateDevice.write('boot noise\n');
    await climateDevice.write('temp=23.5,hum=40\n');
    const t = await sub.waitFor((m) => m.topic === `${BASE}/livingroom/temperature`);
    const h = await sub.waitFor((m) => m.topic === `${BASE}/livingroom/humidity`);
    assert.equal(t.payload, '23.5');
    assert.equal(h.payload, '40');
    assert.equal(t.qos, 1);
    // A stable id consumers can de-duplicate on (MQTT 5 user property).
    assert.match(t.userProperties ?? '', /^id:testgw\/livingroom\/\d+$/);
    assert.notEqual(t.userProperties, h.userProperties);
    // Retained: a subscriber that comes later still gets it, flagged retained.
    const late = await subscribe({
      host: broker.host,
      port: broker.port,
      topics: [`${BASE}/livingroom/temperature`],
      qos: 1,
    });
    try {
      const r = await late.waitFor((m) => m.topic === `${BASE}/livingroom/temperature`);
      assert.equal(r.payload, '23.5');
      assert.equal(r.retain, true);
    } finally {
      await late.stop();
    }
    await sub.waitFor((m) => m.topic === `${BASE}/livingroom/availability` && m.payload === 'online');
  });

  it('drops what fails validation and publishes the rest of the reading', async () => {
    const before = sub.messages.length;
    await climateDevice.write(`${withChecksum('temp=21.0,hum=41')}\n`); // good checksum
    await climateDevice.write('temp=22.0,hum=42*00\n'); // bad checksum: whole line dropped
    await climateDevice.write('temp=999,hum=43\n'); // temp out of range: only humidity
    await climateDevice.write(`${'x'.repeat(300)}\n`); // overlong: discarded
    await climateDevice.write('temp=24.5,hum=44\n');
    await sub.waitFor((m) => m.topic === `${BASE}/livingroom/humidity` && m.payload === '44');
    const got = sub.messages
      .slice(before)
      .filter((m) => m.topic.startsWith(`${BASE}/livingroom/`) && !m.topic.endsWith('availability'));
    assert.deepEqual(
      got.map((m) => `${m.topic.slice(BASE.length + 1)} ${m.payload}`),
      [
        'livingroom/temperature 21',
        'livingroom/humidity 41',
        'livingroom/humidity 43',
        'livingroom/temperature 24.5',
        'livingroom/humidity 44',
      ],
    );
  });

  it("reads a scale's numbers, converts and maps them, and refuses a line with an undeclared key", async () => {
    const before = sub.messages.length;
    await scaleDevice.write('boot noise\n'); // may be taken for the tail of a cut line
    await scaleDevice.write('W=+  12.345 kg;T=70.7;S=1\n'); // sign, padding, unit; °F → °C; 1 → busy
    await scaleDevice.write('W=1,234.5 kg;T=32;S=0\n'); // thousands separator: above max 150
    await scaleDevice.write('W=12.3 lb;T=212;S=7\n'); // wrong unit; 7 is not mapped
    await scaleDevice.write('W=1;T=50;S=0;TARE=1\n'); // unknown_keys: reject — nothing published
    await scaleDevice.write('W=-  0.5;T=-40;S=0\n'); // below min 0
    await scaleDevice.write('W=2;T=50;S=0\n');
    // The last line's three messages, in field order; its state is the 11th bench message.
    const bench = (): typeof sub.messages =>
      sub.messages
        .slice(before)
        .filter((m) => m.topic.startsWith(`${BASE}/bench/`) && !m.topic.endsWith('availability'));
    await sub.waitFor((m) => m.topic === `${BASE}/bench/temperature` && m.payload === '10');
    await sub.waitFor(() => bench().length >= 11);
    // The refused line is logged with its reason, naming the key.
    await gateway.waitForOutput(/"reason":"unknown_key","detail":"key \\"tare\\" is not declared/);
    const got = bench();
    assert.deepEqual(
      got.map((m) => `${m.topic.slice(BASE.length + 1)} ${m.payload}`),
      [
        'bench/weight 12.345',
        'bench/temperature 21.5',
        'bench/state busy',
        'bench/temperature 0',
        'bench/state idle',
        'bench/temperature 100',
        'bench/temperature -40',
        'bench/state idle',
        'bench/weight 2',
        'bench/temperature 10',
        'bench/state idle',
      ],
    );
  });

  it('acknowledges #seq lines once queued, NAKs bad ones, and never publishes a resend twice', async () => {
    await meterDevice.write('# warm-up\n');
    const body = (n: number): string => `{"power":${n},"voltage":230.1,"current":0.5,"energy":1.25}`;
    await meterDevice.write(`${withChecksum(`#0 ${body(100)}`)}\n`);
    await meterDevice.waitForReceived('ACK 0\n');
    await meterDevice.write(`${withChecksum(`#1 ${body(101)}`).slice(0, -2)}00\n`);
    await meterDevice.waitForReceived(/NAK 1 checksum\n/);
    await meterDevice.write(`${withChecksum(`#1 ${body(101)}`)}\n`);
    await meterDevice.write(`${withChecksum(`#1 ${body(101)}`)}\n`); // ACK lost: the device resends
    await meterDevice.waitForReceived(/ACK 1\n[^]*ACK 1\n/);
    await meterDevice.write(`${withChecksum(`#2 ${body(102)}`)}\n`);
    await meterDevice.waitForReceived('ACK 2\n');
    await sub.waitFor((m) => m.topic === `${BASE}/garage` && m.payload.includes('"power":102'));
    const powers = sub.messages
      .filter((m) => m.topic === `${BASE}/garage`)
      .map((m) => (JSON.parse(m.payload) as { power: number }).power);
    assert.deepEqual(powers, [100, 101, 102]);
  });

  it('survives an unplugged port: availability goes offline, and delivery resumes on the same path', async () => {
    await climate.kill();
    await sub.waitFor((m) => m.topic === `${BASE}/livingroom/availability` && m.payload === 'offline', 5_000);
    await climateDevice.close();
    climate = await createPtyPair(dir, { device: 'climate-dev', gateway: 'climate-gw' });
    climateDevice = await openDevice(climate.devicePath);
    // Keep writing until the gateway has reopened the port (its first line is discarded).
    const deadline = Date.now() + 15_000;
    let seen = false;
    while (!seen && Date.now() < deadline) {
      await climateDevice.write('temp=30.5,hum=50\n');
      seen = await sub
        .waitFor((m) => m.topic === `${BASE}/livingroom/temperature` && m.payload === '30.5', 500)
        .then(() => true)
        .catch(() => false);
    }
    assert.ok(seen, 'delivery resumed after the port came back');
    // The other port was not affected.
    await meterDevice.write(`${withChecksum(`#3 {"power":103,"voltage":230,"current":0.5,"energy":1.3}`)}\n`);
    await meterDevice.waitForReceived('ACK 3\n');
  });

  it('kill -9: the broker publishes the will, gateway/state offline', async () => {
    await gateway.kill('SIGKILL');
    await sub.waitFor((m) => m.topic === `${BASE}/gateway/state` && m.payload === 'offline', 15_000);
  });
});
