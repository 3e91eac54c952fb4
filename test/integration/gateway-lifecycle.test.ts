// The daemon's life as a user sees it: it starts with no Arduino attached, runs the
// embedded broker, stops gracefully on SIGTERM within 5 s, and refuses a broken
// configuration with exit 78 before it opens anything.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDevice } from '../helpers/device.ts';
import { REPO_ROOT, runCli, startGateway } from '../helpers/gateway-process.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import { freePort } from '../helpers/ports.ts';
import { createPtyPair } from '../helpers/socat.ts';

describe('gateway lifecycle', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-life-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the embedded broker; an independent mosquitto_sub sees readings; SIGTERM stops it cleanly', async () => {
    const port = await freePort();
    const pty = await createPtyPair(dir, { device: 'emb-dev', gateway: 'emb-gw' });
    const file = join(dir, 'embedded.yaml');
    writeFileSync(
      file,
      [
        'gateway: { id: pi, base_topic: iot/home1 }',
        `embedded_broker: { listen: "127.0.0.1:${port}" }`,
        'ports:',
        `  - { name: livingroom, path: "${pty.gatewayPath}", device: climate, idle_timeout: 0 }`,
        '  - { name: attic, path: /dev/serial/by-id/usb-not-plugged-in, device: climate }',
      ].join('\n'),
    );
    const gw = startGateway(['run', '-c', file]);
    const device = await openDevice(pty.devicePath);
    try {
      await gw.waitForOutput('tty2mqtt running');
      const sub = await subscribe({ host: '127.0.0.1', port, topics: ['iot/home1/#'], qos: 1 });
      try {
        await sub.waitFor((m) => m.topic === 'iot/home1/gateway/state' && m.payload === 'online');
        await device.write('noise\ntemp=19.5,hum=55\n');
        const t = await sub.waitFor((m) => m.topic === 'iot/home1/livingroom/temperature');
        assert.equal(t.payload, '19.5');
        // Other clients can use the embedded broker too.
        await publish({ host: '127.0.0.1', port, topic: 'other/thing', payload: 'x' });
        // The port that is not plugged in is reported, never fatal.
        await gw.waitForOutput(/usb-not-plugged-in/);
        const started = Date.now();
        const code = await gw.kill('SIGTERM');
        assert.equal(code, 0);
        assert.ok(Date.now() - started < 5_000, 'stopped within 5 s');
        assert.match(gw.stdout(), /tty2mqtt stopped/);
      } finally {
        await sub.stop();
      }
    } finally {
      await device.close();
      await gw.kill('SIGKILL');
      await pty.kill();
    }
  });

  it('starts with the broker down and connects when it comes up (no connectAsync at start-up)', async () => {
    const port = await freePort();
    const file = join(dir, 'late-broker.yaml');
    writeFileSync(
      file,
      [
        'gateway: { id: pi, base_topic: late }',
        `mqtt: { broker: external, url: "mqtt://127.0.0.1:${port}" }`,
        'ports:',
        '  - { name: attic, path: /dev/serial/by-id/usb-not-plugged-in, device: climate }',
      ].join('\n'),
    );
    const gw = startGateway(['run', '-c', file]);
    try {
      await gw.waitForOutput('tty2mqtt running');
      await gw.waitForOutput('broker connection');
      const { startMosquitto } = await import('../helpers/mosquitto.ts');
      const broker = await startMosquitto({ port });
      try {
        const sub = await subscribe({ host: '127.0.0.1', port, topics: ['late/gateway/state'], qos: 1 });
        try {
          await sub.waitFor((m) => m.payload === 'online', 20_000);
        } finally {
          await sub.stop();
        }
      } finally {
        await broker.stop();
      }
    } finally {
      await gw.kill('SIGKILL');
    }
  });

  it('refuses a broken configuration with exit 78, every problem as FILE:LINE:COL, before opening anything', async () => {
    const port = await freePort();
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      [
        `embedded_broker: { listen: "127.0.0.1:${port}" }`,
        'ports:',
        '  - name: living room',
        '    path: /dev/ttyACM0',
        '    device: climate',
        '    baud: 9600',
      ].join('\n'),
    );
    const result = await runCli(['run', '-c', file]);
    assert.equal(result.code, 78);
    const lines = result.stderr.trim().split('\n');
    assert.ok(
      lines.some((l) => l.startsWith(`${file}:3:11: ports[0].name: `)),
      result.stderr,
    );
    assert.ok(
      lines.some((l) => l.startsWith(`${file}:6:5: ports[0].baud: `) && l.includes('baud_rate')),
      result.stderr,
    );
    // Nothing was opened: the broker port is still free.
    const { createServer } = await import('node:net');
    await new Promise<void>((resolve, reject) => {
      const s = createServer()
        .once('error', reject)
        .listen(port, '127.0.0.1', () => s.close(() => resolve()));
    });
  });

  it('check validates the repository gateway.yaml and prints the topics it will publish', async () => {
    const result = await runCli(['check', '-c', join(REPO_ROOT, 'gateway.yaml')]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /iot\/home1\/livingroom\/temperature/);
  });
});
