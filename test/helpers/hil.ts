// Firmware in the loop: the reference sketches in devices/ compiled for an Arduino Uno
// (hil/build-firmware.sh) and run in the emulated Uno of hil/harness.c, whose UART is a
// fresh pty the real gateway opens like a USB serial port — optionally behind optiboot
// (hil/build-bootloader.sh), so that avrdude can flash it there. Missing tools are an error
// naming the apt packages, never a skip. Every board is stopped by its own PID.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT, startGateway } from './gateway-process.ts';
import type { GatewayProcess } from './gateway-process.ts';
import { startMosquitto } from './mosquitto.ts';
import type { Mosquitto } from './mosquitto.ts';
import { publish, subscribe } from './mqtt-sub.ts';
import type { Subscription } from './mqtt-sub.ts';

const HIL_DIR = join(REPO_ROOT, 'hil');
const HARNESS = join(HIL_DIR, 'build', 'harness');
const PACKAGES = 'gcc-avr avr-libc arduino-core-avr libsimavr-dev libelf-dev avrdude';
const BUILD_TIMEOUT_MS = 120_000;
const READY_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 2_000;
const MAX_OUTPUT = 1_000_000;
/**
 * Each emulated Uno takes 20–40% of a core; the test machines have two, and test/run.sh
 * runs two HIL files at once: at most 4 boards, under 1.6 cores.
 */
export const MAX_BOARDS = 2;

export interface BuildOptions {
  /** -DFAKE_SENSORS=1: the sketch's fixed-seed fake sensor mode (no sensor is emulated). */
  fake?: boolean;
  /** More -D NAME=VALUE for the sketch and the core, e.g. { SERIAL_RX_BUFFER_SIZE: 128 }. */
  defines?: Readonly<Record<string, string | number>>;
}

export interface BoardOptions {
  /** Reset the chip whenever the pty is opened again, like an Uno's DTR auto-reset. */
  resetOnOpen?: boolean;
  /** Report pin levels (D2–D13, A0–A5) through pins() and waitForPin(). */
  pins?: boolean;
  /**
   * true: run optiboot (buildBootloader()) in the boot section, as on an Uno: every reset
   * starts it; after the first open (power-on) it starts the sketch at once, after a reset
   * on open it waits ~1 s for avrdude first. Flash avrdude writes survives resets. The
   * harness prints `harness: watchdog reset` whenever the watchdog restarts the chip.
   * A string: that Intel HEX file instead (it must lie in 0x7E00–0x7FFF).
   */
  bootloader?: boolean | string;
}

export interface EmulatedBoard {
  /** The pty to put in gateway.yaml, e.g. /dev/pts/7. The chip starts when it is first opened. */
  path: string;
  pid: number;
  /** Last reported level of each pin that changed (needs `pins: true`), e.g. D13 → 1. */
  pins(): Map<string, 0 | 1>;
  /** Resolves once `pin` is at `level`; rejects with the harness output after timeoutMs. */
  waitForPin(pin: string, level: 0 | 1, timeoutMs?: number): Promise<void>;
  /** What the harness printed on stderr: pin changes, opens/closes/resets, libsimavr notes. */
  output(): string;
  /** Resolves once output() matches; rejects with the harness output after timeoutMs. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal name) once the harness has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after 2 s; the pty goes away (the gateway sees a hang-up). Safe twice. */
  stop(): Promise<void>;
}

// Per test process: each test file is its own process under node --test, and test/run.sh
// runs two HIL files at a time, so twice these bound the whole machine.
const builds = new Map<string, Promise<string>>();
let bootloaderBuild: Promise<string> | undefined;
let toolsReady: Promise<void> | undefined;
let running = 0;

function onPath(command: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // next directory
    }
  }
  return false;
}

/** The Arduino AVR core's directory (hardware/arduino/avr), found as hil/build-firmware.sh finds it. */
export function arduinoCoreDir(): string | undefined {
  const candidates = [process.env['ARDUINO_AVR_CORE'], '/usr/share/arduino/hardware/arduino/avr'];
  try {
    const listed = execFileSync('dpkg', ['-L', 'arduino-core-avr'], { encoding: 'utf8', stdio: 'pipe' });
    candidates.push(...listed.split('\n').filter((line) => line.endsWith('/hardware/arduino/avr')));
  } catch {
    // not a dpkg system, or the package is not installed
  }
  return candidates.find(
    (dir): dir is string => dir !== undefined && existsSync(join(dir, 'cores', 'arduino', 'Arduino.h')),
  );
}

/**
 * Throws, naming the apt packages, when the AVR toolchain, the Arduino core or libsimavr
 * is missing; then builds hil/build/harness (hil/build-harness.sh, a no-op when current).
 */
export function ensureHilTools(): Promise<void> {
  toolsReady ??= (async () => {
    const missing: string[] = [];
    if (!onPath('avr-gcc') || !onPath('avr-size')) missing.push('avr-gcc (gcc-avr, avr-libc)');
    if (!onPath('avrdude')) missing.push('avrdude (avrdude)');
    if (arduinoCoreDir() === undefined) missing.push('the Arduino AVR core (arduino-core-avr)');
    if (!existsSync('/usr/include/simavr/sim_avr.h')) missing.push('libsimavr headers (libsimavr-dev)');
    if (!existsSync('/usr/include/libelf.h')) missing.push('libelf (libelf-dev)');
    if (missing.length > 0)
      throw new Error(
        `the firmware-in-the-loop tests need ${missing.join(', ')}; install with:\n` +
          `  sudo apt-get install -y --no-install-recommends ${PACKAGES}`,
      );
    await run('bash', [join(HIL_DIR, 'build-harness.sh')], 'hil/build-harness.sh');
  })();
  return toolsReady;
}

function run(command: string, args: string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: REPO_ROOT, timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else reject(new Error(`${what} failed (${error.message.split('\n')[0]}):\n${stderr}${stdout}`));
      },
    );
  });
}

/**
 * Compiles devices/<id>/<id>.ino with hil/build-firmware.sh and resolves with the ELF's
 * path. The same id and options are built once per test process.
 */
export function buildFirmware(id: string, options: BuildOptions = {}): Promise<string> {
  const defines = Object.entries(options.defines ?? {}).map(([name, value]) => `${name}=${value}`);
  const key = JSON.stringify([id, options.fake === true, defines]);
  let build = builds.get(key);
  if (build === undefined) {
    build = (async () => {
      await ensureHilTools();
      const args = [join(HIL_DIR, 'build-firmware.sh'), id];
      if (options.fake === true) args.push('--fake');
      for (const define of defines) args.push('-D', define);
      const stdout = await run('bash', args, `hil/build-firmware.sh ${args.slice(1).join(' ')}`);
      const elf = stdout.trim().split('\n').at(-1) ?? '';
      if (!elf.endsWith('.elf') || !existsSync(elf))
        throw new Error(`hil/build-firmware.sh printed no ELF path:\n${stdout}`);
      return elf;
    })();
    builds.set(key, build);
    build.catch(() => builds.delete(key)); // a failed build is retried, not cached
  }
  return build;
}

/**
 * Builds optiboot for the Uno from the Arduino core's source (hil/build-bootloader.sh; the
 * core's own optiboot_atmega328.hex is damaged, docs/decisions/0025) and resolves with the
 * HEX file's path. Built once per test process.
 */
export function buildBootloader(): Promise<string> {
  bootloaderBuild ??= (async () => {
    await ensureHilTools();
    const stdout = await run('bash', [join(HIL_DIR, 'build-bootloader.sh')], 'hil/build-bootloader.sh');
    const hex = stdout.trim().split('\n').at(-1) ?? '';
    if (!hex.endsWith('.hex') || !existsSync(hex))
      throw new Error(`hil/build-bootloader.sh printed no HEX path:\n${stdout}`);
    return hex;
  })();
  bootloaderBuild.catch(() => (bootloaderBuild = undefined)); // a failed build is retried
  return bootloaderBuild;
}

/**
 * Writes the Intel HEX file the Arduino IDE uploads for `elf` (avr-objcopy -O ihex -R .eeprom:
 * flash only) next to it, `<name>.hex`, and returns its path. Written under a temporary name
 * and renamed, so test processes converting the same ELF never read half a file.
 */
export function hexFromElf(elf: string): string {
  if (!elf.endsWith('.elf')) throw new Error(`not an ELF path: ${elf}`);
  const hex = `${elf.slice(0, -'.elf'.length)}.hex`;
  const partial = `${hex}.${process.pid}.tmp`;
  execFileSync('avr-objcopy', ['-O', 'ihex', '-R', '.eeprom', elf, partial], { stdio: 'pipe' });
  renameSync(partial, hex);
  return hex;
}

/**
 * Starts an emulated Uno running `elf` (hil/build/harness) and resolves with its pty path
 * once the harness has printed it. At most MAX_BOARDS run at once in a test process.
 */
export async function startEmulatedBoard(elf: string, options: BoardOptions = {}): Promise<EmulatedBoard> {
  await ensureHilTools();
  const bootloaderHex = options.bootloader === true ? await buildBootloader() : options.bootloader;
  const bootloader = typeof bootloaderHex === 'string' ? ['--bootloader', bootloaderHex] : [];
  if (running >= MAX_BOARDS)
    throw new Error(`at most ${MAX_BOARDS} emulated boards at once (two cores); stop one first`);
  running += 1;
  let released = false;
  const release = (): void => {
    if (!released) running -= 1;
    released = true;
  };
  const args = [
    ...(options.resetOnOpen === true ? ['--reset-on-open'] : []),
    ...(options.pins === true ? ['--pins'] : []),
    ...bootloader,
    elf,
  ];
  const child = spawn(HARNESS, args, { stdio: ['ignore', 'pipe', 'pipe'] });

  let stderr = '';
  const pins = new Map<string, 0 | 1>();
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const wake of [...waiters]) wake();
  };
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (stderr.length < MAX_OUTPUT) stderr += `${line}\n`;
    const pin = /^PIN ([A-Z]\d+) ([01])$/.exec(line);
    if (pin !== null) pins.set(pin[1] ?? '', pin[2] === '1' ? 1 : 0);
    notify();
  });
  let exitedYet = false;
  const exited = new Promise<number | string>((resolve) => {
    const done = (code: number | string): void => {
      exitedYet = true;
      release();
      notify();
      resolve(code);
    };
    child.once('close', (code, signal) => done(code ?? signal ?? 'unknown'));
    child.once('error', (error) => done(`spawn error: ${error.message}`));
  });

  // The first stdout line is the pty path; nothing else is ever printed there.
  const path = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    let settled = false;
    const settle = (error: Error | null, line = ''): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      lines.close();
      if (error === null) return resolve(line.trim());
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${stderr}`));
    };
    const timer = setTimeout(
      () => settle(new Error(`the harness printed no pty path within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    lines.once('line', (line) => settle(null, line));
    void exited.then((code) => settle(new Error(`the harness exited (${code}) before printing its pty`)));
  });
  const pid = child.pid;
  if (pid === undefined || !path.startsWith('/dev/')) {
    await stopChild(child, exited);
    throw new Error(`the harness printed ${JSON.stringify(path)} instead of a pty path\n${stderr}`);
  }

  /** Resolves once `done()` holds, checked after every line the harness prints. */
  const waitUntil = (done: () => boolean, failure: string, timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (done()) finish();
        else if (exitedYet) finish(new Error(`the harness exited: ${failure}`));
      };
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error === undefined) resolve();
        else reject(new Error(`${error.message}\nharness output:\n${stderr}`));
      };
      const timer = setTimeout(() => finish(new Error(`${failure} within ${timeoutMs} ms`)), timeoutMs);
      waiters.add(check);
      check();
    });

  return {
    path,
    pid,
    pins: () => new Map(pins),
    output: () => stderr,
    exited,
    waitForPin: (pin, level, timeoutMs = 5_000) =>
      waitUntil(() => pins.get(pin) === level, `${pin} did not become ${level}`, timeoutMs),
    waitForOutput: (pattern, timeoutMs = 5_000) =>
      waitUntil(
        () => pattern.test(stderr),
        `the harness printed nothing matching ${String(pattern)}`,
        timeoutMs,
      ),
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | string>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM'); // this child's PID only
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  } else {
    await exited;
  }
}

/** The gateway id of every HIL rig: stable message ids are `hilgw/<port>/<seq>`. */
export const HIL_GATEWAY_ID = 'hilgw';

/** One emulated board, a Mosquitto, an MQTT 5 subscriber on `<base>/#` and the real daemon. */
export interface HilRig {
  dir: string;
  board: EmulatedBoard;
  broker: Mosquitto;
  sub: Subscription;
  /** The latest gateway process (a new one after each restartGateway()). */
  readonly gateway: GatewayProcess;
  /** The gateway's queue file, on disk in `dir` so a restarted gateway finds it. */
  queuePath: string;
  /** Starts another gateway on the same config and queue file (after a kill -9, say). */
  restartGateway(): GatewayProcess;
  /** gateway/request/<action> → gateway/response/<action> (docs/contract.md): the answer's result, ok checked. */
  request(action: string, body?: Record<string, unknown>): Promise<unknown>;
  /** Stops everything the rig started (by PID) and removes its temp dir. */
  stop(): Promise<void>;
}

export interface HilRigOptions {
  device: string;
  /** The port's name in gateway.yaml. */
  port: string;
  base: string;
  board?: BoardOptions;
}

/** Builds `device` with fake sensors, starts its board and a gateway on its pty. */
export async function startHilRig(options: HilRigOptions): Promise<HilRig> {
  const { device, port, base } = options;
  const dir = mkdtempSync(join(tmpdir(), `tty2mqtt-hil-${device}-`));
  const elf = await buildFirmware(device, { fake: true });
  const board = await startEmulatedBoard(elf, options.board);
  const broker = await startMosquitto();
  const sub = await subscribe({
    host: broker.host,
    port: broker.port,
    topics: [`${base}/#`],
    qos: 2,
    protocolV5: true,
  });
  const configPath = join(dir, 'gateway.yaml');
  const queuePath = join(dir, 'queue.db');
  const config = [
    'version: 1',
    `gateway: { id: ${HIL_GATEWAY_ID}, base_topic: ${base} }`,
    `mqtt: { broker: external, url: "${broker.url}", keepalive: 5s }`,
    // On disk: the queued lines and the de-duplication marks survive a kill -9.
    `queue: { path: "${queuePath}" }`,
    'ports:',
    `  - { name: ${port}, path: "${board.path}", device: ${device}, idle_timeout: 0 }`,
    'log: { level: debug }',
  ];
  writeFileSync(configPath, `${config.join('\n')}\n`);
  const runs = [startGateway(['run', '-c', configPath])];
  const latest = (): GatewayProcess => runs[runs.length - 1] as GatewayProcess;
  let requests = 0;
  return {
    dir,
    board,
    broker,
    sub,
    get gateway() {
      return latest();
    },
    queuePath,
    restartGateway() {
      runs.push(startGateway(['run', '-c', configPath]));
      return latest();
    },
    async request(action, body = {}) {
      const id = `hil-${++requests}`;
      await publish({
        host: broker.host,
        port: broker.port,
        topic: `${base}/gateway/request/${action}`,
        payload: JSON.stringify({ ...body, id }),
        qos: 1,
      });
      const answer = await sub.waitFor(
        (m) => m.topic === `${base}/gateway/response/${action}` && m.payload.includes(`"id":"${id}"`),
      );
      const parsed = JSON.parse(answer.payload) as { ok: boolean; result?: unknown };
      assert.equal(parsed.ok, true, `${action}: ${answer.payload}`);
      return parsed.result;
    },
    async stop() {
      for (const run of runs) await run.kill('SIGKILL');
      await sub.stop();
      await board.stop();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
