// Secrets audit: a unique marker password, given through a 0600 password_file,
// a ${ENV} variable and URL userinfo, for mqtt.password and an embedded_broker user, never
// appears in `check` output, the daemon's stdout/stderr (right and wrong password), nor in
// gateway/health or gateway/devices; a password_file readable by group or others is
// refused with exit 78, naming file, mode and the chmod fix, before anything is opened.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDevice } from '../helpers/device.ts';
import { runCli, startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { freePort } from '../helpers/ports.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { ReceivedMessage } from '../helpers/mqtt-sub.ts';
import { createPtyPair } from '../helpers/socat.ts';
import { createTestCa } from '../helpers/test-ca.ts';
import type { PtyPair } from '../helpers/socat.ts';

const MARKER = `S3cr3t-${randomBytes(8).toString('hex')}`;
const ENV_NAME = 'TTY2MQTT_TEST_SECRET';
const WATCHER = { username: 'watcher', password: 'w4tch-not-secret' };

describe('secrets never leak', () => {
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-secrets-'));
    chmodSync(dir, 0o755); // mosquitto drops to its own user and must read its password file
    const passwd = join(dir, 'mosquitto.passwd');
    writeFileSync(passwd, '');
    execFileSync('mosquitto_passwd', ['-b', passwd, 'gateway', MARKER]);
    execFileSync('mosquitto_passwd', ['-b', passwd, WATCHER.username, WATCHER.password]);
    chmodSync(passwd, 0o644);
    broker = await startMosquitto({ config: `allow_anonymous false\npassword_file ${passwd}` });
    pty = await createPtyPair(dir, { device: 'climate-dev', gateway: 'climate-gw' });
    writeFileSync(join(dir, 'right.secret'), `${MARKER}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'wrong.secret'), `${MARKER}-wrong\n`, { mode: 0o600 });
  });

  after(async () => {
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** mqtt lines are the variable part; everything else is the same small gateway. */
  function config(name: string, mqtt: string[], extra: string[] = []): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        'version: 1',
        `gateway: { id: ${name}, base_topic: sec/${name} }`,
        'mqtt:',
        ...mqtt.map((l) => `  ${l}`),
        `queue: { path: "${join(dir, `${name}.db`)}" }`,
        'ports:',
        `  - { name: livingroom, path: "${pty.gatewayPath}", device: climate, idle_timeout: 0 }`,
        'log: { level: debug }',
        ...extra,
      ].join('\n'),
    );
    return file;
  }

  const external = (login: string[]): string[] => ['broker: external', `url: "${broker.url}"`, ...login];
  const env = { [ENV_NAME]: MARKER };

  function assertNoMarker(where: string, text: string): void {
    assert.ok(!text.includes(MARKER), `the secret appears in ${where}:\n${text}`);
  }

  /**
   * Runs the daemon until readings flow, asks for gateway/health, collects gateway/devices,
   * stops it; returns everything it printed and published.
   */
  async function runAndCollect(
    file: string,
    base: string,
    host: { host: string; port: number; username?: string; password?: string },
    during: () => Promise<void> = () => Promise.resolve(),
  ): Promise<{ gw: GatewayProcess; messages: ReceivedMessage[] }> {
    const gw = startGateway(['run', '-c', file], { env });
    const device = await openDevice(pty.devicePath);
    try {
      await gw.waitForOutput('tty2mqtt running', 20_000);
      const sub = await subscribe({ ...host, topics: [`${base}/#`], qos: 1 });
      try {
        await sub.waitFor((m) => m.topic === `${base}/gateway/state` && m.payload === 'online', 20_000);
        await sub.waitFor((m) => m.topic === `${base}/gateway/devices`, 10_000);
        // Lines until one is published (the first line after an open is discarded).
        const deadline = Date.now() + 15_000;
        let flowing = false;
        while (!flowing && Date.now() < deadline) {
          await device.write('temp=21.5,hum=40\n');
          flowing = await sub
            .waitFor((m) => m.topic === `${base}/livingroom/temperature`, 300)
            .then(() => true)
            .catch(() => false);
        }
        assert.ok(flowing, 'readings flow');
        await during();
        await publish({ ...host, topic: `${base}/gateway/request/health`, payload: '{}' });
        await sub.waitFor((m) => m.topic === `${base}/gateway/response/health`, 10_000);
        assert.equal(await gw.kill('SIGTERM'), 0);
        return { gw, messages: [...sub.messages] };
      } finally {
        await sub.stop();
      }
    } finally {
      await device.close();
      await gw.kill('SIGKILL');
    }
  }

  function assertClean(gw: GatewayProcess, messages: readonly ReceivedMessage[]): void {
    assertNoMarker('stdout', gw.stdout());
    assertNoMarker('stderr', gw.stderr());
    for (const m of messages) assertNoMarker(`${m.topic}`, m.payload);
    assert.ok(messages.some((m) => m.topic.endsWith('/gateway/response/health')));
    assert.ok(messages.some((m) => m.topic.endsWith('/gateway/devices')));
  }

  const watcherLogin = (): { host: string; port: number; username: string; password: string } => ({
    host: broker.host,
    port: broker.port,
    ...WATCHER,
  });

  it('check prints a summary without the secret (password_file, ${ENV}, URL userinfo)', async () => {
    const userinfoUrl = broker.url.replace('mqtt://', `mqtt://gateway:${MARKER}@`);
    const files = [
      config('chkfile', external(['username: gateway', 'password_file: right.secret']), [
        'embedded_broker: { users: [{ username: watcher, password_file: right.secret }] }',
      ]),
      config('chkenv', external(['username: gateway', `password: "\${${ENV_NAME}}"`])),
      config('chkurl', ['broker: external', `url: "${userinfoUrl}"`]),
    ];
    for (const file of files) {
      const r = await runCli(['check', '-c', file], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.length > 0, 'a summary was printed');
      assertNoMarker(`check ${file} stdout`, r.stdout);
      assertNoMarker(`check ${file} stderr`, r.stderr);
    }
  });

  it('daemon, password_file, right password: nothing printed or published holds it', async () => {
    const file = config('runfile', external(['username: gateway', 'password_file: right.secret']));
    const { gw, messages } = await runAndCollect(file, 'sec/runfile', watcherLogin());
    assertClean(gw, messages);
  });

  it('daemon, ${ENV} password: nothing printed or published holds it', async () => {
    const file = config('runenv', external(['username: gateway', `password: "\${${ENV_NAME}}"`]));
    const { gw, messages } = await runAndCollect(file, 'sec/runenv', watcherLogin());
    assertClean(gw, messages);
  });

  it('daemon, password in the URL: nothing printed or published holds it', async () => {
    const userinfoUrl = broker.url.replace('mqtt://', `mqtt://gateway:${MARKER}@`);
    const file = config('runurl', ['broker: external', `url: "${userinfoUrl}"`]);
    const gw = startGateway(['run', '-c', file], { env });
    try {
      // Whether or not the client library logs in with URL userinfo, its URL is logged.
      await gw.waitForOutput('connecting to broker', 20_000);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    } finally {
      await gw.kill('SIGTERM');
      await gw.kill('SIGKILL');
    }
    assertNoMarker('stdout', gw.stdout());
    assertNoMarker('stderr', gw.stderr());
  });

  it('daemon, wrong password: the refusal is reported without the password', async () => {
    const file = config('runwrong', external(['username: gateway', 'password_file: wrong.secret']));
    const gw = startGateway(['run', '-c', file], { env });
    try {
      await gw.waitForOutput(/not authori[sz]ed|bad user ?name or password/i, 20_000);
    } finally {
      await gw.kill('SIGTERM');
      await gw.kill('SIGKILL');
    }
    assertNoMarker('stdout', gw.stdout());
    assertNoMarker('stderr', gw.stderr());
  });

  it('daemon, embedded broker user: logins right and wrong, health and devices, no secret', async () => {
    const listen = await freePort();
    const file = config(
      'embedded',
      ['broker: embedded'],
      [
        `embedded_broker: { listen: "127.0.0.1:${listen}", users: [{ username: watcher, password_file: right.secret }] }`,
      ],
    );
    const login = { host: '127.0.0.1', port: listen, username: 'watcher' };
    const { gw, messages } = await runAndCollect(
      file,
      'sec/embedded',
      { ...login, password: MARKER },
      async () => {
        await assert.rejects(
          subscribe({ ...login, password: `${MARKER}-wrong`, topics: ['sec/#'] }),
          /not authori[sz]ed|bad user ?name or password|refused/i,
          'a wrong password is refused',
        );
      },
    );
    assertClean(gw, messages);
  });

  for (const mode of [0o640, 0o604]) {
    const octal = mode.toString(8).padStart(4, '0');
    it(`a ${octal} password_file is refused: exit 78, file, mode and chmod fix, nothing opened`, async () => {
      const secret = join(dir, `loose-${octal}.secret`);
      writeFileSync(secret, `${MARKER}\n`);
      chmodSync(secret, mode);
      const name = `loose${octal}`;
      const file = config(name, external(['username: gateway', `password_file: ${secret}`]));
      const connectsBefore = (broker.log().match(/New client connected/g) ?? []).length;
      for (const command of ['check', 'run']) {
        const r = await runCli([command, '-c', file], { env, timeoutMs: 30_000 });
        assert.equal(r.code, 78, `${command}: ${r.stderr}`);
        assert.ok(
          r.stderr.includes(
            `password file ${secret} is readable by group or others (mode ${octal}); run: chmod 600 ${secret}`,
          ),
          r.stderr,
        );
        assertNoMarker(`${command} stderr`, r.stderr);
        assertNoMarker(`${command} stdout`, r.stdout);
      }
      // Nothing opened: no queue file, no broker connection.
      assert.equal(existsSync(join(dir, `${name}.db`)), false, 'the queue was not created');
      assert.equal(existsSync(join(dir, `${name}.db.lock`)), false, 'the queue lock was not taken');
      assert.equal((broker.log().match(/New client connected/g) ?? []).length, connectsBefore);
    });
  }

  // A TLS private key is a secret like a password: the same rule, the same message.
  it('a 0644 TLS private key (mqtt.tls.key, embedded_broker.tls.key) is refused by check and run (exit 78, key, chmod fix); 0600 is accepted', async () => {
    const ca = createTestCa();
    try {
      const client = ca.issue('client', { commonName: 'gw', altNames: [], client: true });
      const server = ca.issue('server', { commonName: 'localhost', altNames: ['IP:127.0.0.1'] });
      const tlsPort = await freePort();
      const plainPort = await freePort();
      const cases = [
        {
          key: client.keyFile,
          path: 'mqtt.tls.key',
          config: (name: string, key: string): string =>
            config(name, [
              'broker: external',
              `url: "mqtts://127.0.0.1:${tlsPort}"`,
              `tls: { ca: "${ca.caFile}", cert: "${client.certFile}", key: "${key}" }`,
            ]),
        },
        {
          key: server.keyFile,
          path: 'embedded_broker.tls.key',
          config: (name: string, key: string): string =>
            config(
              name,
              ['broker: embedded'],
              [
                'embedded_broker:',
                `  listen: 127.0.0.1:${plainPort}`,
                `  tls: { listen: "127.0.0.1:${tlsPort}", cert: "${server.certFile}", key: "${key}" }`,
              ],
            ),
        },
      ];
      for (const [i, c] of cases.entries()) {
        const loose = join(dir, `loose-${i}.key`);
        copyFileSync(c.key, loose);
        chmodSync(loose, 0o644);
        const name = `loosekey${i}`;
        const file = c.config(name, loose);
        for (const command of ['check', 'run']) {
          const r = await runCli([command, '-c', file], { timeoutMs: 30_000 });
          console.log(`${c.path} 0644, ${command}: exit ${String(r.code)}: ${r.stderr.trim()}`);
          assert.equal(r.code, 78, `${command}: ${r.stderr}`);
          assert.match(
            r.stderr,
            new RegExp(
              `: ${c.path.replaceAll('.', '\\.')}: private key ${loose} is readable by group or others \\(mode 0644\\); run: chmod 600 ${loose}`,
            ),
          );
        }
        assert.equal(existsSync(join(dir, `${name}.db`)), false, 'run opened nothing');
        chmodSync(loose, 0o600);
        const ok = await runCli(['check', '-c', file], { timeoutMs: 30_000 });
        assert.equal(ok.code, 0, `${c.path} 0600: ${ok.stderr}`);
      }
    } finally {
      ca.cleanup();
    }
  });
});
