// idle_timeout at daemon level (docs/contract.md §2): the real daemon reopens a port
// that stays silent longer than idle_timeout, says so at info level (a quiet device is not
// an error), counts the opens in gateway/health, and delivers again once the device
// speaks. serial-port.test.ts covers the same in ManagedPort alone.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
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

const BASE = 'iot/home1';
const TEMPERATURE = `${BASE}/livingroom/temperature`;

interface LogLine {
  level: string;
  msg: string;
}

const logLines = (gw: GatewayProcess): LogLine[] =>
  gw
    .stdout()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LogLine);

describe('idle_timeout in the running daemon', () => {
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let gateway: GatewayProcess;
  let sub: Subscription;
  let device: DeviceEnd;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-idle-'));
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'climate-dev', gateway: 'climate-gw' });
    writeFileSync(
      join(dir, 'gateway.yaml'),
      [
        'version: 1',
        'gateway: { id: testgw, base_topic: iot/home1 }',
        `mqtt: { broker: external, url: "${broker.url}" }`,
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        'ports:',
        `  - { name: livingroom, path: "${pty.gatewayPath}", device: climate, idle_timeout: 2s }`,
        'log: { level: info }',
      ].join('\n'),
    );
    sub = await subscribe({ host: broker.host, port: broker.port, topics: [`${BASE}/#`], qos: 1 });
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    await gateway.waitForOutput(`opened ${pty.gatewayPath}`, 20_000);
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

  /** Writes a reading every 200 ms until it is published (one written within 300 ms of a reopen is discarded). */
  async function deliver(value: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      await device.write(`temp=${value},hum=40\n`);
      const seen = await sub
        .waitFor((m) => m.topic === TEMPERATURE && m.payload === value, 200)
        .then(() => true)
        .catch(() => false);
      if (seen) return;
    }
    assert.fail(`temperature ${value} was not published within 15 s`);
  }

  async function health(): Promise<{ ports: Record<string, { opens: number; losses: number }> }> {
    const before = sub.messages.length;
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/gateway/request/health`,
      payload: '{}',
    });
    await sub.waitFor(
      (m) => sub.messages.indexOf(m) >= before && m.topic === `${BASE}/gateway/response/health`,
      10_000,
    );
    const reply = sub.messages.slice(before).find((m) => m.topic === `${BASE}/gateway/response/health`);
    return (
      JSON.parse(reply?.payload ?? '{}') as {
        result: { ports: Record<string, { opens: number; losses: number }> };
      }
    ).result;
  }

  it('reopens a port silent for longer than idle_timeout, logged at info, counted in opens', async () => {
    await deliver('21.5');
    const opensBefore = (await health()).ports['livingroom']?.opens ?? 0;
    // Silence: more than idle_timeout (2 s) without a byte.
    await gateway.waitForOutput(/no data for 2 s; reopening/, 10_000);
    await gateway.waitForOutput(/opened .*climate-gw[^]*no data for 2 s[^]*opened .*climate-gw/, 10_000);
    const idle = logLines(gateway).filter((l) => /no data for 2 s; reopening/.test(l.msg));
    assert.ok(idle.length >= 1);
    for (const line of idle) assert.equal(line.level, 'info', 'info, not warn or error');
    assert.equal(
      logLines(gateway).filter((l) => l.level === 'error' || l.level === 'fatal').length,
      0,
      'no error line for a quiet device',
    );
    const after = (await health()).ports['livingroom'];
    assert.ok(after !== undefined);
    assert.ok(after.opens > opensBefore, `opens ${opensBefore} → ${after.opens}`);
    assert.equal(after.losses, 0, 'an idle reopen is not a loss');
  });

  it('delivers again once the device speaks after the reopen', async () => {
    await deliver('22.5');
    await deliver('23.5');
  });
});
