// Quiet devices lose nothing, against the real daemon, a real socat pty
// and a real Mosquitto:
// - a device that reads every 3 s on a port with idle_timeout: 2s is reopened before each
//   reading, yet every reading is published and availability never says `offline` once the
//   device has been heard from (an idle reopen is ours, not the device's);
// - a line genuinely cut by the open — the device was mid-line when the port opened, so the
//   bytes before the open were flushed and the rest arrives at once — is still discarded.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDevice } from '../helpers/device.ts';
import type { DeviceEnd } from '../helpers/device.ts';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { Subscription } from '../helpers/mqtt-sub.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';

const BASE = 'iot/quiet';

interface PortHealth {
  opens: number;
  losses: number;
  lines: number;
  readings: number;
  discards: Record<string, number>;
}

async function health(broker: Mosquitto, sub: Subscription, port: string): Promise<PortHealth> {
  const before = sub.messages.length;
  await publish({
    host: broker.host,
    port: broker.port,
    topic: `${BASE}/gateway/request/health`,
    payload: '{}',
  });
  const reply = await sub.waitFor(
    (m) => sub.messages.indexOf(m) >= before && m.topic === `${BASE}/gateway/response/health`,
    10_000,
  );
  const result = (JSON.parse(reply.payload) as { result: { ports: Record<string, PortHealth> } }).result;
  const ports = result.ports[port];
  assert.ok(ports !== undefined, reply.payload);
  return ports;
}

function config(dir: string, broker: Mosquitto, port: string, extra: string): string {
  const file = join(dir, 'gateway.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'gateway: { id: quietgw, base_topic: iot/quiet }',
      `mqtt: { broker: external, url: "${broker.url}" }`,
      `queue: { path: "${join(dir, 'queue.db')}" }`,
      'devices_dir: ./devices',
      'ports:',
      `  - { name: ${port}, ${extra} }`,
      'log: { level: info }',
    ].join('\n'),
  );
  return file;
}

describe('a device reading every 3 s on a port with idle_timeout: 2s', () => {
  const READINGS = 5;
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let gateway: GatewayProcess;
  let sub: Subscription;
  let device: DeviceEnd;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-quiet-'));
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'door-dev', gateway: 'door-gw' });
    const file = config(dir, broker, 'door', `path: "${pty.gatewayPath}", device: climate, idle_timeout: 2s`);
    sub = await subscribe({ host: broker.host, port: broker.port, topics: [`${BASE}/#`], qos: 1 });
    gateway = startGateway(['run', '-c', file]);
    await gateway.waitForOutput(`opened ${pty.gatewayPath}`, 30_000);
    device = await openDevice(pty.devicePath);
  });

  after(async () => {
    await device?.close();
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes 5 of 5 readings across the idle reopens, and availability never goes offline', async () => {
    const values = Array.from({ length: READINGS }, (_, i) => `2${i}.5`);
    await sleep(1000);
    for (const [i, value] of values.entries()) {
      if (i > 0) await sleep(3000);
      await device.write(`temp=${value},hum=40\n`);
    }
    const temperature = `${BASE}/door/temperature`;
    await sub
      .waitFor((m) => m.topic === temperature && m.payload === values.at(-1), 10_000)
      .catch(() => undefined); // the assertions below say what is missing
    const published = values.filter((v) =>
      sub.messages.some((m) => m.topic === temperature && m.payload === v),
    );
    const h = await health(broker, sub, 'door');
    const availability = sub.messages
      .filter((m) => m.topic === `${BASE}/door/availability`)
      .map((m) => m.payload);
    console.log(
      `published ${published.length} of ${READINGS}; opens ${h.opens}; discards ${JSON.stringify(h.discards)}; availability ${availability.join(' → ')}`,
    );
    assert.ok(h.opens >= READINGS, `the port was reopened between readings (opens: ${h.opens})`);
    assert.deepEqual(published, values, `published ${published.length} of ${READINGS}`);
    assert.equal(h.discards['partial_first_line'] ?? 0, 0, JSON.stringify(h.discards));
    const firstOnline = availability.indexOf('online');
    assert.ok(firstOnline >= 0, `availability: ${availability.join(', ')}`);
    assert.deepEqual(
      availability.slice(firstOnline).filter((a) => a === 'offline'),
      [],
      `availability after the device was first heard: ${availability.slice(firstOnline).join(', ')}`,
    );
    assert.equal(h.losses, 0, 'an idle reopen is not a loss');
  });
});

describe('a line cut by the port opening', () => {
  // A kv profile with room for a long line: leading spaces are separators in kv, so whatever
  // part of "   …   temp=55.5,hum=41" survives the cut is a valid reading if it were kept.
  const PROFILE = [
    'id: slow-kv',
    'protocol: line',
    'interval: 10s',
    'line: { format: kv, max_bytes: 8192 }',
    'fields:',
    '  temperature: { key: temp, type: number }',
    '  humidity: { key: hum, type: number }',
  ].join('\n');
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let gateway: GatewayProcess | undefined;
  let sub: Subscription;
  let device: DeviceEnd;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-cut-'));
    mkdirSync(join(dir, 'devices', 'slow-kv'), { recursive: true });
    writeFileSync(join(dir, 'devices', 'slow-kv', 'profile.yaml'), PROFILE);
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'cut-dev', gateway: 'cut-gw' });
    sub = await subscribe({ host: broker.host, port: broker.port, topics: [`${BASE}/#`], qos: 1 });
    device = await openDevice(pty.devicePath);
  });

  after(async () => {
    await device?.close();
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('discards the rest of a line the device was sending when the port opened, keeps the next', async () => {
    const file = config(dir, broker, 'cut', `path: "${pty.gatewayPath}", device: slow-kv, idle_timeout: 0`);
    // The device is mid-line before the gateway even starts: one byte every 10 ms, as a
    // slow firmware printing a long line would, and it goes on until well after the open.
    let sending = true;
    let sent = 0;
    const dribble = (async (): Promise<void> => {
      while (sending && sent < 6000) {
        await device.write(' ');
        sent += 1;
        await sleep(10);
      }
    })();
    gateway = startGateway(['run', '-c', file]);
    await gateway.waitForOutput(`opened ${pty.gatewayPath}`, 30_000);
    await sleep(300); // still sending, after the open
    sending = false;
    await dribble;
    await device.write('temp=55.5,hum=41\n');
    await sleep(1000); // quiet: the next line starts well after the open, so it is whole
    await device.write('temp=66.5,hum=42\n');
    await sub.waitFor((m) => m.topic === `${BASE}/cut/temperature` && m.payload === '66.5', 10_000);
    const h = await health(broker, sub, 'cut');
    const temperatures = sub.messages
      .filter((m) => m.topic === `${BASE}/cut/temperature`)
      .map((m) => m.payload);
    console.log(
      `sent ${sent} bytes of the cut line; published ${temperatures.join(', ')}; discards ${JSON.stringify(h.discards)}`,
    );
    assert.deepEqual(temperatures, ['66.5'], 'the cut line is not published, the whole one is');
    assert.deepEqual(h.discards, { partial_first_line: 1 });
  });
});
