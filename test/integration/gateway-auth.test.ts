// An external broker that requires a login, reached with MQTT 3.1.1 and MQTT 5: the
// gateway's username + password_file work, and a wrong password is reported and retried
// without a crash.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGateway } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { subscribe } from '../helpers/mqtt-sub.ts';

describe('gateway → Mosquitto with authentication', () => {
  let dir: string;
  let broker: Mosquitto;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-auth-'));
    chmodSync(dir, 0o755); // mosquitto drops to its own user and must read the password file
    const passwd = join(dir, 'mosquitto.passwd');
    writeFileSync(passwd, '');
    execFileSync('mosquitto_passwd', ['-b', passwd, 'gateway', 's3cret-gw']);
    execFileSync('mosquitto_passwd', ['-b', passwd, 'watcher', 'w4tch']);
    chmodSync(passwd, 0o644);
    broker = await startMosquitto({ config: `allow_anonymous false\npassword_file ${passwd}` });
    writeFileSync(join(dir, 'gw.secret'), 's3cret-gw\n', { mode: 0o600 });
    writeFileSync(join(dir, 'wrong.secret'), 'not-it\n', { mode: 0o600 });
  });

  after(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function config(name: string, protocol: 4 | 5, secret: string): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        `gateway: { id: ${name}, base_topic: auth/${name} }`,
        'mqtt:',
        '  broker: external',
        `  url: ${broker.url}`,
        '  username: gateway',
        `  password_file: ${secret}`,
        `  protocol_version: ${protocol}`,
        'ports:',
        '  - { name: attic, path: /dev/serial/by-id/not-plugged-in, device: climate }',
        'log: { level: debug }',
      ].join('\n'),
    );
    return file;
  }

  for (const protocol of [4, 5] as const) {
    it(`logs in with username + password_file over MQTT ${protocol === 4 ? '3.1.1' : '5'}`, async () => {
      const name = `v${protocol}`;
      const sub = await subscribe({
        host: broker.host,
        port: broker.port,
        topics: [`auth/${name}/#`],
        qos: 1,
        username: 'watcher',
        password: 'w4tch',
      });
      const gw = startGateway(['run', '-c', config(name, protocol, 'gw.secret')]);
      try {
        await sub.waitFor((m) => m.topic === `auth/${name}/gateway/state` && m.payload === 'online', 15_000);
        assert.equal(await gw.kill('SIGTERM'), 0);
        await sub.waitFor((m) => m.topic === `auth/${name}/gateway/state` && m.payload === 'offline');
        assert.doesNotMatch(gw.stdout() + gw.stderr(), /s3cret-gw/);
      } finally {
        await gw.kill('SIGKILL');
        await sub.stop();
      }
    });
  }

  it('a wrong password is reported and retried; the daemon keeps running', async () => {
    const gw = startGateway(['run', '-c', config('wrong', 5, 'wrong.secret')]);
    try {
      // One warning per refused attempt, naming the broker's answer and the next attempt.
      await gw.waitForOutput(
        /"msg":"broker connection failed: Connection refused: (Not authorized|Bad User Name or Password); retry in \d+(\.\d)? s/,
        15_000,
      );
      assert.doesNotMatch(gw.stdout() + gw.stderr(), /not-it/);
      assert.equal(await gw.kill('SIGTERM'), 0);
    } finally {
      await gw.kill('SIGKILL');
    }
  });
});
