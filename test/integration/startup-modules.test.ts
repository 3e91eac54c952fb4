// Start-up loads only what a command needs (docs/performance.md, start-up): `--version`,
// `--help` and `ports` load no package at all, `check` only the YAML parser (zod is in the
// bundle) — no broker, queue, MQTT client, serial bindings, logger or metrics. Measured on
// the real entry point (bin/tty2mqtt.js running the bundle), with a preload that records
// every package the process loads, CommonJS and ES modules alike; `demo` shows the preload
// does see those packages when a command loads them.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '../helpers/gateway-process.ts';
import { freePort } from '../helpers/ports.ts';

const TRACE = join(REPO_ROOT, 'test/helpers/module-trace.js');
const BIN = join(REPO_ROOT, 'bin/tty2mqtt.js');

/** The package a traced line names: `cjs mqtt`, `esm file:///…/node_modules/@scope/pkg/x.js`. */
function packageOf(line: string): string {
  const [kind, what = ''] = line.split(' ');
  const marker = '/node_modules/';
  const path = kind === 'esm' ? what.slice(what.lastIndexOf(marker) + marker.length) : what;
  const parts = path.split('/');
  return path.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? '');
}

function packagesIn(trace: string): Set<string> {
  const text = existsSync(trace) ? readFileSync(trace, 'utf8') : ''; // nothing loaded: no file
  assert.doesNotMatch(text, /\/tsx\//u, 'ran the TypeScript sources, not the bundle');
  return new Set(text.split('\n').filter(Boolean).map(packageOf));
}

function newestSource(dir: string): number {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .reduce((newest, name) => Math.max(newest, statSync(join(dir, name)).mtimeMs), 0);
}

describe('start-up loads only what a command needs', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-startup-'));
    // The bin runs the bundle only when it is at least as new as src/ (else tsx, whose own
    // packages would show in the trace): build it when it is not.
    const bundle = join(REPO_ROOT, 'dist/cli.js');
    if (!existsSync(bundle) || statSync(bundle).mtimeMs < newestSource(join(REPO_ROOT, 'src')))
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const loaded = (name: string, args: string[]): Set<string> => {
    const trace = join(dir, `${name}.trace`);
    const run = spawnSync(process.execPath, ['--import', TRACE, BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, MODULE_TRACE_FILE: trace },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 0, `${name}: ${run.stderr}`);
    return packagesIn(trace);
  };

  it('--version and --help load no package', () => {
    assert.deepEqual([...loaded('version', ['--version'])], []);
    assert.deepEqual([...loaded('help', ['--help'])], []);
  });

  it('ports loads no package', () => {
    assert.deepEqual([...loaded('ports', ['ports'])], []);
  });

  it('check loads the YAML parser only', () => {
    assert.deepEqual([...loaded('check', ['check', '-c', join(REPO_ROOT, 'gateway.yaml')])], ['yaml']);
  });

  it('the trace sees the broker, queue, MQTT and serial packages when a command loads them (demo)', async () => {
    const trace = join(dir, 'demo.trace');
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', TRACE, BIN, 'demo', '--listen', `127.0.0.1:${port}`], {
      cwd: dir,
      env: { ...process.env, MODULE_TRACE_FILE: trace },
      stdio: 'ignore',
    });
    const expected = ['aedes', 'better-sqlite3', 'serialport', 'pino'];
    try {
      const deadline = Date.now() + 30_000;
      while (!expected.every((p) => packagesIn(trace).has(p))) {
        assert.ok(Date.now() < deadline, `demo loaded only: ${[...packagesIn(trace)].join(' ')}`);
        await sleep(100);
      }
    } finally {
      child.kill('SIGKILL');
    }
  });
});
