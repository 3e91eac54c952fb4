// A broker password written into mqtt.url, containing `@` (`mqtt://gw2:p@ssw0rd@host`): the
// real daemon logs in with it against a real Mosquitto, and the password shows up nowhere —
// not in its log lines, /status.json, gateway/response/health, gateway/health or the
// summary `tty2mqtt check` prints. The redactor once stopped at the first `@` and showed
// `mqtt://ssw0rd@127.0.0.1…`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { Subscription } from '../helpers/mqtt-sub.ts';
import { freePort } from '../helpers/ports.ts';

const PASSWORD = 'p@ssw0rd';
/** What the old redactor left behind: the part after the password's own `@`. */
const TAIL = 'ssw0rd';
const BASE = 'iot/cred';

describe('a broker password with @ in mqtt.url never leaks', () => {
  let dir: string;
  let broker: Mosquitto;
  let gateway: GatewayProcess;
  let sub: Subscription;
  let http: string;
  let file: string;
  const watcher = { username: 'watcher', password: 'w4tch' };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-cred-'));
    chmodSync(dir, 0o755); // mosquitto drops to its own user and must read the password file
    const passwd = join(dir, 'mosquitto.passwd');
    writeFileSync(passwd, '');
    execFileSync('mosquitto_passwd', ['-b', passwd, 'gw2', PASSWORD]);
    execFileSync('mosquitto_passwd', ['-b', passwd, watcher.username, watcher.password]);
    chmodSync(passwd, 0o644);
    broker = await startMosquitto({ config: `allow_anonymous false\npassword_file ${passwd}` });
    const httpPort = await freePort();
    http = `http://127.0.0.1:${httpPort}`;
    file = join(dir, 'gateway.yaml');
    writeFileSync(
      file,
      [
        `gateway: { id: credgw, base_topic: ${BASE} }`,
        'mqtt:',
        '  broker: external',
        `  url: "mqtt://gw2:${PASSWORD}@127.0.0.1:${broker.port}"`,
        '  protocol_version: 5',
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        `http: { listen: "127.0.0.1:${httpPort}" }`,
        'ports:',
        '  - { name: attic, path: /dev/serial/by-id/not-plugged-in, device: climate }',
        'log: { level: debug }',
      ].join('\n'),
    );
    sub = await subscribe({
      host: broker.host,
      port: broker.port,
      topics: [`${BASE}/#`],
      qos: 1,
      ...watcher,
    });
    gateway = startGateway(['run', '-c', file]);
    // Logged in with the password from the URL, so the parsing for the login is right.
    await sub.waitFor((m) => m.topic === `${BASE}/gateway/state` && m.payload === 'online', 20_000);
  });

  after(async () => {
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('/status.json, gateway/response/health and gateway/health show the URL without it', async () => {
    const status = await (await fetch(`${http}/status.json`)).text();
    assert.ok(!status.includes(TAIL), `/status.json leaks: ${status.slice(0, 400)}`);
    assert.match(status, new RegExp(`"url":"mqtt://127\\.0\\.0\\.1:${broker.port}"`));

    const answer = sub.waitFor((m) => m.topic === `${BASE}/gateway/response/health`, 10_000);
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/gateway/request/health`,
      payload: '{"id":"cred-1"}',
      qos: 1,
      ...watcher,
    });
    const health = (await answer).payload;
    assert.match(health, /"id":"cred-1"/);
    assert.ok(!health.includes(TAIL), `gateway/response/health leaks: ${health.slice(0, 400)}`);
    const published = sub.messages.map((m) => m.payload).join('\n');
    assert.ok(!published.includes(TAIL), 'a message under the base topic carries the password');
    console.log(
      `url credentials: /status.json ${status.length} B, health answer ${health.length} B, ` +
        `${sub.messages.length} messages (${published.length} B) checked`,
    );
  });

  it('the log lines (connecting/connected to broker) carry no part of it', async () => {
    assert.equal(await gateway.kill('SIGTERM'), 0);
    const output = gateway.stdout() + gateway.stderr();
    assert.match(output, /connecting to broker/);
    assert.match(output, new RegExp(`"url":"mqtt://127\\.0\\.0\\.1:${broker.port}"`));
    assert.ok(!output.includes(TAIL), 'the log shows the password');
    console.log(`url credentials: ${output.length} B of log checked`);
  });

  it('tty2mqtt check prints the broker without it', async () => {
    const { code, stdout, stderr } = await runCli(['check', '-c', file]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, new RegExp(`external mqtt://127\\.0\\.0\\.1:${broker.port}`));
    assert.ok(!(stdout + stderr).includes(TAIL), 'check shows the password');
  });
});
