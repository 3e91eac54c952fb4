// Availability and requests, end to end with a real Mosquitto, a socat pty and the real daemon:
// per-port availability (silence, unplug), gateway/state across a broker restart and a
// kill -9 (the will), and request/response on gateway/request/<action>.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { subscribe } from '../helpers/mqtt-sub.ts';
import type { ReceivedMessage, Subscription } from '../helpers/mqtt-sub.ts';
import { createPtyPair, openDeviceEnd } from '../helpers/socat.ts';
import type { DeviceEnd, PtyPair } from '../helpers/socat.ts';

const BASE = 'iot/av';
const AVAILABILITY = `${BASE}/dev/availability`;
const STATE = `${BASE}/gateway/state`;

describe('availability and requests', () => {
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let gateway: GatewayProcess;
  let device: DeviceEnd;
  let sub: Subscription;
  let client: MqttClient;
  const config = (): string => join(dir, 'gateway.yaml');

  /** The next message on `topic` after the ones already received, matching `payload`. */
  const next = (topic: string, payload: string, timeoutMs = 10_000): Promise<ReceivedMessage> => {
    const seen = sub.messages.length;
    return sub.waitFor(
      (m) => sub.messages.indexOf(m) >= seen && m.topic === topic && m.payload === payload,
      timeoutMs,
    );
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-av-'));
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
    mkdirSync(join(dir, 'devices', 'av-dev'), { recursive: true });
    writeFileSync(
      join(dir, 'devices', 'av-dev', 'profile.yaml'),
      [
        'id: av-dev',
        'protocol: line',
        'line: { format: kv }',
        'availability_timeout: 1500ms',
        'fields:',
        '  temp: { type: number }',
      ].join('\n'),
    );
    writeFileSync(
      config(),
      [
        'version: 1',
        `gateway: { id: avgw, base_topic: ${BASE} }`,
        `mqtt: { broker: external, url: "${broker.url}", keepalive: 2s }`,
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        `devices_dir: "${join(dir, 'devices')}"`,
        'ports:',
        `  - { name: dev, path: "${pty.gatewayPath}", device: av-dev, idle_timeout: 0 }`,
      ].join('\n'),
    );
    sub = await subscribe({ host: broker.host, port: broker.port, topics: [`${BASE}/#`], qos: 1 });
    device = await openDeviceEnd(pty.devicePath);
    gateway = startGateway(['run', '-c', config()]);
    await gateway.waitForOutput('port dev: opened', 20_000);
    client = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: 'av-test',
      reconnectPeriod: 200,
    });
  });

  after(async () => {
    await client?.endAsync(true);
    await device?.close();
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a device is online while heard from, offline after availability_timeout of silence', async () => {
    const online = next(AVAILABILITY, 'online');
    await device.write('temp=1\ntemp=2\n'); // the first line after open is discarded
    await online;
    const t0 = Date.now();
    await next(AVAILABILITY, 'offline', 10_000);
    assert.ok(Date.now() - t0 >= 1000, 'not before the timeout');
    const back = next(AVAILABILITY, 'online');
    await device.write('temp=3\n');
    await back;
  });

  it('answers gateway/request/health and /ports with the correlation id', async () => {
    const answer = sub.waitFor((m) => m.topic === `${BASE}/gateway/response/health`, 10_000);
    await client.publishAsync(`${BASE}/gateway/request/health`, '', {
      qos: 1,
      properties: { correlationData: Buffer.from('h-1') },
    });
    const health = JSON.parse((await answer).payload) as {
      id: string;
      ok: boolean;
      result: { gateway: string };
    };
    assert.equal(health.id, 'h-1');
    assert.equal(health.ok, true);
    assert.equal(health.result.gateway, 'avgw');
    const portsAnswer = sub.waitFor((m) => m.topic === `${BASE}/gateway/response/ports`, 10_000);
    await client.publishAsync(`${BASE}/gateway/request/ports`, JSON.stringify({ id: 'p-1' }), { qos: 1 });
    const ports = JSON.parse((await portsAnswer).payload) as {
      id: string;
      result: { configured: { name: string }[]; serial: unknown[] };
    };
    assert.equal(ports.id, 'p-1');
    assert.deepEqual(
      ports.result.configured.map((p) => p.name),
      ['dev'],
    );
    assert.ok(Array.isArray(ports.result.serial));
    const unknown = sub.waitFor((m) => m.topic === `${BASE}/gateway/response/reboot`, 10_000);
    await client.publishAsync(`${BASE}/gateway/request/reboot`, '{}', { qos: 1 });
    assert.match((JSON.parse((await unknown).payload) as { error: string }).error, /unknown action/);
  });

  it('restart_port closes and reopens the port', async () => {
    const answer = sub.waitFor((m) => m.topic === `${BASE}/gateway/response/restart_port`, 10_000);
    const opensBefore = gateway.stdout().split('port dev: opened').length;
    await client.publishAsync(
      `${BASE}/gateway/request/restart_port`,
      JSON.stringify({ id: 'r-1', port: 'dev' }),
      {
        qos: 1,
      },
    );
    assert.deepEqual(JSON.parse((await answer).payload), {
      id: 'r-1',
      action: 'restart_port',
      ok: true,
      result: { port: 'dev', restarting: true },
    });
    const deadline = Date.now() + 10_000;
    while (gateway.stdout().split('port dev: opened').length === opensBefore) {
      assert.ok(Date.now() < deadline, 'the port reopened');
      await sleep(50);
    }
  });

  it('unplugging the device makes it offline', async () => {
    // restart_port is the gateway's own reopen: it does not flip availability, so
    // the device is online again as soon as it is heard, whatever the last message said.
    const heard = next(`${BASE}/dev/temp`, '5');
    await device.write('temp=4\ntemp=5\n');
    await heard;
    const lastState = (): string | undefined =>
      sub.messages.filter((m) => m.topic === AVAILABILITY).at(-1)?.payload;
    for (const deadline = Date.now() + 5_000; lastState() !== 'online'; await sleep(50))
      assert.ok(Date.now() < deadline, `availability: ${String(lastState())}`);
    const offline = next(AVAILABILITY, 'offline');
    await device.close();
    await pty.kill();
    await offline;
    pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
    device = await openDeviceEnd(pty.devicePath);
  });

  it('republishes gateway/state online after a broker restart', async () => {
    await broker.restart();
    await next(STATE, 'online', 20_000);
  });

  it('a gateway killed with -9 is announced offline by its will', async () => {
    const offline = next(STATE, 'offline', 15_000);
    await gateway.kill('SIGKILL');
    await offline;
  });
});
