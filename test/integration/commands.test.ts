// Commands end to end: commands published to Mosquitto reach the device end of a socat
// pty byte-exact through the real daemon, or are refused with a result event saying why.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import type { IClientPublishOptions, MqttClient } from 'mqtt';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { subscribe } from '../helpers/mqtt-sub.ts';
import type { Subscription } from '../helpers/mqtt-sub.ts';
import { freePort } from '../helpers/ports.ts';
import { createPtyPair, openDeviceEnd } from '../helpers/socat.ts';
import type { DeviceEnd, PtyPair } from '../helpers/socat.ts';

const BASE = 'iot/cmd';
const SET = (command: string): string => `${BASE}/dev/${command}/set`;

const PROFILE = [
  'id: cmd-dev',
  'description: a device that takes commands (test profile)',
  'protocol: line',
  'line: { format: kv }',
  'fields:',
  '  temp: { type: number }',
  'commands:',
  '  led:',
  '    payload: { type: enum, values: ["on", "off"] }',
  '    write: "LED {value}"',
  '    reply: { ok: "^OK LED", error: "^ERR (?<reason>.*)$", timeout: 1s }',
  '  level:',
  '    payload: { type: integer, min: 0, max: 255 }',
  '    write: "LEVEL {value}"',
  '  relay:',
  '    payload: { type: boolean }',
  '    write: "RELAY {value}"',
  '  say:',
  '    payload: { type: string, max_length: 200 }',
  '    write: "SAY {value}"',
  '  reset:',
  '    payload: { type: none }',
  '    write: "RESET"',
  'command_options: { gap: 10ms, ttl: 3s, max_pending: 120 }',
].join('\n');

interface Result {
  id: string;
  command: string;
  status: string;
  reason?: string;
}

describe('commands to a line device', () => {
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let gateway: GatewayProcess;
  let device: DeviceEnd;
  let sub: Subscription;
  let client: MqttClient;

  const results = (command?: string): Result[] =>
    sub.messages
      .filter(
        (m) =>
          m.topic.endsWith('/result') &&
          (command === undefined || m.topic === `${BASE}/dev/${command}/result`),
      )
      .map((m) => JSON.parse(m.payload) as Result);

  const send = (command: string, payload: string | Buffer, opts: IClientPublishOptions = {}): Promise<void> =>
    new Promise((resolve, reject) =>
      client.publish(SET(command), payload, { qos: 1, ...opts }, (e) => (e ? reject(e) : resolve())),
    );

  /** Sends, then waits for the command's next result event. */
  const sendAndResult = async (
    command: string,
    payload: string | Buffer,
    opts: IClientPublishOptions = {},
  ): Promise<Result> => {
    const before = results(command).length;
    await send(command, payload, opts);
    const deadline = Date.now() + 5000;
    while (results(command).length === before) {
      if (Date.now() > deadline) throw new Error(`no result for ${command}`);
      await sleep(20);
    }
    return results(command)[before] as Result;
  };

  const writtenText = (): string => device.received().toString('utf8');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-cmd-'));
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
    mkdirSync(join(dir, 'devices', 'cmd-dev'), { recursive: true });
    writeFileSync(join(dir, 'devices', 'cmd-dev', 'profile.yaml'), PROFILE);
    writeFileSync(
      join(dir, 'gateway.yaml'),
      [
        'version: 1',
        `gateway: { id: cmdgw, base_topic: ${BASE} }`,
        `mqtt: { broker: external, url: "${broker.url}" }`,
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        `devices_dir: "${join(dir, 'devices')}"`,
        'ports:',
        `  - { name: dev, path: "${pty.gatewayPath}", device: cmd-dev, idle_timeout: 0 }`,
      ].join('\n'),
    );
    sub = await subscribe({ host: broker.host, port: broker.port, topics: [`${BASE}/#`], qos: 1 });
    device = await openDeviceEnd(pty.devicePath);
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    await gateway.waitForOutput('port dev: opened', 20_000);
    await device.write('temp=1\n'); // the first line after an open is discarded (docs/contract.md §4.1)
    client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'cmd-test' });
    await sleep(500); // the gateway's SUBSCRIBEs reach Mosquitto
  });

  after(async () => {
    await client?.endAsync();
    await device?.close();
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes each command byte-exact and reports it written', async () => {
    assert.deepEqual(await sendAndResult('level', '42'), {
      id: (results('level')[0] as Result).id,
      command: 'level',
      status: 'written',
    });
    await sendAndResult('relay', 'true');
    await sendAndResult('relay', 'OFF');
    await sendAndResult('reset', 'anything');
    await sendAndResult('say', 'héllo wörld');
    await device.waitFor('SAY héllo wörld\n');
    assert.equal(writtenText(), 'LEVEL 42\nRELAY on\nRELAY off\nRESET\nSAY héllo wörld\n');
  });

  it('echoes an MQTT 5 correlation data as the result id', async () => {
    const r = await sendAndResult('level', '7', { properties: { correlationData: Buffer.from('req-77') } });
    assert.equal(r.id, 'req-77');
    assert.equal(r.status, 'written');
    // `written` is reported when the gateway writes; the bytes reach the device end of the
    // pty a little later. The next case compares what the device received before and after.
    await device.waitFor('LEVEL 7\n');
  });

  it('rejects what the schema, the line rules or the size limit forbid, and writes none of it', async () => {
    const before = writtenText();
    const cases: [string, string | Buffer, RegExp][] = [
      ['led', 'blink', /not one of/],
      ['level', '256', /255/],
      ['level', '4.5', /integer/],
      ['say', 'two\nlines', /CR, LF or NUL/],
      ['say', 'nul\u0000byte', /CR, LF or NUL/],
      ['say', 'x'.repeat(60), /max_bytes is 63/],
      ['say', Buffer.from([0xff, 0xfe]), /UTF-8/],
    ];
    for (const [command, payload, reason] of cases) {
      const r = await sendAndResult(command, payload);
      assert.equal(r.status, 'rejected', `${command} ${String(payload)}`);
      assert.match(r.reason ?? '', reason);
    }
    await sleep(200);
    assert.equal(writtenText(), before, 'nothing written');
  });

  it('ignores retained commands when they are replayed: no ghost switching after a restart', async () => {
    // A retained command published now is live (a subscriber sees retain = 0, MQTT 3.1.1
    // §3.3.1.3) and is written; the broker keeps it and replays it, retain = 1, to every new
    // subscription — after a broker or gateway restart. That replay is refused.
    await sendAndResult('level', '99', { retain: true });
    await device.waitFor('LEVEL 99\n');
    await gateway.kill('SIGKILL');
    const before = results('level').length;
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    await gateway.waitForOutput('port dev: opened', 20_000);
    await device.write('temp=1\n'); // the first line after an open is discarded
    const deadline = Date.now() + 10_000;
    while (results('level').length === before && Date.now() < deadline) await sleep(50);
    const r = results('level')[before];
    assert.equal(r?.status, 'rejected');
    assert.match(r?.reason ?? '', /retained/);
    await send('level', '', { retain: true }); // clear it at the broker
    await sleep(300);
    assert.equal(writtenText().split('LEVEL 99').length - 1, 1, 'written once, not again on the replay');
  });

  it('waits for the device reply: OK → acked, ERR → failed with its reason, silence → failed timeout', async () => {
    await send('led', 'on');
    await device.waitFor('LED on\n');
    await device.write('OK LED\n');
    await sleep(300);
    await send('led', 'off');
    await device.waitFor('LED off\n');
    await device.write('ERR relay busy\n');
    await sleep(300);
    const before = results('led').length;
    await send('led', 'on');
    await sleep(1800);
    const statuses = results('led').map((r) => [r.status, r.reason ?? '']);
    assert.deepEqual(statuses.slice(-6), [
      ['written', ''],
      ['acked', ''],
      ['written', ''],
      ['failed', 'relay busy'],
      ['written', ''],
      ['failed', 'timeout'],
    ]);
    assert.equal(results('led').length, before + 2);
  });

  it('paces a burst of 100 commands: in order, none spliced, at least `gap` apart', async () => {
    const start = writtenText().length;
    const startedAt = Date.now();
    for (let i = 100; i < 200; i++) void send('level', String(i));
    await device.waitFor('LEVEL 199\n', 20_000);
    const elapsed = Date.now() - startedAt;
    const lines = device.received().toString('utf8').slice(start).split('\n').filter(Boolean);
    assert.deepEqual(
      lines,
      Array.from({ length: 100 }, (_, i) => `LEVEL ${100 + i}`),
    );
    assert.ok(elapsed >= 99 * 10, `100 commands 10 ms apart took ${elapsed} ms`);
  });

  it('holds commands while the port is closed: written after a replug within the TTL, expired after it', async () => {
    await device.close();
    await pty.kill();
    await gateway.waitForOutput(/port dev: .* lost/, 10_000);
    await send('level', '1'); // waits; the port comes back in time
    await sleep(300);
    pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
    device = await openDeviceEnd(pty.devicePath);
    await device.waitFor('LEVEL 1\n', 15_000);
    // Now past the TTL (3 s).
    await device.close();
    await pty.kill();
    await sleep(500);
    const before = results('level').length;
    await send('level', '2');
    await sleep(1500);
    assert.equal(results('level').length, before, 'no result while it waits (TTL 3 s)');
    await sleep(2500);
    assert.deepEqual(
      results('level')
        .slice(before)
        .map((r) => [r.status, r.reason]),
      [['expired', 'port closed']],
    );
    pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
    device = await openDeviceEnd(pty.devicePath);
    await sleep(2500);
    assert.ok(!writtenText().includes('LEVEL 2'), 'the expired command was not written');
  });
});

describe('rejected commands are logged at a limited rate, and every one is still answered and counted', () => {
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let gateway: GatewayProcess;
  let sub: Subscription;
  let client: MqttClient;
  let httpPort: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-cmd-flood-'));
    httpPort = await freePort();
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
    mkdirSync(join(dir, 'devices', 'cmd-dev'), { recursive: true });
    writeFileSync(join(dir, 'devices', 'cmd-dev', 'profile.yaml'), PROFILE);
    writeFileSync(
      join(dir, 'gateway.yaml'),
      [
        'version: 1',
        `gateway: { id: cmdgw, base_topic: ${BASE} }`,
        `mqtt: { broker: external, url: "${broker.url}" }`,
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        `devices_dir: "${join(dir, 'devices')}"`,
        `http: { listen: "127.0.0.1:${httpPort}" }`,
        'ports:',
        `  - { name: dev, path: "${pty.gatewayPath}", device: cmd-dev, idle_timeout: 0 }`,
      ].join('\n'),
    );
    sub = await subscribe({
      host: broker.host,
      port: broker.port,
      topics: [`${BASE}/dev/level/result`],
      qos: 1,
    });
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    await gateway.waitForOutput('port dev: opened', 20_000);
    client = await mqtt.connectAsync(broker.url, { clientId: 'cmd-flood' });
    await sleep(500); // the gateway's SUBSCRIBEs reach Mosquitto
  });

  after(async () => {
    await client?.endAsync();
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('2,000 bad …/set commands: a handful of warnings and a summary, 2,000 rejected results and counts', async () => {
    const COUNT = 2000;
    // In batches, each awaited: Mosquitto drops QoS 1 messages past a slow subscriber's queue
    // (max_queued_messages, 1000), and the test's subscriber must see every result.
    const BATCH = 200;
    const deadline = Date.now() + 180_000;
    for (let sent = 0; sent < COUNT;) {
      for (let i = 0; i < BATCH; i++, sent++)
        await client.publishAsync(SET('level'), `bad-${sent}`, { qos: 1 });
      while (sub.messages.length < sent && Date.now() < deadline) await sleep(20);
    }
    const statuses = sub.messages.map((m) => (JSON.parse(m.payload) as Result).status);
    assert.equal(statuses.length, COUNT, 'one result per command');
    assert.ok(statuses.every((s) => s === 'rejected'));

    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const rejectedMetric = /^tty2mqtt_port_commands_total\{[^}]*status="rejected"[^}]*\} (\d+)$/m.exec(
      metrics,
    );
    console.log(`/metrics: ${rejectedMetric?.[0] ?? 'no tty2mqtt_port_commands_total{status="rejected"}'}`);
    assert.equal(rejectedMetric?.[1], String(COUNT));

    assert.equal(await gateway.kill('SIGTERM'), 0);
    const lines = gateway
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const warnings = lines.filter((l) => l['msg'] === 'command level rejected');
    const summaries = lines.filter(
      (l) => typeof l['msg'] === 'string' && l['msg'].startsWith('command level rejected: '),
    );
    const suppressed = summaries.reduce((n, l) => n + Number(l['suppressed']), 0);
    const stopped = lines.find((l) => l['msg'] === 'tty2mqtt stopped') as
      { ports: { dev: { commands: { received: number; rejected: number } } } } | undefined;
    console.log(
      `${COUNT} bad commands: ${warnings.length} warnings, ${summaries.length} summary line(s) for ${suppressed} more; counted rejected=${String(stopped?.ports.dev.commands?.rejected)}`,
    );
    assert.ok(warnings.length >= 1 && warnings.length <= 10, `${warnings.length} warnings`);
    assert.ok(summaries.length >= 1, 'a summary says how many were not logged');
    assert.match(String(summaries[0]?.['msg']), /: \d+ more suppressed in the last 60 s$/);
    assert.equal(warnings.length + suppressed, COUNT, 'logged + suppressed = all of them');
    assert.deepEqual(
      { received: stopped?.ports.dev.commands?.received, rejected: stopped?.ports.dev.commands?.rejected },
      { received: COUNT, rejected: COUNT },
    );
  });
});
