// The package as a user gets it: `npm pack`, then `npm install --omit=dev` of the tarball
// into an empty prefix, then the installed bin — `--version`, `check`, and `run` against a
// real Mosquitto with a reading from a socat pty. Only `dependencies` are installed, so this
// fails when the bundle loads a package that is not declared, or when the bin still needs
// tsx. The native modules come from the registry like any user's install (better-sqlite3
// compiles from source when its prebuilt binary cannot be downloaded: about a minute here);
// npm's own cache under ~/.npm is used as it is, never bypassed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, startGateway } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { subscribe } from '../helpers/mqtt-sub.ts';
import { createPtyPair, openDeviceEnd } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';

const INSTALL_TIMEOUT_MS = 15 * 60_000;

function run(command: string, args: string[], cwd: string, timeout = 120_000) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Every `node_modules/<name>` directory below `dir`, nested ones included. */
function installedNames(dir: string): Set<string> {
  const names = new Set<string>();
  const walk = (modules: string): void => {
    for (const entry of readdirSync(modules, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const scoped = entry.name.startsWith('@');
      const packages = scoped
        ? readdirSync(join(modules, entry.name)).map((n) => `${entry.name}/${n}`)
        : [entry.name];
      for (const name of packages) {
        names.add(name);
        const nested = join(modules, name, 'node_modules');
        try {
          walk(nested);
        } catch {
          // no nested node_modules
        }
      }
    }
  };
  walk(join(dir, 'node_modules'));
  return names;
}

describe('the packed package, installed with --omit=dev', { timeout: INSTALL_TIMEOUT_MS + 180_000 }, () => {
  let dir: string;
  let tarball: string;
  let bin: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-package-'));
    // npm pack runs prepack (npm run build), which replaces dist/: in a copy of the working
    // tree (tracked and new files, as they are), so the checkout's own dist/ — which
    // deploy-systemd.test.ts stages — is never rebuilt under another test file's feet.
    const copy = join(dir, 'checkout');
    const listed = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], REPO_ROOT);
    assert.equal(listed.code, 0, listed.err);
    for (const file of listed.out.split('\0').filter((f) => f !== '')) {
      mkdirSync(join(copy, dirname(file)), { recursive: true });
      try {
        cpSync(join(REPO_ROOT, file), join(copy, file));
      } catch (error) {
        // A tracked file deleted in the working tree is not in the package either.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules')), join(copy, 'node_modules'));
    const packed = run('npm', ['pack', '--pack-destination', dir], copy);
    assert.equal(packed.code, 0, packed.out + packed.err);
    tarball = join(dir, packed.out.trim().split('\n').at(-1) ?? '');

    const prefix = join(dir, 'prefix');
    mkdirSync(prefix);
    const started = Date.now();
    const installed = run(
      'npm',
      ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefix', prefix, tarball],
      dir,
      INSTALL_TIMEOUT_MS,
    );
    assert.equal(installed.code, 0, installed.out + installed.err);
    console.log(`npm install --omit=dev of the tarball: ${Math.round((Date.now() - started) / 1000)} s`);
    bin = join(prefix, 'node_modules/.bin/tty2mqtt');
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
  });

  after(async () => {
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ships the bundle, deploy/ and LICENSE, not the TypeScript sources or the tests', () => {
    const listed = run('tar', ['-tzf', tarball], dir);
    assert.equal(listed.code, 0, listed.err);
    const files = listed.out.split('\n').filter((f) => f !== '');
    for (const wanted of [
      'package/bin/tty2mqtt.js',
      'package/dist/cli.js',
      'package/LICENSE',
      'package/deploy/install.sh',
      'package/deploy/tty2mqtt.service',
      'package/devices/climate/profile.yaml',
      'package/src/demo/demo.yaml',
    ])
      assert.ok(files.includes(wanted), `${wanted} in the tarball`);
    assert.deepEqual(
      files.filter((f) => f.endsWith('.ts') || f.startsWith('package/test/')),
      [],
    );
  });

  it('installs no development dependency: no tsx, esbuild, pino-pretty or TypeScript', () => {
    const names = installedNames(join(dir, 'prefix'));
    assert.ok(names.has('tty2mqtt') && names.has('better-sqlite3') && names.has('@serialport/bindings-cpp'));
    for (const dev of ['tsx', 'esbuild', 'pino-pretty', 'typescript'])
      assert.ok(!names.has(dev), `${dev} is installed`);
    assert.deepEqual(
      [...names].filter((n) => n.startsWith('@esbuild/')),
      [],
    );
  });

  /** The node the bin's `#!/usr/bin/env node` finds: path and version. */
  function nodeOnPath(): { path: string; version: string } {
    const r = run('node', ['-p', 'process.execPath + " " + process.version'], dir);
    const [path = '', nodeVersion = ''] = r.out.trim().split(' ');
    return { path, version: nodeVersion };
  }

  it('--version', () => {
    const r = run(bin, ['--version'], dir);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(r.out.trim(), `tty2mqtt ${version} (node ${nodeOnPath().version})`);
  });

  it('check, then run: a reading reaches Mosquitto; logs are JSON lines with a note without pino-pretty', async () => {
    const config = join(dir, 'gateway.yaml');
    writeFileSync(
      config,
      [
        'version: 1',
        'gateway: { id: packaged, base_topic: iot/packaged }',
        `mqtt: { broker: external, url: "${broker.url}", keepalive: 5s }`,
        `queue: { path: ${join(dir, 'queue.db')} }`,
        `ports:\n  - { name: attic, path: "${pty.gatewayPath}", device: climate, idle_timeout: 0 }`,
        // Readable lines are asked for; the installed package has no pino-pretty.
        'log: { level: info, format: pretty }',
      ].join('\n'),
    );
    const checked = run(bin, ['check', '-c', config], dir);
    assert.equal(checked.code, 0, checked.out + checked.err);
    assert.match(checked.out, /configuration OK/);
    const node = nodeOnPath();
    assert.ok(checked.out.split('\n').includes(`node         ${node.path} ${node.version}`), checked.out);

    const sub = await subscribe({ host: broker.host, port: broker.port, topics: ['iot/packaged/#'], qos: 1 });
    const gw = startGateway(['run', '-c', config], { command: bin, cwd: dir });
    try {
      await gw.waitForOutput('port attic: opened', 60_000);
      const device = await openDeviceEnd(pty.devicePath);
      try {
        await device.write('boot\ntemp=21.5,hum=40\n');
        const reading = await sub.waitFor((m) => m.topic === 'iot/packaged/attic/temperature', 30_000);
        assert.equal(reading.payload, '21.5');
      } finally {
        await device.close();
      }
      assert.equal(await gw.kill('SIGTERM'), 0, gw.stdout() + gw.stderr());
    } finally {
      await gw.kill('SIGKILL');
      await sub.stop();
    }
    const lines = gw
      .stdout()
      .split('\n')
      .filter((l) => l !== '');
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line) as unknown, line);
    assert.match(lines[0] ?? '', /readable log lines need pino-pretty, a development dependency/);
  });
});
