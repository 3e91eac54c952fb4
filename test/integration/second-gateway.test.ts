// A second gateway started against a running one fails fast, with a clear line
// and exit 75, and does not disturb the first: no broker connection (which would take over
// the client id and flip the first's retained gateway/state through the will), no port
// open (which would rewrite the first's termios), no gap or duplicate in its readings.
// Real parts: Mosquitto, a socat pty pair, two real daemons.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDevice } from '../helpers/device.ts';
import type { DeviceEnd } from '../helpers/device.ts';
import { runCli, startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { subscribe } from '../helpers/mqtt-sub.ts';
import type { Subscription } from '../helpers/mqtt-sub.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';

const BASE = 'iot/home1';
const TEMPERATURE = `${BASE}/livingroom/temperature`;
/** Node + tsx start-up on a loaded 2-core machine is most of it; the check itself is ms. */
const EXIT_BOUND_MS = 20_000;
const EX_TEMPFAIL = 75;

function gatewayYaml(url: string, portPath: string, queuePath: string): string {
  return [
    'version: 1',
    'gateway: { id: testgw, base_topic: iot/home1 }',
    `mqtt: { broker: external, url: "${url}", keepalive: 5s }`,
    `queue: { path: "${queuePath}" }`,
    'ports:',
    `  - { name: livingroom, path: "${portPath}", device: climate, idle_timeout: 0 }`,
    'log: { level: info }',
  ].join('\n');
}

describe('a second gateway on the same queue or port', () => {
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let first: GatewayProcess;
  let sub: Subscription;
  let device: DeviceEnd;
  let sent = 0;
  let feeding = true;
  let feeder: Promise<void> = Promise.resolve();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-second-'));
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'climate-dev', gateway: 'climate-gw' });
    writeFileSync(join(dir, 'first.yaml'), gatewayYaml(broker.url, pty.gatewayPath, join(dir, 'q1.db')));
    // Same port, its own queue: only the port lock can stop it.
    writeFileSync(
      join(dir, 'other-queue.yaml'),
      gatewayYaml(broker.url, pty.gatewayPath, join(dir, 'q2.db')),
    );
    sub = await subscribe({ host: broker.host, port: broker.port, topics: [`${BASE}/#`], qos: 1 });
    first = startGateway(['run', '-c', join(dir, 'first.yaml')]);
    await sub.waitFor((m) => m.topic === `${BASE}/gateway/state` && m.payload === 'online', 20_000);
    await first.waitForOutput(`opened ${pty.gatewayPath}`, 20_000);
    device = await openDevice(pty.devicePath);
    await device.write('boot noise\n'); // the first line after an open is discarded (§4.1)
    // A steady stream of numbered readings (temperature = n / 100) for the whole test.
    feeder = (async () => {
      while (feeding) {
        sent += 1;
        await device.write(`temp=${sent / 100},hum=40\n`);
        await sleep(50);
      }
    })();
    await sub.waitFor((m) => m.topic === TEMPERATURE, 10_000);
  });

  after(async () => {
    feeding = false;
    await feeder.catch(() => undefined);
    await device?.close();
    await first?.kill('SIGKILL');
    await sub?.stop();
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('same config: exits 75 on the queue lock, naming the queue and the first gateway', async () => {
    const t0 = Date.now();
    const second = await runCli(['run', '-c', join(dir, 'first.yaml')], { timeoutMs: 60_000 });
    const elapsed = Date.now() - t0;
    assert.equal(second.code, EX_TEMPFAIL, `stderr: ${second.stderr}\nstdout: ${second.stdout}`);
    assert.ok(elapsed < EXIT_BOUND_MS, `took ${elapsed} ms`);
    const lines = second.stderr.trim().split('\n');
    assert.equal(lines.length, 1, second.stderr);
    assert.match(
      lines[0] ?? '',
      /^tty2mqtt: TTY2MQTT_QUEUE_IN_USE: queue .*q1\.db is in use by another gateway/,
    );
    assert.ok(lines[0]?.includes(`pid ${first.pid}: `), `names the first gateway: ${lines[0]}`);
    assert.doesNotMatch(second.stdout, /tty2mqtt running|opened /);
  });

  it('same port, other queue: exits 75 on the port lock, naming port, path and holder', async () => {
    const t0 = Date.now();
    const second = await runCli(['run', '-c', join(dir, 'other-queue.yaml')], { timeoutMs: 60_000 });
    const elapsed = Date.now() - t0;
    assert.equal(second.code, EX_TEMPFAIL, `stderr: ${second.stderr}\nstdout: ${second.stdout}`);
    assert.ok(elapsed < EXIT_BOUND_MS, `took ${elapsed} ms`);
    const lines = second.stderr.trim().split('\n');
    assert.equal(lines.length, 1, second.stderr);
    assert.ok(
      lines[0]?.startsWith(
        `tty2mqtt: TTY2MQTT_PORT_IN_USE: port livingroom: ${pty.gatewayPath} is in use by another process (pid ${first.pid}: `,
      ),
      lines[0],
    );
    assert.doesNotMatch(second.stdout, /tty2mqtt running|opened /);
    // Its queue lock was released again on the way out: the same config may start later.
    const again = await runCli(['run', '-c', join(dir, 'other-queue.yaml')], { timeoutMs: 60_000 });
    assert.match(again.stderr, /TTY2MQTT_PORT_IN_USE/, 'not QUEUE_IN_USE: the lock was released');
  });

  it('the first gateway was not disturbed: no gap, no duplicate, still online, port never reopened', async () => {
    await sleep(500); // readings keep flowing after the second gateways are gone
    feeding = false;
    await feeder;
    const last = sent / 100;
    await sub.waitFor((m) => m.topic === TEMPERATURE && Number(m.payload) === last, 15_000);
    const values = sub.messages
      .filter((m) => m.topic === TEMPERATURE)
      .map((m) => Math.round(Number(m.payload) * 100));
    const firstSeen = values[0] ?? 0;
    assert.ok(firstSeen <= 2, `delivery started at reading ${firstSeen}`);
    assert.deepEqual(
      values,
      Array.from({ length: sent - firstSeen + 1 }, (_, i) => firstSeen + i),
      'every reading exactly once, in order',
    );
    // gateway/state: one online, never offline (a second client with the same id would have
    // taken the session over, and the broker would have published the first's will).
    const states = sub.messages.filter((m) => m.topic === `${BASE}/gateway/state`).map((m) => m.payload);
    assert.deepEqual(states, ['online']);
    const connects = broker.log().match(/New client connected .* as tty2mqtt-testgw/g) ?? [];
    assert.equal(connects.length, 1, 'only the first gateway ever connected');
    const retained = await subscribe({
      host: broker.host,
      port: broker.port,
      topics: [`${BASE}/gateway/state`],
    });
    try {
      const state = await retained.waitFor((m) => m.topic === `${BASE}/gateway/state`);
      assert.equal(state.retain, true);
      assert.equal(state.payload, 'online');
    } finally {
      await retained.stop();
    }
    // One open, no loss, no idle reopen: the port was never closed under the first gateway.
    const out = first.stdout();
    assert.equal(out.split(`opened ${pty.gatewayPath}`).length - 1, 1, out);
    assert.doesNotMatch(out, /lost|reopening|in use/);
    assert.equal(first.stderr(), '');
  });
});
