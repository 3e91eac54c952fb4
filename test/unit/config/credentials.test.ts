// password_file from systemd's LoadCredential=: `credential:NAME` and
// `${CREDENTIALS_DIRECTORY}/NAME`, with FILE:LINE:COL problems when it cannot work.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { ConfigError } from '../../../src/errors.ts';
import { REPO_ROOT } from '../../helpers/gateway-process.ts';

const SHIPPED = join(REPO_ROOT, 'devices');

function yaml(passwordFile: string): string {
  return [
    'version: 1',
    'gateway: { id: credgw }',
    'mqtt:',
    '  broker: external',
    '  url: mqtt://127.0.0.1:1883',
    '  username: gateway',
    `  password_file: ${passwordFile}`,
    'ports:',
    '  - { name: livingroom, path: /dev/ttyUSB0, device: climate }',
    '',
  ].join('\n');
}

describe('password_file from systemd credentials', () => {
  let dir: string;
  let credentials: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tty2mqtt-cred-'));
    // What systemd makes of LoadCredential=mqtt-password:…: a 0400 file in a private dir.
    credentials = join(dir, 'credentials');
    await mkdir(credentials, { mode: 0o500 });
    await writeFile(join(credentials, 'mqtt-password'), 's3cret-from-systemd\n', { mode: 0o400 });
    await chmod(credentials, 0o500);
  });

  after(async () => {
    await chmod(credentials, 0o700);
    await rm(dir, { recursive: true, force: true });
  });

  async function load(passwordFile: string, env: NodeJS.ProcessEnv) {
    const file = join(dir, 'gateway.yaml');
    await writeFile(file, yaml(passwordFile));
    return loadConfig({ file, cwd: dir, env, shippedDevicesDir: SHIPPED, hostname: 'h' });
  }

  async function problems(passwordFile: string, env: NodeJS.ProcessEnv): Promise<string[]> {
    try {
      await load(passwordFile, env);
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error.message.split('\n');
    }
    return assert.fail('expected a configuration problem');
  }

  it('reads credential:NAME from $CREDENTIALS_DIRECTORY', async () => {
    const loaded = await load('credential:mqtt-password', { CREDENTIALS_DIRECTORY: credentials });
    assert.equal(loaded.config.mqtt.password, 's3cret-from-systemd');
  });

  it('reads ${CREDENTIALS_DIRECTORY}/NAME through the environment substitution', async () => {
    const loaded = await load('"${CREDENTIALS_DIRECTORY}/mqtt-password"', {
      CREDENTIALS_DIRECTORY: credentials,
    });
    assert.equal(loaded.config.mqtt.password, 's3cret-from-systemd');
  });

  it('says where and why when CREDENTIALS_DIRECTORY is not set', async () => {
    const lines = await problems('credential:mqtt-password', {});
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^gateway\.yaml:7:18: mqtt\.password_file: credential:mqtt-password needs/);
    assert.match(lines[0] ?? '', /LoadCredential=mqtt-password:/);
    assert.match(lines[0] ?? '', /CREDENTIALS_DIRECTORY is not set/);
    const viaEnv = await problems('"${CREDENTIALS_DIRECTORY}/mqtt-password"', {});
    assert.match(
      viaEnv[0] ?? '',
      /^gateway\.yaml:7:18: mqtt\.password_file: environment variable CREDENTIALS_DIRECTORY is not set: systemd sets it only for a unit with LoadCredential=/,
    );
  });

  it('says which credential is missing', async () => {
    const lines = await problems('credential:broker-password', { CREDENTIALS_DIRECTORY: credentials });
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] ?? '',
      /^gateway\.yaml:7:18: mqtt\.password_file: credential broker-password is not in \$CREDENTIALS_DIRECTORY .*LoadCredential=broker-password:/,
    );
  });

  it('refuses a credential name that is a path', async () => {
    const lines = await problems('credential:../secret', { CREDENTIALS_DIRECTORY: credentials });
    assert.match(
      lines[0] ?? '',
      /mqtt\.password_file: "credential:\.\.\/secret": a credential name is a file name/,
    );
  });

  it('keeps the group/others rule for credentials too', async () => {
    const loose = join(dir, 'loose-credentials');
    await mkdir(loose);
    await writeFile(join(loose, 'mqtt-password'), 'x\n', { mode: 0o644 });
    await chmod(join(loose, 'mqtt-password'), 0o644);
    const lines = await problems('credential:mqtt-password', { CREDENTIALS_DIRECTORY: loose });
    assert.match(lines[0] ?? '', /is readable by group or others \(mode 0644\)/);
  });

  it('never prints the secret in a problem', async () => {
    const lines = await problems('credential:mqtt-password', {});
    assert.ok(!lines.join('\n').includes('s3cret'));
  });
});
