// The daemon runs under the unit's system-call filter ("SystemCallFilter=
// @system-service"). No systemd runs as PID 1 on the test machines, so the test applies the
// same filter itself: the allow-list is read from deploy/tty2mqtt.service and expanded with
// `systemd-analyze syscall-filter`, exactly as systemd would resolve it, and
// test/helpers/seccomp-exec.c loads it (libseccomp) with SystemCallErrorNumber=EPERM and
// NoNewPrivileges before it execs the real daemon: embedded broker, SQLite queue, a serial
// port on a socat pty, a reading seen by mosquitto_sub, and a clean SIGTERM; and a firmware
// flash by avrdude, which the daemon starts and which inherits the filter.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, startGateway } from '../helpers/gateway-process.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import { serveFakeOptiboot } from '../helpers/fake-optiboot.ts';
import { freePort } from '../helpers/ports.ts';
import { createPtyPair, openDeviceEnd } from '../helpers/socat.ts';

const UNIT = join(REPO_ROOT, 'deploy/tty2mqtt.service');

function run(command: string, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The system calls of a `@group` (or a plain name), nested groups expanded, as systemd does. */
function expand(entry: string, seen = new Set<string>()): Set<string> {
  if (!entry.startsWith('@')) return new Set([entry]);
  if (seen.has(entry)) return new Set();
  seen.add(entry);
  const listed = run('systemd-analyze', ['syscall-filter', entry]);
  assert.equal(listed.code, 0, `systemd-analyze syscall-filter ${entry}: ${listed.err}`);
  const names = new Set<string>();
  for (const line of listed.out.split('\n').slice(1)) {
    const item = line.trim();
    if (item === '' || item.startsWith('#')) continue;
    for (const name of expand(item, seen)) names.add(name);
  }
  return names;
}

/**
 * The unit's SystemCallFilter= lines in order: the first non-`~` line starts an allow-list,
 * `~` lines remove from it (systemd.exec(5)).
 */
function allowListOf(unitText: string): string[] {
  const allowed = new Set<string>();
  for (const line of unitText.split('\n')) {
    const m = /^SystemCallFilter=(.*)$/.exec(line.trim());
    if (m === null) continue;
    const value = (m[1] ?? '').trim();
    const deny = value.startsWith('~');
    for (const entry of (deny ? value.slice(1) : value).split(/\s+/).filter((e) => e !== '')) {
      for (const name of expand(entry)) {
        if (deny) allowed.delete(name);
        else allowed.add(name);
      }
    }
  }
  return [...allowed].sort();
}

void describe('the daemon under the unit’s SystemCallFilter (seccomp, as systemd applies it)', () => {
  let dir: string;
  let exec: string;
  let allowFile: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-seccomp-'));
    exec = join(dir, 'seccomp-exec');
    const cc = run('cc', [
      '-O2',
      '-Wall',
      '-o',
      exec,
      join(REPO_ROOT, 'test/helpers/seccomp-exec.c'),
      '-lseccomp',
    ]);
    assert.equal(
      cc.code,
      0,
      `building seccomp-exec needs libseccomp-dev (apt-get install libseccomp-dev):\n${cc.err}`,
    );
    const unit = readFileSync(UNIT, 'utf8');
    assert.match(unit, /^SystemCallErrorNumber=EPERM$/m, 'the test models EPERM for refused calls');
    const allowed = allowListOf(unit);
    assert.ok(allowed.includes('read') && allowed.includes('epoll_wait'), 'the basics are allowed');
    assert.ok(
      !allowed.includes('setpriority') && !allowed.includes('mount'),
      '~@resources ~@privileged applied',
    );
    allowFile = join(dir, 'allowed.txt');
    writeFileSync(allowFile, `${allowed.join('\n')}\n`);
    console.log(`# SystemCallFilter of deploy/tty2mqtt.service: ${allowed.length} system calls allowed`);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('is a real filter: a call outside it fails with EPERM, the same call works without it', () => {
    const probe =
      "try { require('node:os').setPriority(0, 1); console.log('ok') } catch (e) { console.log(e.info?.code ?? e.code ?? e.message) }";
    assert.equal(run(process.execPath, ['-e', probe]).out.trim(), 'ok');
    const filtered = run(exec, [allowFile, process.execPath, '-e', probe]);
    assert.equal(filtered.code, 0, filtered.err);
    assert.match(filtered.out.trim(), /EPERM|EACCES|permission/i);
  });

  void it('check, then run: readings flow through the embedded broker and SIGTERM stops it cleanly', async () => {
    const port = await freePort();
    const pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
    const config = join(dir, 'gateway.yaml');
    writeFileSync(
      config,
      [
        'version: 1',
        'gateway: { id: sandboxed, base_topic: iot/sandboxed }',
        `embedded_broker: { listen: 127.0.0.1:${port} }`,
        `queue: { path: ${join(dir, 'queue.db')}, durability: full }`,
        `ports:\n  - { name: attic, path: "${pty.gatewayPath}", device: climate }`,
      ].join('\n'),
    );
    try {
      const checked = run(exec, [
        allowFile,
        process.execPath,
        '--import',
        'tsx',
        join(REPO_ROOT, 'src/cli.ts'),
        'check',
        '-c',
        config,
      ]);
      assert.equal(checked.code, 0, checked.out + checked.err);

      const gw = startGateway(['run', '-c', config], { wrapper: [exec, allowFile] });
      try {
        await gw.waitForOutput('port attic: opened', 30_000);
        const sub = await subscribe({ host: '127.0.0.1', port, topics: ['iot/sandboxed/#'], qos: 1 });
        try {
          const device = await openDeviceEnd(pty.devicePath);
          try {
            await device.write('boot\ntemp=21.5,hum=40\n');
            const reading = await sub.waitFor((m) => m.topic === 'iot/sandboxed/attic/temperature', 15_000);
            assert.equal(reading.payload, '21.5');
          } finally {
            await device.close();
          }
        } finally {
          await sub.stop();
        }
        assert.equal(await gw.kill('SIGTERM'), 0, gw.stdout() + gw.stderr());
        assert.match(gw.stderr(), /seccomp-exec: \d+ system calls allowed/);
        const daemonOutput = (gw.stdout() + gw.stderr()).replace(/^seccomp-exec: .*$/m, '');
        assert.doesNotMatch(daemonOutput, /EPERM|operation not permitted|"level":"(error|fatal)"/i);
      } finally {
        await gw.kill('SIGKILL');
      }
    } finally {
      await pty.kill();
    }
  });

  void it('flashes a board with avrdude, which runs under the same filter', async () => {
    const port = await freePort();
    const pty = await createPtyPair(dir, { device: 'board', gateway: 'flashport' });
    const board = serveFakeOptiboot(pty.devicePath);
    const config = join(dir, 'flash.yaml');
    writeFileSync(
      config,
      [
        'version: 1',
        'gateway: { id: sandboxed, base_topic: iot/flash }',
        `embedded_broker: { listen: 127.0.0.1:${port} }`,
        `queue: { path: ${join(dir, 'flash-queue.db')} }`,
        'flash: { allow: true, programmer: avrdude }',
        `ports:\n  - { name: shed, path: "${pty.gatewayPath}", device: soil-csv }`,
      ].join('\n'),
    );
    const gw = startGateway(['run', '-c', config], { wrapper: [exec, allowFile] });
    try {
      await gw.waitForOutput('port shed: opened', 30_000);
      const sub = await subscribe({
        host: '127.0.0.1',
        port,
        topics: ['iot/flash/gateway/response/flash'],
        qos: 1,
      });
      try {
        const hex = readFileSync(join(REPO_ROOT, 'test/fixtures/firmware/soil-csv.hex'));
        await publish({
          host: '127.0.0.1',
          port,
          topic: 'iot/flash/gateway/request/flash',
          payload: JSON.stringify({ id: 's1', port: 'shed', image: hex.toString('base64') }),
          qos: 1,
        });
        const answer = await sub.waitFor((m) => m.payload.includes('"ok":'), 60_000);
        const parsed = JSON.parse(answer.payload) as {
          ok: boolean;
          error?: string;
          result?: Record<string, unknown>;
        };
        assert.equal(parsed.ok, true, `${answer.payload}\n${gw.stdout()}${gw.stderr()}`);
        assert.match(String(parsed.result?.['programmer']), /^avrdude \d+\.\d+/);
        assert.equal(parsed.result?.['verified'], true);
        assert.ok(board.fake.commands.length > 0);
      } finally {
        await sub.stop();
      }
      assert.equal(await gw.kill('SIGTERM'), 0, gw.stdout() + gw.stderr());
      const daemonOutput = (gw.stdout() + gw.stderr()).replace(/^seccomp-exec: .*$/m, '');
      assert.doesNotMatch(daemonOutput, /EPERM|operation not permitted|"level":"(error|fatal)"/i);
    } finally {
      await gw.kill('SIGKILL');
      await board.close();
      await pty.kill();
    }
  });
});
