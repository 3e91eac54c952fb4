// Log output of the real daemon (docs/contract.md §2 `log:`): JSON lines on stdout
// when it is not a TTY (journald), human-readable on a TTY (under script(1), which gives
// the daemon a pseudo-terminal), `log.format` forcing either; and bad input logged at a
// limited rate — a handful of lines and one "N more suppressed" summary for a burst of
// 1,000, while the counters count all 1,000. Levels are names, no line has a key twice, and
// when stdout is the journal (JOURNAL_STREAM names it) every line starts with its syslog
// priority.
//
// That summary comes only when the 60 s rate-limit window ends, so the TTY cases run in
// the meantime (describe concurrency) on a pty pair of their own, and each stops its
// daemon as soon as it has logged "running" instead of after a fixed time.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDevice } from '../helpers/device.ts';
import type { DeviceEnd } from '../helpers/device.ts';
import { REPO_ROOT, startGateway } from '../helpers/gateway-process.ts';
import { duplicateKeys } from '../helpers/json-duplicate-keys.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { Subscription } from '../helpers/mqtt-sub.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';

const BASE = 'iot/home1';
const TEMPERATURE = `${BASE}/livingroom/temperature`;
const BURST = 1000;
const TTY_GATEWAY = '{ id: ttygw, base_topic: iot/tty }';

interface LogLine {
  level: string;
  time: number;
  msg: string;
  suppressed?: number;
  reason?: string;
}

/** `gateway` — id and base topic — apart for the TTY cases, which run beside the pipe case. */
function configYaml(
  url: string,
  portPath: string,
  queuePath: string,
  log: string,
  gateway = '{ id: testgw, base_topic: iot/home1 }',
): string {
  return [
    'version: 1',
    `gateway: ${gateway}`,
    `mqtt: { broker: external, url: "${url}" }`,
    `queue: { path: "${queuePath}" }`,
    'ports:',
    `  - { name: livingroom, path: "${portPath}", device: climate, idle_timeout: 0 }`,
    `log: ${log}`,
  ].join('\n');
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** Every stdout line must be one JSON object with a level name, time and msg, no key twice. */
function parseJsonLines(stdout: string): LogLine[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  assert.ok(lines.length > 0, 'the daemon logged something');
  return lines.map((l) => {
    assert.deepEqual(duplicateKeys(l), [], l);
    const parsed = JSON.parse(l) as LogLine;
    assert.ok(LEVELS.includes(parsed.level), l);
    assert.equal(typeof parsed.time, 'number', l);
    assert.equal(typeof parsed.msg, 'string', l);
    return parsed;
  });
}

/** How long a TTY case's daemon may take to say it is running before it is stopped anyway. */
const RUNNING_TIMEOUT_MS = 30_000;

/**
 * Runs the daemon on a pseudo-terminal (script -q: no banner; -e: its exit code; -f: flush
 * at once). The shell writes its pid to a file and execs the daemon, so that pid is the
 * daemon's: once it has logged "tty2mqtt running" it gets SIGTERM and ends by itself.
 * Returns the terminal output without colour codes.
 */
async function runOnTty(config: string, dir: string): Promise<{ code: number | null; output: string }> {
  const pidFile = join(dir, 'tty-daemon.pid');
  rmSync(pidFile, { force: true });
  const command = `echo $$ > ${pidFile}; exec ${process.execPath} --import tsx src/cli.ts run -c ${config}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: REPO_ROOT,
    env: { ...process.env, SHELL: '/bin/sh' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stopping = false;
  const stopDaemon = (): void => {
    if (stopping) return;
    stopping = true;
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
    } catch {
      // Already gone: its exit code and output tell the test what happened.
    }
  };
  const onData = (d: string): void => {
    output += d;
    if (/tty2mqtt running/.test(output)) stopDaemon();
  };
  child.stdout.setEncoding('utf8').on('data', onData);
  child.stderr.setEncoding('utf8').on('data', onData);
  const notRunning = setTimeout(stopDaemon, RUNNING_TIMEOUT_MS);
  const guard = setTimeout(() => child.kill('SIGKILL'), RUNNING_TIMEOUT_MS + 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(notRunning);
  clearTimeout(guard);
  // eslint-disable-next-line no-control-regex -- stripping the ANSI colour codes pino-pretty writes
  return { code, output: output.replace(/\u001b\[[0-9;]*m/g, '').replace(/\r/g, '') };
}

describe('daemon log output', { concurrency: true }, () => {
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let ttyPty: PtyPair;
  let gateway: GatewayProcess;
  let sub: Subscription;
  let device: DeviceEnd;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-logging-'));
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'climate-dev', gateway: 'climate-gw' });
    ttyPty = await createPtyPair(dir, { device: 'tty-dev', gateway: 'tty-gw' });
    sub = await subscribe({ host: broker.host, port: broker.port, topics: [`${BASE}/#`], qos: 1 });
  });

  after(async () => {
    await device?.close();
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await ttyPty?.kill();
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stdout a pipe: JSON lines; 1,000 bad lines → a few warnings, one summary, all counted', async () => {
    const config = join(dir, 'pipe.yaml');
    writeFileSync(config, configYaml(broker.url, pty.gatewayPath, join(dir, 'q1.db'), '{ level: info }'));
    // Inherited from a service whose stdout was the journal, but this stdout is a pipe: the
    // variable names another stream, so no priority prefixes (systemd.exec(5) $JOURNAL_STREAM).
    gateway = startGateway(['run', '-c', config], { env: { JOURNAL_STREAM: '8:12345' } });
    await gateway.waitForOutput(`opened ${pty.gatewayPath}`, 20_000);
    device = await openDevice(pty.devicePath);
    await device.write('boot noise\ntemp=20.5,hum=40\n');
    await sub.waitFor((m) => m.topic === TEMPERATURE && m.payload === '20.5', 10_000);

    // Bad checksums: well-formed lines the gateway must discard (docs/contract.md §4.1).
    await device.write('temp=21.0,hum=41*00\n'.repeat(BURST));
    await device.write('temp=22.5,hum=40\n');
    await sub.waitFor((m) => m.topic === TEMPERATURE && m.payload === '22.5', 15_000);

    const before = sub.messages.length;
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/gateway/request/health`,
      payload: '{}',
    });
    const reply = await sub.waitFor(
      (m) => m.topic === `${BASE}/gateway/response/health` && sub.messages.indexOf(m) >= before,
      10_000,
    );
    const port = (
      JSON.parse(reply.payload) as { result: { ports: { livingroom: { discards: Record<string, number> } } } }
    ).result.ports.livingroom;
    assert.equal(port.discards['checksum_mismatch'], BURST, JSON.stringify(port.discards));

    const warned = parseJsonLines(gateway.stdout()).filter(
      (l) => l.level === 'warn' && l.reason === 'checksum_mismatch' && l.suppressed === undefined,
    );
    assert.ok(
      warned.length >= 1 && warned.length <= 5,
      `${warned.length} warning lines for ${BURST} bad lines`,
    );
    // The summary comes when the rate-limit window (60 s) ends, even though the device is
    // quiet by then.
    await gateway.waitForOutput(/more suppressed/, 90_000);
    const summaries = parseJsonLines(gateway.stdout()).filter((l) => l.suppressed !== undefined);
    assert.equal(summaries.length, 1, JSON.stringify(summaries));
    assert.equal(summaries[0]?.suppressed, BURST - warned.length);
    assert.equal(summaries[0]?.level, 'warn');
    assert.match(
      summaries[0]?.msg ?? '',
      new RegExp(`: ${BURST - warned.length} more suppressed in the last 60 s$`),
    );

    assert.equal(await gateway.kill('SIGTERM'), 0);
    await device.close();
    const lines = parseJsonLines(gateway.stdout()); // the shutdown lines are JSON too
    assert.ok(lines.some((l) => l.msg === 'tty2mqtt stopped'));
  });

  it('stdout the journal: each line starts with its syslog priority, then the JSON', async () => {
    const config = join(dir, 'journal.yaml');
    writeFileSync(
      config,
      configYaml(
        broker.url,
        '/dev/serial/by-id/not-plugged-in', // a warning: the port cannot be opened
        join(dir, 'q4.db'),
        '{ level: debug }',
        '{ id: journalgw, base_topic: iot/journal }',
      ),
    );
    // journald's stream is a socket; any file does, as long as JOURNAL_STREAM names its
    // device and inode as systemd does ("<st_dev>:<st_ino>").
    const out = join(dir, 'journal.out');
    const fd = openSync(out, 'w');
    const { dev, ino } = fstatSync(fd, { bigint: true });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', '-c', config], {
      cwd: REPO_ROOT,
      env: { ...process.env, JOURNAL_STREAM: `${dev}:${ino}` },
      stdio: ['ignore', fd, 'pipe'],
    });
    closeSync(fd);
    const closed = new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    const deadline = Date.now() + 30_000;
    while (!readFileSync(out, 'utf8').includes('tty2mqtt running') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    assert.equal(await closed, 0);

    // sd-daemon(3): <2> crit, <3> err, <4> warning, <6> info, <7> debug.
    const priorities: Record<string, string> = { fatal: '2', error: '3', warn: '4', info: '6', debug: '7' };
    const lines = readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    const seen = new Set<string>();
    const json = lines.map((line) => {
      const prefixed = /^<(\d)>(\{.*)$/.exec(line);
      assert.ok(prefixed !== null, `no priority prefix: ${line}`);
      const [parsed] = parseJsonLines(prefixed[2] as string); // what journalctl -o cat shows
      assert.equal(prefixed[1], priorities[parsed?.level ?? ''], line);
      seen.add(parsed?.level ?? '');
      return parsed;
    });
    assert.ok(seen.has('info') && seen.has('warn'), `the run's levels: ${[...seen].join(', ')}`);
    assert.ok(json.some((l) => l?.msg === 'tty2mqtt stopped'));
  });

  // One after the other: both use ttyPty.
  describe('on a TTY', { concurrency: 1 }, () => {
    it('stdout a TTY: human-readable lines, not JSON', async () => {
      const config = join(dir, 'tty.yaml');
      writeFileSync(
        config,
        configYaml(broker.url, ttyPty.gatewayPath, join(dir, 'q2.db'), '{ level: info }', TTY_GATEWAY),
      );
      const { code, output } = await runOnTty(config, dir);
      assert.equal(code, 0, output);
      const lines = output.split('\n').filter((l) => l.trim() !== '');
      assert.ok(
        lines.some((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: starting tty2mqtt$/.test(l)),
        output,
      );
      assert.ok(
        lines.some((l) => /INFO: tty2mqtt running: 1 port\(s\)/.test(l)),
        output,
      );
      // The last line, written just before exit, still reaches the terminal.
      assert.ok(
        lines.some((l) => /INFO: tty2mqtt stopped$/.test(l)),
        output,
      );
      for (const line of lines) assert.doesNotMatch(line, /^\{.*\}$/, 'no JSON line on a TTY');
    });

    it('log.format: json keeps JSON lines on a TTY', async () => {
      const config = join(dir, 'tty-json.yaml');
      writeFileSync(
        config,
        configYaml(
          broker.url,
          ttyPty.gatewayPath,
          join(dir, 'q3.db'),
          '{ level: info, format: json }',
          TTY_GATEWAY,
        ),
      );
      const { code, output } = await runOnTty(config, dir);
      assert.equal(code, 0, output);
      const lines = parseJsonLines(output);
      assert.ok(lines.some((l) => l.msg === 'starting tty2mqtt'));
    });
  });
});
