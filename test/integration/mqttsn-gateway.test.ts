// End to end: MQTT-SN devices on socat ptys (the real serialport bindings on both
// ends), the real daemon as a child process, a real Mosquitto, and mosquitto_sub /
// mosquitto_pub as the user's other clients. One port speaks raw framing (devices/
// sn-weather), one SLIP with CRC-16 (devices/sn-relay), one COBS with a forwarder carrying
// two wireless nodes in Forwarder Encapsulation (a profile written by the test).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPort } from 'serialport';
import { loadProfileById } from '../../src/config/profiles.ts';
import { MqttSnClient } from '../../src/sim/mqttsn-client/client.ts';
import type { MqttSnClientOptions, MqttSnMessage } from '../../src/sim/mqttsn-client/client.ts';
import type { InnerPacket } from '../../src/mqttsn/packet-types.ts';
import { runSimulateMqttSn } from '../../src/sim/simulate-mqttsn.ts';
import { REPO_ROOT, startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { ReceivedMessage, Subscription } from '../helpers/mqtt-sub.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';
import { until } from '../helpers/until.ts';

const BASE = 'iot/sn';

interface Device {
  client: MqttSnClient;
  port: SerialPort;
  messages: MqttSnMessage[];
  close(): Promise<void>;
}

/** An MQTT-SN client on the device end of a pty; the port is exposed so a test can pause it. */
async function openDevice(
  path: string,
  options: Omit<MqttSnClientOptions, 'write' | 'onMessage'>,
): Promise<Device> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false, hupcl: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  port.on('error', () => undefined);
  const messages: MqttSnMessage[] = [];
  const client = new MqttSnClient({
    ...options,
    write: (bytes) => port.write(bytes),
    onMessage: (m) => messages.push(m),
  });
  port.on('data', (chunk: Buffer) => client.onInput(chunk));
  return {
    client,
    port,
    messages,
    close: async () => {
      client.stop();
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };
}

function on(sub: Subscription, topic: string): ReceivedMessage[] {
  return sub.messages.filter((m) => m.topic === topic);
}

describe('MQTT-SN gateway on serial ports → Mosquitto', () => {
  let dir: string;
  let broker: Mosquitto;
  let weatherPty: PtyPair;
  let relayPty: PtyPair;
  let fwdPty: PtyPair;
  let gateway: GatewayProcess;
  let sub: Subscription;
  const devices: Device[] = [];
  let configPath: string;

  const startGw = async (): Promise<void> => {
    gateway = startGateway(['run', '-c', configPath]);
    await gateway.waitForOutput('tty2mqtt running', 20_000);
    await gateway.waitForOutput('port weather: opened', 10_000);
    await gateway.waitForOutput('port relay: opened', 10_000);
    await gateway.waitForOutput('port fwd: opened', 10_000);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-sn-'));
    broker = await startMosquitto();
    weatherPty = await createPtyPair(dir, { device: 'weather-dev', gateway: 'weather-gw' });
    relayPty = await createPtyPair(dir, { device: 'relay-dev', gateway: 'relay-gw' });
    fwdPty = await createPtyPair(dir, { device: 'fwd-dev', gateway: 'fwd-gw' });
    mkdirSync(join(dir, 'devices', 'sn-fwd'), { recursive: true });
    writeFileSync(
      join(dir, 'devices', 'sn-fwd', 'profile.yaml'),
      [
        'id: sn-fwd',
        'description: a forwarder on COBS carrying several wireless nodes (test profile)',
        'protocol: mqttsn',
        'mqttsn: { framing: cobs, max_clients: 2 }',
        'fields:',
        '  temp: { type: number, min: -40, max: 85 }',
      ].join('\n'),
    );
    configPath = join(dir, 'gateway.yaml');
    writeFileSync(
      configPath,
      [
        'version: 1',
        `gateway: { id: sngw, base_topic: ${BASE} }`,
        `mqtt: { broker: external, url: "${broker.url}", keepalive: 5s }`,
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        `devices_dir: "${join(dir, 'devices')}"`,
        'ports:',
        `  - { name: weather, path: "${weatherPty.gatewayPath}", device: sn-weather, idle_timeout: 0 }`,
        `  - { name: relay, path: "${relayPty.gatewayPath}", device: sn-relay, idle_timeout: 0 }`,
        `  - { name: fwd, path: "${fwdPty.gatewayPath}", device: sn-fwd, idle_timeout: 0 }`,
        'log: { level: debug }',
      ].join('\n'),
    );
    // MQTT 5: messages carry the gateway's stable id (user property `id`).
    sub = await subscribe({
      host: broker.host,
      port: broker.port,
      topics: [`${BASE}/#`],
      qos: 2,
      protocolV5: true,
    });
    await startGw();
  });

  after(async () => {
    for (const d of devices) await d.close();
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await weatherPty?.kill();
    await relayPty?.kill();
    await fwdPty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with a Will, publishes at QoS −1/0/1/2 on predefined, short and registered topics (§6.2–6.8)', async () => {
    const d = await openDevice(weatherPty.devicePath, {
      clientId: 'weather-1',
      framing: 'raw',
      keepAliveS: 30,
      retryMs: 1000,
      will: { topic: 'status', payload: 'lost', qos: 1, retain: true },
    });
    devices.push(d);
    assert.equal(await d.client.connect(), 0);
    assert.equal(await d.client.publish({ kind: 'predefined', id: 1 }, '21.5', { qos: 1 }), 0);
    assert.equal(await d.client.publish({ kind: 'predefined', id: 2 }, '40.5', { qos: 2 }), 0);
    await d.client.publish({ kind: 'short', name: 'tm' }, 'short', { qos: 0 });
    await d.client.publish({ kind: 'predefined', id: 1 }, '22.5', { qos: -1 });
    assert.equal(await d.client.publish('boot/count', '7', { qos: 1, retain: true }), 0);
    await sub.waitFor((m) => m.topic === `${BASE}/weather/boot/count`, 10_000);
    await sub.waitFor((m) => m.topic === `${BASE}/weather/temperature` && m.payload === '22.5', 10_000);
    await sub.waitFor((m) => m.topic === `${BASE}/weather/tm`, 10_000);
    // QoS levels travel separately (QoS 0 in the memory ring, QoS 2 with its handshake).
    await sub.waitFor((m) => m.topic === `${BASE}/weather/humidity`, 10_000);
    await sleep(300); // a second copy would come now
    assert.deepEqual(
      on(sub, `${BASE}/weather/temperature`).map((m) => m.payload),
      ['21.5', '22.5'],
    );
    const humidity = on(sub, `${BASE}/weather/humidity`);
    assert.deepEqual(
      humidity.map((m) => [m.payload, m.qos]),
      [['40.5', 2]],
      'QoS 2 delivered once',
    );
    const boot = on(sub, `${BASE}/weather/boot/count`);
    assert.equal(boot[0]?.retain, false, 'a live subscriber sees retain=0 (MQTT 3.1.1 §3.3.1.3)');
  });

  it('refuses what the profile forbids: schema (0x03), unknown topic id (0x02), topics outside the port', async () => {
    const d = devices[0] as Device;
    assert.equal(
      await d.client.publish({ kind: 'predefined', id: 2 }, '150', { qos: 1 }),
      3,
      'humidity max 100',
    );
    assert.equal(await d.client.publish({ kind: 'predefined', id: 99 }, '1', { qos: 1 }), 2);
    await assert.rejects(d.client.register('a/+/b'));
    await assert.rejects(d.client.register('$SYS/x'));
    await sleep(300);
    assert.equal(on(sub, `${BASE}/weather/humidity`).length, 1, 'the refused reading was not published');
  });

  it('subscribes with a wildcard and receives what mosquitto_pub publishes, REGISTERed first (§6.9, §6.10)', async () => {
    const d = devices[0] as Device;
    const suback = await d.client.subscribe('cmd/#', 1);
    assert.equal(suback.returnCode, 0);
    assert.equal(suback.topicId, 0, 'a wildcard subscription has topic id 0x0000');
    await sleep(300); // the gateway's SUBSCRIBE reaches Mosquitto
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/weather/cmd/led`,
      payload: 'on',
      qos: 1,
    });
    await until('the command at the device', () => d.messages.some((m) => m.topic === 'cmd/led'));
    const m = d.messages.find((x) => x.topic === 'cmd/led');
    assert.equal(m?.payload.toString(), 'on');
    assert.equal(m?.qos, 1);
    // Outside the subtree: not delivered, and a SUBSCRIBE there is refused.
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/relay/cmd/led`,
      payload: 'x',
      qos: 1,
    });
    const outside = await d.client.subscribe('/relay/#', 0).then(
      (r) => r.returnCode,
      () => -1,
    );
    assert.notEqual(outside, 0);
    await sleep(300);
    assert.equal(d.messages.filter((x) => x.topic === 'cmd/led').length, 1);
  });

  it('keeps messages for a sleeping client and delivers them when it wakes (§6.14)', async () => {
    const d = devices[0] as Device;
    await d.client.sleep(30);
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/weather/cmd/fan`,
      payload: 'hi',
      qos: 1,
    });
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/weather/cmd/fan`,
      payload: 'lo',
      qos: 0,
    });
    await sleep(500);
    assert.equal(d.messages.filter((m) => m.topic === 'cmd/fan').length, 0, 'nothing while asleep');
    await d.client.wake();
    assert.deepEqual(
      d.messages.filter((m) => m.topic === 'cmd/fan').map((m) => m.payload.toString()),
      ['hi', 'lo'],
    );
  });

  it('publishes the Will when a client goes silent past 1.5× its keep-alive (§6.3, §6.11)', async () => {
    const d = await openDevice(relayPty.devicePath, {
      clientId: 'relay-1',
      framing: 'slip',
      keepAliveS: 2,
      autoPing: false,
      retryMs: 1000,
      will: { topic: 'relay', payload: 'off', qos: 1, retain: true },
    });
    devices.push(d);
    assert.equal(await d.client.connect(), 0);
    assert.equal(await d.client.publish('relay', 'on', { qos: 1 }), 0);
    await sub.waitFor((m) => m.topic === `${BASE}/relay/relay` && m.payload === 'on', 10_000);
    await sub.waitFor((m) => m.topic === `${BASE}/relay/relay` && m.payload === 'off', 10_000);
  });

  it('SLIP: line noise between frames costs only the damaged frame', async () => {
    const d = devices[1] as Device;
    assert.equal(await d.client.connect(), 0);
    // Garbage, a frame with a broken CRC, a bad escape — then real traffic.
    d.port.write(Buffer.from([0x13, 0x37, 0xc0, 0x05, 0x0c, 0x00, 0x01, 0xde, 0xad, 0xc0, 0xdb, 0x41, 0xc0]));
    for (let i = 0; i < 5; i++)
      assert.equal(await d.client.publish('uptime', String(100 + i), { qos: 1 }), 0);
    await until('five uptimes', () => on(sub, `${BASE}/relay/uptime`).length === 5);
    assert.deepEqual(
      on(sub, `${BASE}/relay/uptime`).map((m) => m.payload),
      ['100', '101', '102', '103', '104'],
    );
    assert.equal(await d.client.publish('undeclared', '1', { qos: 1 }), 3, 'undeclared_topics: false');
  });

  it('COBS behind a forwarder: two wireless nodes on one port, each its own session (§5.5)', async () => {
    const nodes: Device[] = [];
    // Both nodes share the forwarder's tty: one SerialPort, two clients told apart by node id.
    const port = new SerialPort({ path: fwdPty.devicePath, baudRate: 115200, autoOpen: false, hupcl: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    for (const id of [0x2a, 0x2b]) {
      const messages: MqttSnMessage[] = [];
      const client = new MqttSnClient({
        clientId: `node-${id.toString(16)}`,
        framing: 'cobs',
        nodeId: Buffer.from([0x00, id]),
        retryMs: 1000,
        write: (bytes) => port.write(bytes),
        onMessage: (m) => messages.push(m),
      });
      port.on('data', (chunk: Buffer) => client.onInput(chunk));
      nodes.push({ client, port, messages, close: () => Promise.resolve(client.stop()) });
    }
    devices.push(...nodes, {
      client: (nodes[0] as Device).client,
      port,
      messages: [],
      close: async () => {
        if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      },
    });
    const [a, b] = nodes as [Device, Device];
    assert.equal(await a.client.connect(), 0);
    assert.equal(await b.client.connect(), 0);
    // Noise on the line: a damaged frame between two delimiters, then real traffic.
    port.write(Buffer.from([0x00, 0x05, 0x11, 0x22, 0x33, 0x00]));
    assert.equal(await a.client.publish('temp', '20.5', { qos: 1 }), 0);
    assert.equal(await b.client.publish('temp', '21.5', { qos: 1 }), 0);
    assert.equal(await b.client.publish('temp', '-99', { qos: 1 }), 3, 'below min: refused');
    await until('both readings', () => on(sub, `${BASE}/fwd/temp`).length === 2);
    assert.deepEqual(
      on(sub, `${BASE}/fwd/temp`).map((m) => m.payload),
      ['20.5', '21.5'],
    );
    assert.equal((await b.client.subscribe('led/set', 1)).returnCode, 0);
    await sleep(300);
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/fwd/led/set`,
      payload: 'on',
      qos: 1,
    });
    await until('the command at node b', () => b.messages.length === 1);
    assert.equal(b.messages[0]?.payload.toString(), 'on');
    assert.equal(a.messages.length, 0, 'node a did not subscribe');
  });

  it('kill -9 between a QoS 1 PUBLISH and its PUBACK: the device resends (DUP), nothing lost or doubled', async () => {
    await (devices[0] as Device).close(); // the sleeping client of the tests above
    const trace: string[] = [];
    const fresh = await openDevice(weatherPty.devicePath, {
      clientId: 'weather-2',
      framing: 'raw',
      retryMs: 1000,
      maxRetries: 20,
      onPacket: (dir, p) => trace.push(`${dir} ${JSON.stringify(p)}`),
    });
    devices.push(fresh);
    assert.equal(await fresh.client.connect(), 0);
    // The device stops reading: the PUBACK will sit in the pty and be thrown away.
    fresh.port.pause();
    const acked = fresh.client.publish({ kind: 'predefined', id: 1 }, '33.3', { qos: 1 });
    await sub.waitFor((m) => m.topic === `${BASE}/weather/temperature` && m.payload === '33.3', 10_000);
    await gateway.kill('SIGKILL');
    await new Promise<void>((resolve) => fresh.port.flush(() => resolve()));
    fresh.port.resume();
    await startGw();
    assert.equal(await acked, 0, 'the resent PUBLISH is acknowledged by the restarted gateway');
    await sleep(500);
    // The broker leg is at least once too: a PUBLISH the dead gateway had not seen PUBACKed
    // is sent again under the same stable id. Queued twice would mean two stable ids.
    const copies = on(sub, `${BASE}/weather/temperature`).filter((m) => m.payload === '33.3');
    const stableIds = new Set(copies.map((m) => /(?:^| )id:(\S+)/.exec(m.userProperties ?? '')?.[1]));
    assert.equal(
      stableIds.size,
      1,
      `queued once: the restarted gateway recognised the DUP by its committed mark\n${trace.join('\n')}`,
    );
    assert.ok(!stableIds.has(undefined), 'every copy carries its stable id');
  });

  it('one client cannot grow the port: SUBSCRIBE past max_subscriptions → SUBACK 0x02; a REGISTER that is not UTF-8 → REGACK 0x03', async () => {
    for (const d of devices.splice(0)) await d.close(); // free the weather pty
    const inbound: InnerPacket[] = [];
    const d = await openDevice(weatherPty.devicePath, {
      clientId: 'weather-3',
      framing: 'raw',
      retryMs: 1000,
      onPacket: (dir, p) => {
        if (dir === 'in' && p.type !== 'ENCAPSULATED') inbound.push(p);
      },
    });
    devices.push(d);
    assert.equal(await d.client.connect(), 0);
    // sn-weather keeps the default max_subscriptions: 64.
    for (let i = 0; i < 64; i++) assert.equal((await d.client.subscribe(`cap/${i}/#`, 0)).returnCode, 0);
    const refused = await d.client.subscribe('cap/64/#', 0).then(
      (r) => r.returnCode,
      (e: { returnCode?: number }) => e.returnCode ?? -1,
    );
    assert.equal(refused, 2, 'the 65th filter is refused with SUBACK 0x02');
    await gateway.waitForOutput('too_many_subscriptions', 5000);
    await sleep(300); // the gateway's SUBSCRIBEs reach Mosquitto
    for (const topic of ['cap/64/x', 'cap/0/x'])
      await publish({
        host: broker.host,
        port: broker.port,
        topic: `${BASE}/weather/${topic}`,
        payload: topic,
        qos: 0,
      });
    await until('the message under a held filter', () => d.messages.some((m) => m.topic === 'cap/0/x'));
    await sleep(300);
    assert.deepEqual(
      d.messages.filter((m) => m.topic.startsWith('cap/')).map((m) => m.topic),
      ['cap/0/x'],
      'nothing is delivered under the refused filter: it never became a broker subscription',
    );
    // MQTT-SN 1.2 §5.4.10: REGISTER TopicId 0x0000, MsgId 0x002A, TopicName 0xFF 0xFE (not UTF-8).
    d.port.write(Buffer.from([0x08, 0x0a, 0x00, 0x00, 0x00, 0x2a, 0xff, 0xfe]));
    await until('the REGACK', () => inbound.some((p) => p.type === 'REGACK' && p.msgId === 0x2a));
    const regack = inbound.find((p) => p.type === 'REGACK' && p.msgId === 0x2a);
    console.log(`# REGACK for a non-UTF-8 TopicName: ${JSON.stringify(regack)}`);
    assert.deepEqual(regack, { type: 'REGACK', topicId: 0, msgId: 0x2a, returnCode: 3 });
    await gateway.waitForOutput('"reason":"bad_utf8"', 5000); // counted and logged as a discard
  });

  it('tty2mqtt simulate plays an MQTT-SN device: QoS 2 readings, sleeping between them', async () => {
    for (const d of devices.splice(0)) await d.close(); // free the weather pty
    const before = on(sub, `${BASE}/weather/humidity`).length;
    const lines: string[] = [];
    await runSimulateMqttSn({
      profile: await loadProfileById('sn-weather', [join(REPO_ROOT, 'devices')], REPO_ROOT),
      path: weatherPty.devicePath,
      baudRate: 115200,
      intervalMs: 300,
      count: 2,
      qos: 2,
      sleepS: 1,
      signal: new AbortController().signal,
      out: (line) => lines.push(line),
    });
    await until(
      'two more humidity readings',
      () => on(sub, `${BASE}/weather/humidity`).length === before + 2,
    );
    for (const expected of ['< CONNACK returnCode=0', '< PUBCOMP', '> DISCONNECT duration=1', '< PINGRESP'])
      assert.ok(
        lines.some((l) => l.startsWith(expected)),
        `${expected} in the trace:\n${lines.join('\n')}`,
      );
  });
});
