// A broker that refuses one topic for good (a Mosquitto ACL, MQTT 5 reason 0x87): that
// message goes to the dead letters at once, and everything behind it keeps flowing.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDevice } from '../helpers/device.ts';
import { REPO_ROOT, runCli, startGateway } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { subscribe } from '../helpers/mqtt-sub.ts';
import { createPtyPair } from '../helpers/socat.ts';

describe('dead letters: a topic the broker refuses', () => {
  let dir: string;
  let broker: Mosquitto;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-dl-'));
    chmodSync(dir, 0o755); // mosquitto drops to its own user and must read the ACL file
    const acl = join(dir, 'acl');
    writeFileSync(
      acl,
      [
        // Lines before the first `user` apply to anonymous clients: the test's subscriber.
        'topic read dl/#',
        'topic readwrite tty2mqtt-test-probe/#',
        'user gateway',
        'topic readwrite dl/#',
        'topic deny dl/room/humidity',
        '',
      ].join('\n'),
    );
    chmodSync(acl, 0o644);
    broker = await startMosquitto({ config: `acl_file ${acl}` });
  });

  after(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('dead-letters the refused message after the rules, counts it, and keeps delivering the rest', async () => {
    const pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
    const file = join(dir, 'gateway.yaml');
    writeFileSync(
      file,
      [
        'gateway: { id: dl, base_topic: dl }',
        `mqtt: { broker: external, url: "${broker.url}", username: gateway, protocol_version: 5 }`,
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        'ports:',
        `  - { name: room, path: "${pty.gatewayPath}", device: climate, idle_timeout: 0 }`,
      ].join('\n'),
    );
    const sub = await subscribe({ host: broker.host, port: broker.port, topics: ['dl/room/#'], qos: 1 });
    const gw = startGateway(['run', '-c', file]);
    const device = await openDevice(pty.devicePath);
    try {
      await gw.waitForOutput('connected to broker');
      await device.write('warm-up\ntemp=20.5,hum=40\n');
      await gw.waitForOutput('message moved to the dead letters');
      for (let i = 1; i <= 5; i += 1) await device.write(`temp=2${i}.5,hum=4${i}\n`);
      await sub.waitFor((m) => m.topic === 'dl/room/temperature' && m.payload === '25.5');
      assert.equal(sub.messages.filter((m) => m.topic === 'dl/room/humidity').length, 0);
      const temps = sub.messages.filter((m) => m.topic === 'dl/room/temperature').map((m) => m.payload);
      assert.deepEqual(temps, ['20.5', '21.5', '22.5', '23.5', '24.5', '25.5']);
      // The queue command sees the dead letters while the daemon runs.
      const listing = await runCli(['queue', '-c', file]);
      assert.equal(listing.code, 0, listing.stderr);
      assert.match(listing.stdout, /dl\/room\/humidity/);
      assert.match(listing.stdout, /not authorized/);
      assert.equal(await gw.kill('SIGTERM'), 0);
      const stopped = /"msg":"tty2mqtt stopped"/.exec(gw.stdout());
      assert.ok(stopped, gw.stdout());
      const line =
        gw
          .stdout()
          .split('\n')
          .find((l) => l.includes('"tty2mqtt stopped"')) ?? '{}';
      const books = (JSON.parse(line) as { queue: Record<string, unknown> }).queue;
      assert.equal(books['dead_lettered'], 6);
      assert.equal(books['published'], 6);
      assert.equal(books['balanced'], true);
    } finally {
      await device.close();
      await gw.kill('SIGKILL');
      await sub.stop();
      await pty.kill();
    }
  });
});

describe('dead letters: a message larger than the broker accepts', () => {
  it("is dead-lettered before sending (the broker's Maximum Packet Size), and the rest flows", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-big-'));
    // Mosquitto announces this as Maximum Packet Size in its MQTT 5 CONNACK.
    const broker = await startMosquitto({ config: 'max_packet_size 1000' });
    const pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
    const file = join(dir, 'gateway.yaml');
    writeFileSync(
      file,
      [
        'gateway: { id: big, base_topic: big }',
        `mqtt: { broker: external, url: "${broker.url}", protocol_version: 5 }`,
        `devices_dir: "${join(REPO_ROOT, 'test', 'fixtures', 'big-message', 'devices')}"`,
        'ports:',
        `  - { name: pad, path: "${pty.gatewayPath}", device: notes, idle_timeout: 0 }`,
      ].join('\n'),
    );
    const sub = await subscribe({ host: broker.host, port: broker.port, topics: ['big/pad/#'], qos: 1 });
    const gw = startGateway(['run', '-c', file]);
    const device = await openDevice(pty.devicePath);
    try {
      await gw.waitForOutput('connected to broker');
      await device.write('warm-up\n');
      await device.write(`{"note":"small one"}\n`);
      await device.write(`{"note":"${'x'.repeat(1500)}"}\n`);
      await device.write(`{"note":"small two"}\n`);
      await sub.waitFor((m) => m.payload === 'small two');
      assert.deepEqual(
        sub.messages.filter((m) => m.topic === 'big/pad/note').map((m) => m.payload),
        ['small one', 'small two'],
      );
      // The log line travels through a pipe: it may arrive after the subscriber's message.
      await gw.waitForOutput(/exceeds the broker's maximum packet size 1000/);
      // The connection was never cut for it: one connect in this run.
      assert.equal(gw.stdout().split('"connected to broker"').length - 1, 1);
      const listing = await runCli(['queue', '-c', file]);
      assert.match(listing.stdout, /big\/pad\/note/);
    } finally {
      await device.close();
      await gw.kill('SIGKILL');
      await sub.stop();
      await pty.kill();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
