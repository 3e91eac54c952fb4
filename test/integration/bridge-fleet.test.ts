// From one Pi to a fleet (docs/fleet.md): two sites feeding one "central" Mosquitto, whose
// TLS listener asks every client for a certificate from a throwaway CA (test/helpers/test-ca.ts).
// An independent mosquitto_sub on the central broker's plain listener sees what arrives.
//
// Shape 2, site-a: the real daemon → a site Mosquitto running deploy/mosquitto-bridge.conf as
// shipped (only the address, the certificate paths and restart_timeout replaced) → bridge over
// TLS, through the fault proxy → central. The proxy cuts the bridge link while a `#seq`/ACK
// power meter writes; expected: the gateway keeps handing readings to the site broker (the
// device keeps getting ACKs), nothing crosses during the cut, the bridge's notification topic
// says `0` then `1`, and every reading the device was ACKed for reaches the central subscriber
// — at least once: copies only of what was in flight on the bridge at the cut. Of two
// commands published at the central broker during the cut, the one with a 2 s MQTT 5 message
// expiry is dropped there; the other waits in the bridge's session and reaches the device
// once, after the cut.
//
// Shape 1, site-b: a second daemon publishing straight to the central broker over mutual TLS
// with its own client id and base topic, in a persistent session the broker keeps across a
// restart of the gateway. What that shape does across a broker outage (nothing lost, order
// kept) is test/integration/delivery-outage.test.ts.
import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAckDevice } from '../helpers/ack-device.ts';
import type { AckDevice } from '../helpers/ack-device.ts';
import { formatReport, waitForDelivery } from '../helpers/delivery-check.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import type { FaultProxy } from '../helpers/fault-proxy.ts';
import { REPO_ROOT, startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { ReceivedMessage, Subscription } from '../helpers/mqtt-sub.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';
import { createTestCa } from '../helpers/test-ca.ts';
import type { TestCa } from '../helpers/test-ca.ts';
import { until } from '../helpers/until.ts';

const SITE_A = 'fleet/site-a';
const SITE_B = 'fleet/site-b';
const METER_A = `${SITE_A}/meter`;
const METER_B = `${SITE_B}/meter`;
/** deploy/mosquitto-bridge.conf's notification_topic. */
const BRIDGE_STATE = `${SITE_A}/bridge/state`;
const COMMAND_A = `${SITE_A}/meter/reset_energy/set`;
/** What the power-meter profile writes to the device for that command. */
const COMMAND_LINE = 'RESET energy';

const RATE = 40;
const LEAD_MS = 3_000;
const CUT_MS = 5_000;
const TAIL_MS = 3_000;
/**
 * QoS 1 copies across the bridge come only from messages it had sent and not yet seen
 * acknowledged when the link was cut: at most Mosquitto's max_inflight_messages, 20 by default
 * (mosquitto.conf(5)).
 */
const BRIDGE_INFLIGHT = 20;
const WAIT_MS = 30_000;

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-fleet-'));
const cleanups: (() => Promise<unknown> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/**
 * The shipped bridge config with the keys a test must change replaced; every one must be in
 * the file exactly once, so a change to its shape fails here rather than testing less. The
 * `listener` line goes: startMosquitto gives the site broker its own free loopback port.
 */
function shippedBridgeConfig(replace: Record<string, string>): string {
  const shipped = readFileSync(join(REPO_ROOT, 'deploy', 'mosquitto-bridge.conf'), 'utf8');
  const seen = new Map<string, number>();
  const lines = shipped
    .split('\n')
    .filter((line) => !line.startsWith('listener '))
    .map((line) => {
      const key = /^(\w+) /.exec(line)?.[1];
      const value = key === undefined ? undefined : replace[key];
      if (key === undefined || value === undefined) return line;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      return `${key} ${value}`;
    });
  for (const key of Object.keys(replace))
    assert.equal(seen.get(key), 1, `deploy/mosquitto-bridge.conf has one \`${key}\` line`);
  return ['log_dest stderr', ...lines].join('\n');
}

function gatewayYaml(options: {
  id: string;
  base: string;
  mqtt: string;
  portPath: string;
  queuePath: string;
}): string {
  return [
    'version: 1',
    `gateway: { id: ${options.id}, base_topic: ${options.base} }`,
    `mqtt: ${options.mqtt}`,
    `queue: { path: "${options.queuePath}" }`,
    'ports:',
    `  - { name: meter, path: "${options.portPath}", device: power-meter, idle_timeout: 0 }`,
    'log: { level: info }',
  ].join('\n');
}

function startSite(name: string, yaml: string): GatewayProcess {
  const siteDir = join(dir, name);
  mkdirSync(siteDir, { recursive: true });
  writeFileSync(join(siteDir, 'gateway.yaml'), yaml);
  const gateway = startGateway(['run', '-c', join(siteDir, 'gateway.yaml')]);
  cleanups.push(() => gateway.kill('SIGKILL'));
  return gateway;
}

function count(sub: Subscription, topic: string): number {
  return sub.messages.reduce((n, m) => n + (m.topic === topic ? 1 : 0), 0);
}

/** The bridge notification `payload` that arrived after `since` (ms epoch), if any. */
function bridgeState(sub: Subscription, payload: '0' | '1', since: number): ReceivedMessage | undefined {
  return sub.messages.find((m) => m.topic === BRIDGE_STATE && m.payload === payload && m.receivedAt >= since);
}

/** The daemon's `connected to broker` log lines, parsed. */
function connects(gateway: GatewayProcess): { sessionPresent?: boolean }[] {
  return gateway
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"connected to broker"'))
    .map((line) => JSON.parse(line) as { sessionPresent?: boolean });
}

describe('from one Pi to a fleet: two sites, one central broker', () => {
  let ca: TestCa;
  let central: Mosquitto;
  let sub: Subscription;

  before(async () => {
    ca = createTestCa('tty2mqtt fleet test CA');
    cleanups.push(() => ca.cleanup());
    const server = ca.issue('central', { commonName: 'central', altNames: ['IP:127.0.0.1'] });
    central = await startMosquitto({
      // stderr is unbuffered (stdout, through a pipe, is not): the log is there when read.
      config: 'log_dest stderr',
      tls: {
        cafile: ca.caFile,
        certfile: server.certFile,
        keyfile: server.keyFile,
        requireCertificate: true,
      },
    });
    cleanups.push(() => central.stop());
    sub = await subscribe({
      host: central.host,
      port: central.port,
      topics: ['fleet/#'],
      qos: 1,
      protocolV5: true,
      // Its own dropped connection must not look like readings the bridge lost.
      persistent: true,
    });
    cleanups.push(() => sub.stop());
  });

  it(
    'shape 2, a site Mosquitto bridging to central: a cut of the bridge link loses nothing',
    { timeout: 120_000 },
    async () => {
      // The site broker's bridge runs as user mosquitto (Mosquitto drops root) and reads its
      // TLS files when it connects: copies it can read (throwaway test keys only).
      const client = ca.issue('site-a', { commonName: 'site-a', altNames: [], client: true });
      const tlsDir = join(dir, 'site-a-tls');
      mkdirSync(tlsDir, { recursive: true });
      chmodSync(dir, 0o755);
      chmodSync(tlsDir, 0o755);
      const readable = (from: string, name: string): string => {
        const to = join(tlsDir, name);
        copyFileSync(from, to);
        chmodSync(to, 0o644);
        return to;
      };
      assert.ok(central.tlsPort !== undefined, 'the central Mosquitto has a TLS listener');
      const proxy: FaultProxy = await startFaultProxy({
        target: { host: central.host, port: central.tlsPort },
      });
      cleanups.push(() => proxy.close());
      const cutBefore = Date.now();
      const site: Mosquitto = await startMosquitto({
        config: shippedBridgeConfig({
          address: `127.0.0.1:${proxy.port}`,
          bridge_cafile: readable(ca.caFile, 'ca.pem'),
          bridge_certfile: readable(client.certFile, 'site-a.pem'),
          bridge_keyfile: readable(client.keyFile, 'site-a.key'),
          // Back within a second of the restore, not 5-60 s: the test stays short.
          restart_timeout: '1',
        }),
      });
      cleanups.push(() => site.stop());
      const brokerLogs = (): string =>
        `\nsite Mosquitto log:\n${site.log().slice(-4000)}\ncentral log:\n${central.log().slice(-4000)}`;
      await until('the bridge up', () => bridgeState(sub, '1', cutBefore) !== undefined, WAIT_MS, brokerLogs);
      assert.match(
        central.log(),
        /as bridge-site-a \(p2, c0,/,
        `the bridge logs in with its own client id, MQTT 3.1.1, a persistent session (c0)${brokerLogs()}`,
      );

      const pty: PtyPair = await createPtyPair(dir, { device: 'a-dev', gateway: 'a-gw' });
      cleanups.push(() => pty.kill());
      const gateway = startSite(
        'site-a',
        gatewayYaml({
          id: 'site-a',
          base: SITE_A,
          mqtt: `{ broker: external, url: "${site.url}", keepalive: 5s }`,
          portPath: pty.gatewayPath,
          queuePath: join(dir, 'site-a', 'queue.db'),
        }),
      );
      await gateway.waitForOutput(`opened ${pty.gatewayPath}`, WAIT_MS);
      await gateway.waitForOutput('connected to broker', WAIT_MS);

      const written: string[] = [];
      const device: AckDevice = await startAckDevice({
        path: pty.devicePath,
        rate: RATE,
        count: Math.round((RATE * (LEAD_MS + CUT_MS + TAIL_MS)) / 1000),
        window: 4,
        onReply: (line) => {
          if (line === COMMAND_LINE) written.push(line);
        },
      });
      cleanups.push(() => device.stop());
      const why = (): string =>
        `${device.describe()}; proxy ${JSON.stringify(proxy.stats())}; central sub events ${JSON.stringify(sub.events)}\n` +
        `gateway:\n${gateway.stdout().slice(-3000)}${gateway.stderr()}${brokerLogs()}`;
      await sleep(LEAD_MS);
      await until('readings at the central broker', () => count(sub, METER_A) >= 10, WAIT_MS, why);

      // The cut: the bridge's connection is closed, reconnects are refused.
      const cutAt = Date.now();
      await proxy.cut();
      await until(
        'the bridge reported down at central (its will)',
        () => bridgeState(sub, '0', cutAt) !== undefined,
        WAIT_MS,
        why,
      );
      const deliveredAtCut = count(sub, METER_A);
      const ackedAtCut = device.acked.size;
      // Commands for the site while its link is down wait in the bridge's session at the
      // central broker (cleansession false), unless they expire there first.
      const command = {
        host: central.host,
        port: central.port,
        topic: COMMAND_A,
        payload: '',
        qos: 1 as const,
      };
      await publish({ ...command, messageExpirySeconds: 2 });
      await publish(command);
      await sleep(CUT_MS);
      assert.equal(count(sub, METER_A), deliveredAtCut, `nothing crossed the cut link: ${why()}`);
      assert.ok(
        device.acked.size > ackedAtCut,
        `the site broker took readings during the cut (${device.acked.size - ackedAtCut} ACKed): ${why()}`,
      );
      assert.deepEqual(written, [], 'the commands wait at central while the link is down');

      const restoredAt = Date.now();
      await proxy.restore();
      await until('the bridge back up', () => bridgeState(sub, '1', restoredAt) !== undefined, WAIT_MS, why);
      await until('the command at the device', () => written.length > 0, WAIT_MS, why);
      await device.done(60_000);
      const report = await waitForDelivery(sub.messages, device.acked, {
        topic: METER_A,
        timeoutMs: WAIT_MS,
      });
      // The command's result goes out over the bridge too.
      await until(
        'the command result at central',
        () => count(sub, `${SITE_A}/meter/reset_energy/result`) > 0,
        WAIT_MS,
        why,
      );
      await sleep(1_000);
      const summary = [
        `cut ${CUT_MS} ms; ${device.acked.size - ackedAtCut} readings ACKed by the site during and after it`,
        formatReport(report),
        device.describe(),
        `proxy ${JSON.stringify(proxy.stats())}`,
        `central subscriber events ${JSON.stringify(sub.events)}`,
      ].join('\n  ');
      console.log(`bridge-fleet shape 2:\n  ${summary}`);
      assert.deepEqual(
        report.missing,
        [],
        `every ACKed reading reached central\n  ${summary}${brokerLogs()}`,
      );
      assert.equal(report.unreadable, 0, summary);
      assert.ok(
        report.duplicates <= BRIDGE_INFLIGHT,
        `copies only of what was in flight on the bridge at the cut (≤ ${BRIDGE_INFLIGHT})\n  ${summary}`,
      );
      assert.deepEqual(
        device.naks.filter((line) => line !== COMMAND_LINE),
        [],
        summary,
      );
      assert.deepEqual(
        written,
        [COMMAND_LINE],
        'the command that did not expire reached the device once, after the cut',
      );
    },
  );

  it(
    'shape 1, a gateway straight to central: its own client id, base topic and a kept session',
    { timeout: 90_000 },
    async () => {
      assert.ok(central.tlsUrl !== undefined, 'the central Mosquitto has a TLS listener');
      const client = ca.issue('site-b', { commonName: 'site-b', altNames: [], client: true });
      const pty = await createPtyPair(dir, { device: 'b-dev', gateway: 'b-gw' });
      cleanups.push(() => pty.kill());
      const yaml = gatewayYaml({
        id: 'site-b',
        base: SITE_B,
        mqtt: [
          '{ broker: external',
          `url: "${central.tlsUrl}"`,
          'client_id: tty2mqtt-site-b',
          'keepalive: 5s',
          `tls: { ca: "${ca.caFile}", cert: "${client.certFile}", key: "${client.keyFile}" } }`,
        ].join(', '),
        portPath: pty.gatewayPath,
        queuePath: join(dir, 'site-b', 'queue.db'),
      });
      const first = startSite('site-b', yaml);
      await first.waitForOutput(`opened ${pty.gatewayPath}`, WAIT_MS);
      await first.waitForOutput('connected to broker', WAIT_MS);
      const device = await startAckDevice({ path: pty.devicePath, rate: 10, count: 5 });
      cleanups.push(() => device.stop());
      await device.done(WAIT_MS);
      const report = await waitForDelivery(sub.messages, device.acked, {
        topic: METER_B,
        timeoutMs: WAIT_MS,
      });
      assert.deepEqual(report.missing, [], formatReport(report));
      assert.match(
        central.log(),
        /as tty2mqtt-site-b \(p5, c0, k5\)/,
        'its own client id, MQTT 5, a persistent session (c0), its keepalive',
      );
      // Each site under its own base topic: neither writes into the other's tree.
      const state = (base: string): string | undefined =>
        sub.messages.filter((m) => m.topic === `${base}/gateway/state`).at(-1)?.payload;
      assert.equal(state(SITE_B), 'online');
      assert.ok(
        sub.messages.every((m) => m.topic.startsWith(`${SITE_A}/`) || m.topic.startsWith(`${SITE_B}/`)),
        'every topic at central is under one site',
      );

      // A restart of the gateway finds its session at the central broker.
      assert.equal(await first.kill('SIGTERM'), 0);
      const second = startSite('site-b', yaml);
      await second.waitForOutput('connected to broker', WAIT_MS);
      assert.equal(connects(first)[0]?.sessionPresent, false, 'a new session at the first start');
      assert.equal(connects(second)[0]?.sessionPresent, true, 'the session kept across the restart');
      assert.equal(await second.kill('SIGTERM'), 0);
    },
  );
});
