// Client ids and read access on the embedded broker: a client id belongs to one login, the
// gateway's own id to the gateway's login only, and nothing reaches a client that its read
// (subscribe) ACL does not cover — neither live, nor replayed from a stored session, nor
// retained. Clients are MQTT.js (CONNACK codes and session-present flags are visible there);
// the gateway is the real daemon in the first test.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { startTestBroker } from '../helpers/embedded-broker.ts';
import { startGateway } from '../helpers/gateway-process.ts';
import { freePort } from '../helpers/ports.ts';
import { createPtyPair } from '../helpers/socat.ts';
import { until } from '../helpers/until.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-client-id-'));
const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

type Login = { username: string; password: string };

/** Connects; the client, or the CONNACK return code the broker refused with. */
async function tryConnect(
  port: number,
  options: IClientOptions,
): Promise<{ client: MqttClient; sessionPresent: boolean } | { refused: number }> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...options,
  });
  return new Promise((resolve, reject) => {
    client.once('connect', (connack) => {
      cleanups.push(() => client.endAsync(true));
      resolve({ client, sessionPresent: connack.sessionPresent });
    });
    client.once('error', (error) => {
      client.end(true);
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number') resolve({ refused: code });
      else reject(error);
    });
  });
}

/** 'accepted' (and the client closed), or the refusal's CONNACK code: short assertion messages. */
async function outcome(port: number, options: IClientOptions): Promise<number | 'accepted'> {
  const r = await tryConnect(port, options);
  if ('refused' in r) return r.refused;
  await r.client.endAsync(true);
  return 'accepted';
}

async function connected(port: number, options: IClientOptions): Promise<MqttClient> {
  const r = await tryConnect(port, options);
  if ('refused' in r) throw new Error(`CONNACK ${r.refused} for ${options.clientId ?? '?'}`);
  return r.client;
}

function collect(client: MqttClient): { topic: string; payload: string }[] {
  const seen: { topic: string; payload: string }[] = [];
  client.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
  return seen;
}

void describe("embedded broker: the gateway's client id belongs to the gateway", () => {
  const watcher: Login = { username: 'watcher', password: 'watcher pw' };
  const observer: Login = { username: 'observer', password: 'observer pw' };

  void it('refuses a logged-in user that connects with tty2mqtt-<gateway.id>; the gateway stays online', async () => {
    writeFileSync(join(dir, 'watcher.pw'), watcher.password, { mode: 0o600 });
    writeFileSync(join(dir, 'observer.pw'), observer.password, { mode: 0o600 });
    const pty = await createPtyPair(dir, { device: 'cid-dev', gateway: 'cid-gw' });
    cleanups.push(() => pty.kill());
    const port = await freePort();
    const httpPort = await freePort();
    const file = join(dir, 'cid.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'gateway: { id: cid, base_topic: iot/cid }',
        'embedded_broker:',
        `  listen: 127.0.0.1:${port}`,
        '  users:',
        '    - { username: watcher, password_file: watcher.pw }',
        '    - { username: observer, password_file: observer.pw }',
        '  acl:',
        '    - { username: watcher, subscribe: ["iot/cid/+/temperature"] }',
        '    - { username: observer, subscribe: ["iot/cid/#"] }',
        `http: { listen: "127.0.0.1:${httpPort}" }`,
        'ports:',
        `  - { name: attic, path: "${pty.gatewayPath}", device: climate, idle_timeout: 0 }`,
        'log: { level: debug }',
      ].join('\n'),
    );
    const gw = startGateway(['run', '-c', file]);
    cleanups.push(async () => void (await gw.kill('SIGKILL')));
    await gw.waitForOutput(/connected to broker/, 20_000);

    const watch = await connected(port, { clientId: 'observer-1', ...observer });
    const states = collect(watch);
    await watch.subscribeAsync('iot/cid/gateway/state', { qos: 1 });
    await until('gateway/state online', () => states.some((m) => m.payload === 'online'));

    // The reproduction: every 200 ms, the gateway's id with a persistent session.
    const codes: (number | 'accepted')[] = [];
    for (let i = 0; i < 10; i++) {
      codes.push(await outcome(port, { clientId: 'tty2mqtt-cid', clean: false, ...watcher }));
      await sleep(200);
    }
    // A stranger without a login gets no further than before.
    const anonymous = await outcome(port, { clientId: 'tty2mqtt-cid', clean: false });
    console.log(`gateway id attempts: ${JSON.stringify(codes)}; anonymous: ${anonymous}`);
    assert.deepEqual(codes, Array(10).fill(2), 'CONNACK 2 (identifier rejected) every time');
    assert.equal(anonymous, 5);

    await sleep(500);
    assert.deepEqual(
      states.map((m) => m.payload),
      ['online'],
      'gateway/state never went offline',
    );
    const output = (): string => gw.stdout() + gw.stderr();
    assert.equal(output().match(/connected to broker/g)?.length, 1, 'the gateway never reconnected');
    // JSON log lines: the quotes around the id are escaped.
    assert.match(
      output(),
      /embedded broker refused a client id: \\"tty2mqtt-cid\\" is the gateway's client id/,
    );

    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const line = /tty2mqtt_embedded_broker_refusals_total\{kind="refused_client_ids"\} (\d+)/.exec(metrics);
    console.log(`metrics: ${line?.[0] ?? 'none'}`);
    assert.equal(line?.[1], '10');
    assert.equal(await gw.kill('SIGTERM'), 0);
  });
});

void describe("embedded broker, anonymous: the gateway's client id still belongs to the gateway", () => {
  void it('refuses an anonymous client that connects with tty2mqtt-<gateway.id>; the gateway stays online', async () => {
    const pty = await createPtyPair(dir, { device: 'anon-dev', gateway: 'anon-gw' });
    cleanups.push(() => pty.kill());
    const port = await freePort();
    const file = join(dir, 'anon.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'gateway: { id: anon, base_topic: iot/anon }',
        `embedded_broker: { listen: "127.0.0.1:${port}" }`,
        'ports:',
        `  - { name: attic, path: "${pty.gatewayPath}", device: climate, idle_timeout: 0 }`,
      ].join('\n'),
    );
    const gw = startGateway(['run', '-c', file]);
    cleanups.push(async () => void (await gw.kill('SIGKILL')));
    await gw.waitForOutput(/connected to broker/, 20_000);

    const watch = await connected(port, { clientId: 'anon-watch' });
    const states = collect(watch);
    await watch.subscribeAsync('iot/anon/gateway/state', { qos: 1 });
    await until('gateway/state online', () => states.some((m) => m.payload === 'online'));

    const codes: (number | 'accepted')[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push(await outcome(port, { clientId: 'tty2mqtt-anon', clean: false }));
      await sleep(200);
    }
    // Knowing the gateway's login name is not enough: the password is checked for this id.
    codes.push(
      await outcome(port, { clientId: 'tty2mqtt-anon', username: 'tty2mqtt-gateway-0', password: 'x' }),
    );
    console.log(`anonymous attempts on the gateway's id: ${JSON.stringify(codes)}`);
    assert.deepEqual(codes, Array(6).fill(2), 'CONNACK 2 (identifier rejected) every time');
    // Any other id is still anyone's in anonymous mode.
    assert.equal(await outcome(port, { clientId: 'anything-else' }), 'accepted');
    await sleep(500);
    assert.deepEqual(
      states.map((m) => m.payload),
      ['online'],
      'gateway/state never went offline',
    );
    const output = gw.stdout() + gw.stderr();
    assert.equal(output.match(/connected to broker/g)?.length, 1, 'the gateway never reconnected');
    assert.equal(await gw.kill('SIGTERM'), 0);
  });
});

void describe('embedded broker: a client id belongs to the first login that uses it', () => {
  const alice: Login = { username: 'alice', password: 'alice pw' };
  const bob: Login = { username: 'bob', password: 'bob pw' };

  void it("refuses bob on alice's id while alice is connected or her session is stored; alice may take over her own", async () => {
    const { broker, port } = await startTestBroker(cleanups, { users: [alice, bob] });
    const first = await connected(port, { clientId: 'kitchen', clean: false, ...alice });
    assert.equal(await outcome(port, { clientId: 'kitchen', ...bob }), 2);
    assert.ok(first.connected, 'alice was not kicked off');
    // [MQTT-3.1.4-2]: the same login may take over (a half-open connection, a restart).
    const again = await connected(port, { clientId: 'kitchen', clean: false, ...alice });
    await until('the first connection to be closed', () => !first.connected);
    await again.endAsync();
    // Her session (clean = false) is stored: still hers.
    assert.equal(await outcome(port, { clientId: 'kitchen', ...bob }), 2);
    // A clean session leaves nothing behind: once it ends, the id is free again.
    const clean = await connected(port, { clientId: 'hallway', clean: true, ...alice });
    await clean.endAsync();
    await sleep(100);
    assert.equal(await outcome(port, { clientId: 'hallway', ...bob }), 'accepted');
    console.log(`refusedClientIds: ${broker.stats().refusedClientIds}`);
    assert.equal(broker.stats().refusedClientIds, 2);
  });
});

void describe("embedded broker: forwarding honours the receiver's read ACL", () => {
  const alice: Login = { username: 'alice', password: 'alice pw' };
  const bob: Login = { username: 'bob', password: 'bob pw' };
  const writer: Login = { username: 'writer', password: 'writer pw' };
  const acl = [
    { username: 'alice', publish: [], subscribe: ['a/#'] },
    { username: 'bob', publish: [], subscribe: ['b/#'] },
    { username: 'writer', publish: ['a/#', 'b/#'], subscribe: [] },
  ];

  void it('drops what bob may not read: session replay, retained and live messages', async () => {
    // A client-id book of 160 bytes (an entry is 64 + the id's and username's bytes: alice's
    // 83, the writer's 78): the stored session's owner is forgotten as soon as the writer
    // claims its id, so bob can resume alice's session. What he may read must still be
    // decided by his own ACL, not by the subscriptions stored with the session.
    const { broker, port, logLines } = await startTestBroker(cleanups, {
      users: [alice, bob, writer],
      acl,
      maxClientIdBookBytes: 160,
    });
    const a = await connected(port, { clientId: 'shared-session', clean: false, ...alice });
    await a.subscribeAsync('a/#', { qos: 1 });
    await a.endAsync();
    const w = await connected(port, { clientId: 'writer-1', ...writer });
    await w.publishAsync('a/secret', 'queued for alice', { qos: 1 });
    await w.publishAsync('a/retained', 'retained secret', { qos: 1, retain: true });
    await w.publishAsync('b/retained', 'for bob', { qos: 1, retain: true });

    const resumed = await tryConnect(port, { clientId: 'shared-session', clean: false, ...bob });
    assert.ok('client' in resumed, `bob refused with CONNACK ${'refused' in resumed ? resumed.refused : ''}`);
    const seen = collect(resumed.client);
    console.log(`bob resumed alice's stored session: sessionPresent=${resumed.sessionPresent}`);
    await resumed.client.subscribeAsync('b/#', { qos: 1 });
    // Beyond his ACL: SUBACK 0x80, so no retained a/retained either.
    await assert.rejects(resumed.client.subscribeAsync('+/retained', { qos: 1 }), /Subscribe error/);
    await w.publishAsync('a/live', 'live secret', { qos: 1 });
    await w.publishAsync('b/live', 'live for bob', { qos: 1 });
    await until('b/live', () => seen.some((m) => m.topic === 'b/live'));
    await sleep(300);
    console.log(
      `bob received: ${JSON.stringify(seen.map((m) => m.topic))}; stats: ${JSON.stringify(broker.stats())}`,
    );
    assert.deepEqual(seen.map((m) => m.topic).sort(), ['b/live', 'b/retained']);
    assert.ok(broker.stats().refusedForwards >= 1, 'the replayed a/secret was refused');
    assert.ok(
      logLines.some((l) => l.includes('embedded broker refused to forward') && l.includes('a/secret')),
    );
  });
});
