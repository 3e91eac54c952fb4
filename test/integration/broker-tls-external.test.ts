// An external broker over TLS. The real daemon (a child process)
// reads a socat pty device and talks mqtts:// to a real Mosquitto whose TLS listener uses
// certificates from throwaway openssl CAs (test/helpers/test-ca.ts). Each Mosquitto also has
// a plain listener, where an independent mosquitto_sub watches what arrives. Wrong CA, wrong
// host name and expired certificates must be refused with one clear line, on the first
// connect and on every reconnect, while readings stay queued; `insecure: true` is the only
// way to skip verification; mutual TLS works with mqtt.tls.cert/key.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDevice } from '../helpers/device.ts';
import type { DeviceEnd } from '../helpers/device.ts';
import { runCli, startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { subscribe } from '../helpers/mqtt-sub.ts';
import type { Subscription } from '../helpers/mqtt-sub.ts';
import { freePort } from '../helpers/ports.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';
import { createTestCa } from '../helpers/test-ca.ts';
import type { IssuedCertificate, TestCa } from '../helpers/test-ca.ts';
import { until } from '../helpers/until.ts';

const WAIT_MS = 45_000;
/** Levels an operator is alerted by. */
const LOUD = new Set(['warn', 'error', 'fatal']);

interface LogLine {
  level: string;
  msg: string;
  code?: string;
  cause?: string;
  [key: string]: unknown;
}

/** The daemon's JSON log lines (pino, one object a line) from `from` characters on. */
function logLines(gateway: GatewayProcess, from = 0): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of gateway.stdout().slice(from).split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // a line still being written
    }
  }
  return lines;
}

/**
 * TLS refusals logged from `from` on with this cause: the loud first one and the quiet
 * repeats. (By cause, not code: Mosquitto sends its CA along, so a foreign certificate is
 * SELF_SIGNED_CERT_IN_CHAIN from Mosquitto but UNABLE_TO_VERIFY_LEAF_SIGNATURE from Node.)
 */
function refusals(gateway: GatewayProcess, cause: string, from = 0): LogLine[] {
  return logLines(gateway, from).filter((l) => l.cause === cause && typeof l.code === 'string');
}

interface Case {
  name: string;
  base: string;
  dir: string;
  pty: PtyPair;
  device: DeviceEnd | undefined;
  gateway: GatewayProcess;
}

const cleanups: (() => Promise<void> | void)[] = [];

/** A daemon with one climate device on a fresh pty, talking to `url` with `tls` (YAML flow map). */
async function startCase(name: string, url: string, tls: string): Promise<Case> {
  const dir = mkdtempSync(join(tmpdir(), `tty2mqtt-tls-${name}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const pty = await createPtyPair(dir);
  cleanups.push(() => pty.kill());
  const base = `iot/${name}`;
  writeFileSync(
    join(dir, 'gateway.yaml'),
    [
      'version: 1',
      `gateway: { id: gw-${name}, base_topic: ${base} }`,
      `mqtt: { broker: external, url: "${url}", keepalive: 5s, tls: ${tls} }`,
      'ports:',
      `  - { name: room, path: "${pty.gatewayPath}", device: climate, idle_timeout: 0 }`,
      'log: { level: debug }',
      '',
    ].join('\n'),
  );
  const gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
  cleanups.push(async () => {
    await gateway.kill('SIGKILL');
  });
  const c: Case = { name, base, dir, pty, device: undefined, gateway };
  await gateway.waitForOutput('room: opened', WAIT_MS);
  c.device = await openDevice(pty.devicePath);
  cleanups.push(() => c.device?.close());
  // The first line after a port opens is discarded (docs/contract.md §4.1).
  await c.device.write('# booting\n');
  return c;
}

async function broker(tls: {
  cert: IssuedCertificate;
  ca: TestCa;
  requireCertificate?: boolean;
  port?: number;
  tlsPort?: number;
}): Promise<Mosquitto> {
  const m = await startMosquitto({
    ...(tls.port === undefined ? {} : { port: tls.port }),
    // stderr is unbuffered: log() shows each connection as it happens (stdout is a pipe,
    // block-buffered), so "never got a CONNECT" can be checked.
    config: 'log_dest stderr',
    tls: {
      cafile: tls.ca.caFile,
      certfile: tls.cert.certFile,
      keyfile: tls.cert.keyFile,
      requireCertificate: tls.requireCertificate === true,
      ...(tls.tlsPort === undefined ? {} : { port: tls.tlsPort }),
    },
  });
  cleanups.push(() => m.stop());
  return m;
}

async function watch(m: Mosquitto): Promise<Subscription> {
  const sub = await subscribe({ host: m.host, port: m.port, topics: ['#'], qos: 1, protocolV5: true });
  cleanups.push(() => sub.stop());
  return sub;
}

function tlsPortOf(m: Mosquitto): number {
  assert.ok(m.tlsPort !== undefined, 'the Mosquitto has no TLS listener');
  return m.tlsPort;
}

function fromCase(sub: Subscription, c: Case): string[] {
  return sub.messages.filter((m) => m.topic.startsWith(`${c.base}/`)).map((m) => `${m.topic} ${m.payload}`);
}

/** Refused at the first connect: one loud line, quiet retries, alive, nothing published. */
/** The broker saw TLS connections from the gateway, and never its MQTT CONNECT. */
function assertNoConnect(m: Mosquitto, c: Case): void {
  assert.match(m.log(), /Client <unknown> (disconnected|closed its connection)/);
  assert.doesNotMatch(m.log(), new RegExp(`New client connected .* as tty2mqtt-gw-${c.name} `));
}

async function assertRefused(
  m: Mosquitto,
  c: Case,
  sub: Subscription,
  cause: string,
  message: RegExp,
): Promise<void> {
  const first = (): LogLine | undefined => refusals(c.gateway, cause).find((l) => l.level === 'error');
  await until(
    `the ${cause} refusal`,
    () => first() !== undefined,
    WAIT_MS,
    () => outputOf(c.gateway),
  );
  assert.match(first()?.msg ?? '', message);
  assert.match(first()?.msg ?? '', /; not connected, retrying with backoff$/);
  await c.device?.write('temp=21.5,hum=40\n');
  // It keeps retrying with backoff (no exit), and says so once, not at every retry.
  const lost = (): LogLine[] =>
    logLines(c.gateway).filter((l) => l.msg.startsWith('broker connection failed: '));
  // The reading's two messages wait in the queue through the retries.
  await until(
    'two more refused attempts, the reading queued',
    () => refusals(c.gateway, cause).length >= 3 && lost().some((l) => l['queued'] === 2),
    WAIT_MS,
    () => outputOf(c.gateway),
  );
  const lines = refusals(c.gateway, cause);
  assert.equal(lines.filter((l) => LOUD.has(l.level)).length, 1, 'one loud line per cause');
  assert.deepEqual(
    lost().filter((l) => LOUD.has(l.level)),
    [],
    'retries after a TLS refusal are quiet',
  );
  assert.ok(
    logLines(c.gateway).every((l) => l.msg !== 'connected to broker'),
    'the gateway must never have connected',
  );
  assert.deepEqual(fromCase(sub, c), [], 'nothing from the gateway reached the broker');
  if (cause !== 'client_certificate') assertNoConnect(m, c); // (mutual TLS: the broker is genuine)
  assert.equal(c.gateway.stderr(), '');
  assert.equal(await Promise.race([c.gateway.exited, Promise.resolve('running')]), 'running');
}

void describe('external broker over TLS', { concurrency: true }, () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let good: IssuedCertificate;
  let foreign: IssuedCertificate;
  let wrongName: IssuedCertificate;
  let expired: IssuedCertificate;
  let client: IssuedCertificate;
  const names = ['IP:127.0.0.1', 'DNS:localhost'];

  before(() => {
    ca = createTestCa('tty2mqtt test CA');
    otherCa = createTestCa('impostor CA');
    good = ca.issue('good', { commonName: 'broker', altNames: names });
    foreign = otherCa.issue('foreign', { commonName: 'broker', altNames: names });
    wrongName = ca.issue('wrong-name', { commonName: 'other.example', altNames: ['DNS:other.example'] });
    expired = ca.issue('expired', { commonName: 'broker', altNames: names, expired: true });
    client = ca.issue('client', { commonName: 'gw-mtls', altNames: [], client: true });
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    ca?.cleanup();
    otherCa?.cleanup();
  });

  void it('1. good CA and certificate: readings arrive over mqtts:// by host name', async () => {
    const m = await broker({ cert: good, ca });
    const sub = await watch(m);
    const c = await startCase('good', `mqtts://localhost:${tlsPortOf(m)}`, `{ ca: "${ca.caFile}" }`);
    await c.device?.write('temp=21.5,hum=40\n');
    const t = await sub.waitFor((msg) => msg.topic === `${c.base}/room/temperature`, WAIT_MS);
    assert.equal(t.payload, '21.5');
    const health = await sub.waitFor((msg) => msg.topic === `${c.base}/gateway/health`, WAIT_MS);
    const link = (JSON.parse(health.payload) as { broker: { connected: boolean; tls: unknown } }).broker;
    assert.deepEqual(link.tls, { refused: 0, cause: null });
    assert.equal(refusals(c.gateway, 'expired').length, 0);
  });

  void it('2. a certificate from another CA is refused, the daemon keeps retrying', async () => {
    const m = await broker({ cert: foreign, ca: otherCa });
    const sub = await watch(m);
    const c = await startCase('wrongca', m.tlsUrl ?? '', `{ ca: "${ca.caFile}" }`);
    await assertRefused(
      m,
      c,
      sub,
      'untrusted',
      /^broker certificate is not signed by mqtt\.tls\.ca \(issued by "impostor CA"; /,
    );
  });

  void it('3. a certificate for another host name is refused', async () => {
    const m = await broker({ cert: wrongName, ca });
    const sub = await watch(m);
    const c = await startCase('wrongname', `mqtts://localhost:${tlsPortOf(m)}`, `{ ca: "${ca.caFile}" }`);
    await assertRefused(m, c, sub, 'hostname', /^broker certificate is for other\.example, not localhost;/);
  });

  void it('4. an expired certificate is refused, with its date', async () => {
    const m = await broker({ cert: expired, ca });
    const sub = await watch(m);
    const c = await startCase('expired', m.tlsUrl ?? '', `{ ca: "${ca.caFile}" }`);
    await assertRefused(
      m,
      c,
      sub,
      'expired',
      /^broker certificate expired on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC;/,
    );
  });

  void it('5. every reconnect is verified: impostors on the same port are refused, nothing is lost', async () => {
    const port = await freePort();
    const tlsPort = await freePort();
    let m = await broker({ cert: good, ca, port, tlsPort });
    let sub = await watch(m);
    const c = await startCase('reconnect', m.tlsUrl ?? '', `{ ca: "${ca.caFile}" }`);
    await c.device?.write('temp=20.1,hum=41\n');
    await sub.waitFor((msg) => msg.topic === `${c.base}/room/temperature` && msg.payload === '20.1', WAIT_MS);

    // The broker goes away; an impostor with another CA's certificate takes its port.
    await m.stop();
    m = await broker({ cert: foreign, ca: otherCa, port, tlsPort });
    const wrongCaBroker = m;
    const impostor = await watch(m);
    let from = c.gateway.stdout().length;
    await c.device?.write('temp=20.2,hum=42\n');
    await until(
      'two refused reconnects',
      () => refusals(c.gateway, 'untrusted', from).length >= 2,
      WAIT_MS,
      () => outputOf(c.gateway),
    );
    const wrongCa = refusals(c.gateway, 'untrusted', from);
    assert.equal(wrongCa.filter((l) => l.level === 'error').length, 1);
    assert.match(wrongCa[0]?.msg ?? '', /^broker certificate is not signed by mqtt\.tls\.ca/);

    // Another impostor, with an expired certificate from the right CA: a new cause, logged anew.
    await impostor.stop();
    await m.stop();
    m = await broker({ cert: expired, ca, port, tlsPort });
    const expiredImpostor = await watch(m);
    from = c.gateway.stdout().length;
    await c.device?.write('temp=20.3,hum=43\n');
    await until(
      'a refused reconnect (expired)',
      () => refusals(c.gateway, 'expired', from).length >= 1,
      WAIT_MS,
      () => outputOf(c.gateway),
    );
    assert.match(refusals(c.gateway, 'expired', from)[0]?.msg ?? '', /^broker certificate expired on /);
    assert.equal(refusals(c.gateway, 'expired', from)[0]?.level, 'error');
    assert.deepEqual(fromCase(impostor, c), [], 'nothing reached the impostor');
    assert.deepEqual(fromCase(expiredImpostor, c), [], 'nothing reached the expired impostor');
    assertNoConnect(wrongCaBroker, c);
    assertNoConnect(m, c);

    // The real broker is back, on the same port: the backlog arrives, in order, without a restart.
    await expiredImpostor.stop();
    await m.stop();
    m = await broker({ cert: good, ca, port, tlsPort });
    sub = await watch(m);
    await sub.waitFor((msg) => msg.topic === `${c.base}/room/temperature` && msg.payload === '20.3', WAIT_MS);
    const temps = sub.messages
      .filter((msg) => msg.topic === `${c.base}/room/temperature` && !msg.retain)
      .map((msg) => msg.payload);
    assert.deepEqual(temps, ['20.2', '20.3']);
    const health = await sub.waitFor((msg) => msg.topic === `${c.base}/gateway/health`, WAIT_MS);
    const link = (
      JSON.parse(health.payload) as {
        broker: { connects: number; lastError: unknown; tls: { refused: number; cause: unknown } };
      }
    ).broker;
    assert.ok(link.tls.refused >= 3, `refusals counted: ${JSON.stringify(link)}`);
    assert.equal(link.tls.cause, null);
    assert.equal(link.lastError, null);
    assert.ok(link.connects >= 2);
  });

  void it('6. insecure: true connects to any certificate, with a warning; `check` knows no reject_unauthorized', async () => {
    const m = await broker({ cert: foreign, ca: otherCa });
    const sub = await watch(m);
    const c = await startCase('insecure', m.tlsUrl ?? '', `{ ca: "${ca.caFile}", insecure: true }`);
    await c.device?.write('temp=22.5,hum=40\n');
    await sub.waitFor((msg) => msg.topic === `${c.base}/room/temperature` && msg.payload === '22.5', WAIT_MS);
    const warning = logLines(c.gateway).find((l) => l.msg.startsWith('mqtt.tls.insecure is true'));
    assert.equal(warning?.level, 'warn');
    assert.match(warning.msg, /certificate is NOT verified/);

    // Node's name for it is not a gateway.yaml key: `check` says what to write instead.
    const yaml = join(c.dir, 'gateway.yaml');
    const reject = join(c.dir, 'reject.yaml');
    writeFileSync(reject, readFileSync(yaml, 'utf8').replace('insecure: true', 'reject_unauthorized: false'));
    const checked = await runCli(['check', '-c', reject]);
    assert.equal(checked.code, 78);
    assert.match(
      checked.stderr,
      /mqtt\.tls\.reject_unauthorized: unknown key "reject_unauthorized" \(did you mean "insecure: true"\?\)/,
    );
    // An unreadable CA file is a configuration error before anything is opened.
    const missing = join(c.dir, 'missing.yaml');
    writeFileSync(missing, readFileSync(yaml, 'utf8').replace(ca.caFile, join(c.dir, 'no-such-ca.pem')));
    const checkedMissing = await runCli(['check', '-c', missing]);
    assert.equal(checkedMissing.code, 78);
    assert.match(checkedMissing.stderr, /mqtt\.tls\.ca: /);
  });

  void it('7. mutual TLS: the client certificate is accepted, a missing one refused clearly', async () => {
    const m = await broker({ cert: good, ca, requireCertificate: true });
    const sub = await watch(m);
    const [withCert, without] = await Promise.all([
      startCase(
        'mtls',
        m.tlsUrl ?? '',
        `{ ca: "${ca.caFile}", cert: "${client.certFile}", key: "${client.keyFile}" }`,
      ),
      startCase('nocert', m.tlsUrl ?? '', `{ ca: "${ca.caFile}" }`),
    ]);
    await withCert.device?.write('temp=23.5,hum=40\n');
    await sub.waitFor(
      (msg) => msg.topic === `${withCert.base}/room/temperature` && msg.payload === '23.5',
      WAIT_MS,
    );
    await assertRefused(
      m,
      without,
      sub,
      'client_certificate',
      /^broker requires a client certificate: set mqtt\.tls\.cert and mqtt\.tls\.key \(/,
    );
  });
});

/** A gateway's output, for a wait that timed out. */
function outputOf(gateway: GatewayProcess): string {
  return `stdout:\n${gateway.stdout()}\nstderr:\n${gateway.stderr()}`;
}
