// MQTT 5 Response Topic (§3.3.2.3.5) end to end, with a real Mosquitto enforcing an ACL, a
// socat pty and the real daemon. `asker` may only publish requests; with Response Topic
// `<base>/<port>/<command>/set` it once had the gateway publish the answer there under the
// gateway's own identity, and the device received the command. Now the Response Topic is
// refused (counted on /metrics, logged naming it) and the answer comes on the default topic;
// one under `<base>/gateway/response/` is still honoured.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import type { Subscription } from '../helpers/mqtt-sub.ts';
import { freePort } from '../helpers/ports.ts';
import { createPtyPair, openDeviceEnd } from '../helpers/socat.ts';
import type { DeviceEnd, PtyPair } from '../helpers/socat.ts';

const BASE = 'iot/rt';
const COMMAND_TOPIC = `${BASE}/dev/reset/set`;
const DEFAULT_ANSWER = `${BASE}/gateway/response/health`;

describe('request Response Topic (MQTT 5) is not a deputy', () => {
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let gateway: GatewayProcess;
  let device: DeviceEnd;
  let watcher: Subscription;
  let asker: MqttClient;
  let http: string;
  /** What asker received, with the MQTT 5 properties mosquitto_sub would not show. */
  const answers: { topic: string; payload: string; correlation: string | undefined }[] = [];

  const refusedOnMetrics = async (reason: string): Promise<number> => {
    const text = await (await fetch(`${http}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`tty2mqtt_request_response_topics_refused_total{reason="${reason}"}`));
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  };

  const request = (responseTopic: string, id: string): Promise<unknown> =>
    asker.publishAsync(`${BASE}/gateway/request/health`, '', {
      qos: 1,
      properties: { responseTopic, correlationData: Buffer.from(id) },
    });

  const waitAnswer = async (topic: string, id: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = answers.find((a) => a.topic === topic && a.correlation === id);
      if (found !== undefined) return found;
      assert.ok(Date.now() < deadline, `no answer ${id} on ${topic}`);
      await sleep(20);
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-rt-'));
    chmodSync(dir, 0o755); // mosquitto drops to its own user and must read its files
    const passwd = join(dir, 'mosquitto.passwd');
    writeFileSync(passwd, '');
    execFileSync('mosquitto_passwd', ['-b', passwd, 'gw', 'gw-pass']);
    execFileSync('mosquitto_passwd', ['-b', passwd, 'asker', 'asker-pass']);
    chmodSync(passwd, 0o644);
    const acl = join(dir, 'mosquitto.acl');
    writeFileSync(
      acl,
      [
        // anonymous (the test's watcher): reads everything, publishes nothing
        `topic read ${BASE}/#`,
        'topic readwrite tty2mqtt-test-probe/#', // mqtt-sub.ts's readiness probe
        'user gw',
        `topic readwrite ${BASE}/#`,
        // asker may send requests and read answers, and nothing else
        'user asker',
        `topic write ${BASE}/gateway/request/#`,
        `topic read ${BASE}/gateway/response/#`,
        '',
      ].join('\n'),
    );
    chmodSync(acl, 0o644);
    broker = await startMosquitto({ config: `password_file ${passwd}\nacl_file ${acl}` });
    pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
    mkdirSync(join(dir, 'devices', 'rt-dev'), { recursive: true });
    writeFileSync(
      join(dir, 'devices', 'rt-dev', 'profile.yaml'),
      [
        'id: rt-dev',
        'protocol: line',
        'line: { format: kv }',
        'fields:',
        '  temp: { type: number }',
        'commands:',
        '  reset:',
        '    payload: { type: none }',
        '    write: "RESET energy"',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'gw.secret'), 'gw-pass\n', { mode: 0o600 });
    const httpPort = await freePort();
    http = `http://127.0.0.1:${httpPort}`;
    writeFileSync(
      join(dir, 'gateway.yaml'),
      [
        'version: 1',
        `gateway: { id: rtgw, base_topic: ${BASE} }`,
        `mqtt: { broker: external, url: "${broker.url}", username: gw, password_file: "${join(dir, 'gw.secret')}", protocol_version: 5 }`,
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        `devices_dir: "${join(dir, 'devices')}"`,
        `http: { listen: "127.0.0.1:${httpPort}" }`,
        'ports:',
        `  - { name: dev, path: "${pty.gatewayPath}", device: rt-dev, idle_timeout: 0 }`,
      ].join('\n'),
    );
    watcher = await subscribe({ host: broker.host, port: broker.port, topics: [`${BASE}/#`], qos: 1 });
    device = await openDeviceEnd(pty.devicePath);
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    await gateway.waitForOutput('port dev: opened', 20_000);
    asker = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: 'rt-asker',
      username: 'asker',
      password: 'asker-pass',
    });
    asker.on('message', (topic, payload, packet) =>
      answers.push({
        topic,
        payload: payload.toString(),
        correlation: packet.properties?.correlationData?.toString(),
      }),
    );
    await asker.subscribeAsync(`${BASE}/gateway/response/#`, { qos: 1 });
    await sleep(500); // the gateway's SUBSCRIBEs reach Mosquitto
  });

  after(async () => {
    await asker?.endAsync(true);
    await device?.close();
    await gateway?.kill('SIGKILL');
    await watcher?.stop();
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asker cannot publish the command itself (the ACL holds)', async () => {
    // MQTT 5: Mosquitto answers the PUBLISH with PUBACK reason 0x87 Not authorized.
    await assert.rejects(asker.publishAsync(COMMAND_TOPIC, '', { qos: 1 }), /Not authorized/);
    await sleep(1000);
    assert.ok(!device.received().toString().includes('RESET'), 'the ACL let asker write the command');
  });

  it('a Response Topic naming a device command is refused: no write to the device, answer on the default topic', async () => {
    await request(COMMAND_TOPIC, 'rt-1');
    const answer = await waitAnswer(DEFAULT_ANSWER, 'rt-1');
    assert.equal((JSON.parse(answer.payload) as { ok: boolean }).ok, true);
    // Anything the gateway publishes for this request follows the default answer within
    // milliseconds; a second is generous.
    await sleep(1000);
    const written = device.received().toString();
    assert.ok(!written.includes('RESET'), `the device received ${JSON.stringify(written)}`);
    assert.ok(!watcher.messages.some((m) => m.topic === COMMAND_TOPIC), 'published on the command topic');
    await gateway.waitForOutput(`response topic ${COMMAND_TOPIC} refused (outside)`, 5000);
    assert.equal(await refusedOnMetrics('outside'), 1);
    console.log(
      `response topic: device received ${written.length} B, ` +
        `${watcher.messages.filter((m) => m.topic === COMMAND_TOPIC).length} messages on ${COMMAND_TOPIC}`,
    );
  });

  it('a Response Topic under gateway/response/ still gets the answer with its Correlation Data', async () => {
    const mine = `${BASE}/gateway/response/asker-1`;
    await request(mine, 'rt-2');
    const answer = await waitAnswer(mine, 'rt-2');
    assert.equal((JSON.parse(answer.payload) as { id: string }).id, 'rt-2');
    await waitAnswer(DEFAULT_ANSWER, 'rt-2');
    assert.equal(await refusedOnMetrics('outside'), 1, 'not counted as refused');
  });
});
