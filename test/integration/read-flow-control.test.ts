// Read flow control end to end (src/app/read-gate.ts, docs/decisions/0018): a device writing
// QoS 0 readings through a real pty as fast as the pty takes them, faster than a real
// Mosquitto takes them from the gateway. Before, the QoS 0 ring dropped the oldest (68 % of
// them in the saturated benchmark); now reading pauses while too many wait in memory, the
// bytes wait in the pty, and every reading reaches the subscriber. The stop line says how
// often reading paused.
//
// Since the gateway writes QoS 0 PUBLISHes itself (decision 0030) it publishes faster than a
// pty delivers on a quiet machine, so the broker is made the slow side: it is stopped
// (SIGSTOP: the connection stays, nothing is read) until /metrics shows reading paused, then
// continued.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { freePort } from '../helpers/ports.ts';
import { createPtyPair, openDeviceEnd } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';

const LINES = 30_000;
/**
 * Long lines: 15 MB in all, more than the loopback socket's buffers take while the broker is
 * stopped (a few MB). With short ones the kernel took every PUBLISH and nothing waited.
 */
const LINE = `temp=23.5,note=${'x'.repeat(500)}\n`;

const PROFILE = `id: flood
description: a device that floods its port
protocol: line
interval: 1s
line:
  format: kv
  max_bytes: 1024
fields:
  temp: { type: number }
  note: { type: string, max_length: 600 }
publish:
  topic: "{port}/{field}"
  mode: per_field
  qos: 0
  retain: false
`;

describe(`a device flooding its port with ${LINES.toLocaleString('en-US')} QoS 0 readings`, () => {
  let dir = '';
  let broker: Mosquitto | undefined;
  let pty: PtyPair | undefined;
  let gateway: GatewayProcess | undefined;
  let counter: ChildProcess | undefined;
  let received = 0;
  let metricsUrl = '';
  let stopped = false;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-flow-'));
    mkdirSync(join(dir, 'devices', 'flood'), { recursive: true });
    writeFileSync(join(dir, 'devices', 'flood', 'profile.yaml'), PROFILE);
    broker = await startMosquitto();
    metricsUrl = `http://127.0.0.1:${await freePort()}/metrics`;
    pty = await createPtyPair(dir, { device: 'flood-dev', gateway: 'flood-gw' });
    // mosquitto_sub, a line per message: a counter that is never the bottleneck.
    counter = spawn(
      'mosquitto_sub',
      [
        '-h',
        broker.host,
        '-p',
        String(broker.port),
        '-t',
        'flow/attic/temp',
        '-t',
        'flow/attic/note',
        '-F',
        '%t',
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    counter.stdout?.setEncoding('latin1');
    counter.stdout?.on('data', (text: string) => {
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) received += 1;
    });
    writeFileSync(
      join(dir, 'gateway.yaml'),
      [
        'gateway: { id: flowgw, base_topic: flow }',
        `mqtt: { broker: external, url: "mqtt://${broker.host}:${broker.port}" }`,
        `devices_dir: ${join(dir, 'devices')}`,
        `queue: { path: ${join(dir, 'queue.db')} }`,
        'ports:',
        `  - { name: attic, path: ${pty.gatewayPath}, device: flood, idle_timeout: 0 }`,
        `http: { listen: "${new URL(metricsUrl).host}" }`,
        'log: { level: info }',
      ].join('\n'),
    );
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    await gateway.waitForOutput('connected to broker', 20_000);
    await gateway.waitForOutput(`opened ${pty.gatewayPath}`, 20_000);
    await sleep(300); // the subscriber is subscribed
  });

  after(async () => {
    if (stopped && broker !== undefined) process.kill(broker.pid, 'SIGCONT');
    await gateway?.kill('SIGKILL');
    counter?.kill();
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every reading, pausing reading instead of dropping from the ring', async () => {
    const device = await openDeviceEnd((pty as PtyPair).devicePath);
    // A newline first: the first line after an open may be a fragment and is discarded.
    await device.write('\n');
    const b = broker as Mosquitto;
    process.kill(b.pid, 'SIGSTOP');
    stopped = true;
    const chunk = LINE.repeat(1000);
    const writing = (async () => {
      for (let written = 0; written < LINES; written += 1000) await device.write(chunk);
    })();
    // Continued as soon as the gate has paused once: the ring (10,000 messages) must not
    // fill from the one read per 100 ms a paused port still makes.
    try {
      const deadline = Date.now() + 30_000;
      while ((await readPauses(metricsUrl)) === 0) {
        assert.ok(Date.now() < deadline, `no read pause within 30 s; ${received} messages at the subscriber`);
        await sleep(50);
      }
    } finally {
      process.kill(b.pid, 'SIGCONT');
      stopped = false;
    }
    await writing;
    const expected = LINES * 2;
    const deadline = Date.now() + 90_000;
    while (received < expected && Date.now() < deadline) await sleep(50);
    assert.equal(received, expected, `${received} of ${expected} messages reached the subscriber`);

    const g = gateway as GatewayProcess;
    await g.kill('SIGTERM');
    await device.close();
    const stopLine = g
      .stdout()
      .split('\n')
      .find((l) => l.includes('"msg":"tty2mqtt stopped"'));
    assert.ok(stopLine !== undefined, 'the stop line is printed');
    const stop = JSON.parse(stopLine) as {
      readPauses?: { pauses: number; pausedMs: number };
      queue?: { dropped?: unknown };
    };
    console.log(
      `# read pauses ${JSON.stringify(stop.readPauses)}; dropped ${JSON.stringify(stop.queue?.dropped)}`,
    );
    assert.ok((stop.readPauses?.pauses ?? 0) > 0, `reading paused: ${JSON.stringify(stop.readPauses)}`);
    assert.equal(stop.queue?.dropped, 0, 'nothing dropped from the QoS 0 ring');
  });
});

/** tty2mqtt_read_pauses_total from the gateway's /metrics. */
async function readPauses(url: string): Promise<number> {
  const text = await (await fetch(url)).text();
  return Number(/^tty2mqtt_read_pauses_total (\S+)$/m.exec(text)?.[1] ?? 0);
}
