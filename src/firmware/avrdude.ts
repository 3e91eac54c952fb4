// The avrdude programmer: runs the avrdude the system has (>= 6.3) the way the Arduino IDE's
// upload does (platform.txt `tools.avrdude.upload.pattern`):
//   avrdude [-C conf] -v -p <part> -c arduino -P <port> -b <baud> -D -U flash:w:<file>:i [-V]
// -D: no chip erase (optiboot erases each page as it writes it; a chip erase through a
// bootloader does nothing useful). The image is written to a fresh temporary HEX file first,
// so avrdude programs exactly the image tty2mqtt checked, not a file that may have changed.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ErrorCodes, GatewayError, errorMessage } from '../errors.ts';
import { AvrdudeOutput, avrdudeFailure } from './avrdude-output.ts';
import { formatIntelHex } from './intel-hex-write.ts';
import type { Mcu } from './mcu.ts';
import type { ProgramRequest, ProgramResult, Programmer } from './programmer.ts';
import { hexBytes } from './hex-text.ts';

/** 6.3 (2016) is the oldest avrdude whose `-c arduino` and messages this was checked against. */
export const MIN_AVRDUDE_VERSION = { major: 6, minor: 3 } as const;
/** avrdude's own sync tries (stk500.c MAX_SYNC_ATTEMPTS) unless `syncAttempts` says otherwise. */
const AVRDUDE_SYNC_ATTEMPTS = 10;
/** A silent board costs avrdude 7.1 ten 5-second receive timeouts; this leaves room for that. */
export const DEFAULT_AVRDUDE_TIMEOUT_MS = 180_000;
/** Output read from `avrdude -?` for its version; the usage text is ~3 KiB. */
const MAX_VERSION_OUTPUT = 16 * 1024;
const VERSION_TIMEOUT_MS = 10_000;
/** How long avrdude has to go after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000;

/** avrdude's part ids (avrdude.conf `id`) of the MCUs in mcu.ts. */
export const AVRDUDE_PARTS: Readonly<Record<string, string>> = {
  atmega328p: 'm328p',
  atmega328pb: 'm328pb',
  atmega168: 'm168',
  atmega2560: 'm2560',
  atmega32u4: 'm32u4',
};

export interface AvrdudeVersion {
  major: number;
  minor: number;
  text: string;
}

export interface AvrdudeOptions {
  /** The avrdude to run; found on PATH when not given. */
  path?: string;
  /** `-C`: an avrdude.conf, for an avrdude that does not find its own. */
  configPath?: string;
  /** Kills avrdude after this long (default 3 minutes). */
  timeoutMs?: number;
  /** `-x attempts=N` (avrdude >= 7.0): sync tries before giving up; avrdude's default is 10. */
  syncAttempts?: number;
}

function failed(message: string, cause?: unknown): GatewayError {
  return new GatewayError(ErrorCodes.FIRMWARE_FLASH_FAILED, message, { cause });
}

/** The first executable `avrdude` on PATH, or undefined. */
export async function findAvrdudeOnPath(
  path: string = process.env['PATH'] ?? '',
): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'avrdude');
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

/** The version in avrdude's usage text: `avrdude version 7.1, URL: …` (6.3: `6.3-20171130`). */
export function parseAvrdudeVersion(text: string): AvrdudeVersion | undefined {
  const match = /avrdude version (\d+)\.(\d+)[^\s,]*/i.exec(text);
  if (match === null) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    text: match[0].replace(/^avrdude version /i, ''),
  };
}

export function isSupportedAvrdude(version: AvrdudeVersion): boolean {
  const { major, minor } = MIN_AVRDUDE_VERSION;
  return version.major > major || (version.major === major && version.minor >= minor);
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
}

/** Runs avrdude, feeding stderr (and stdout) to `onOutput`; kills it (by its PID) on timeout or abort. */
function runAvrdude(
  path: string,
  args: string[],
  onOutput: (text: string) => void,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      kill();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('latin1');
    child.stderr.setEncoding('latin1');
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    const done = (): void => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (error) => {
      done();
      reject(error);
    });
    child.once('close', (code, exitSignal) => {
      done();
      resolve({ code, signal: exitSignal, timedOut, aborted });
    });
  });
}

/** Runs `avrdude -?` and reads its version; FIRMWARE_FLASH_FAILED when it cannot be run or read. */
export async function readAvrdudeVersion(path: string): Promise<AvrdudeVersion> {
  let output = '';
  try {
    await runAvrdude(
      path,
      ['-?'],
      (text) => {
        if (output.length < MAX_VERSION_OUTPUT) output += text;
      },
      VERSION_TIMEOUT_MS,
    );
  } catch (error) {
    throw failed(`cannot run ${path}: ${errorMessage(error)}`, error);
  }
  const version = parseAvrdudeVersion(output);
  if (version === undefined) throw failed(`${path} -? did not say which avrdude version it is`);
  return version;
}

/** The arguments for one programming run (without the program itself). */
export function avrdudeArguments(
  request: Pick<ProgramRequest, 'path' | 'baudRate' | 'mcu' | 'verify'>,
  hexPath: string,
  options: Pick<AvrdudeOptions, 'configPath' | 'syncAttempts'> = {},
): string[] {
  const part = AVRDUDE_PARTS[request.mcu.name];
  if (part === undefined)
    throw new GatewayError(
      ErrorCodes.FIRMWARE_UNSUPPORTED,
      `avrdude has no part id known here for ${request.mcu.name}`,
    );
  return [
    ...(options.configPath === undefined ? [] : ['-C', options.configPath]),
    '-v',
    '-p',
    part,
    '-c',
    'arduino',
    '-P',
    request.path,
    '-b',
    String(request.baudRate),
    ...(options.syncAttempts === undefined ? [] : ['-x', `attempts=${options.syncAttempts}`]),
    '-D',
    '-U',
    `flash:w:${hexPath}:i`,
    ...(request.verify ? [] : ['-V']),
  ];
}

/**
 * The avrdude programmer. Refuses (FIRMWARE_FLASH_FAILED) an avrdude that is missing, cannot
 * say its version or is older than 6.3, before the first programming. Each program() rejects
 * with FIRMWARE_NO_SYNC, FIRMWARE_WRONG_BOARD, FIRMWARE_VERIFY_FAILED or FIRMWARE_FLASH_FAILED.
 */
export async function avrdudeProgrammer(options: AvrdudeOptions = {}): Promise<Programmer> {
  const path = options.path ?? (await findAvrdudeOnPath());
  if (path === undefined)
    throw failed('avrdude is not installed (not on PATH); install it (Debian: apt-get install avrdude)');
  const version = await readAvrdudeVersion(path);
  if (!isSupportedAvrdude(version))
    throw failed(
      `${path} is avrdude ${version.text}; tty2mqtt needs ${MIN_AVRDUDE_VERSION.major}.${MIN_AVRDUDE_VERSION.minor} or newer`,
    );
  if (options.syncAttempts !== undefined && version.major < 7)
    throw failed(
      `avrdude ${version.text} cannot be told how often to try sync (-x attempts needs 7.0 or newer)`,
    );
  const name = `avrdude ${version.text}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_AVRDUDE_TIMEOUT_MS;
  return {
    name,
    program: (request) => programWithAvrdude(path, name, request, options, timeoutMs),
  };
}

async function programWithAvrdude(
  avrdude: string,
  name: string,
  request: ProgramRequest,
  options: AvrdudeOptions,
  timeoutMs: number,
): Promise<ProgramResult> {
  const { image, mcu, signal } = request;
  if (signal?.aborted === true) throw failed('programming was aborted before it started', signal.reason);
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'tty2mqtt-flash-'));
  try {
    const hexPath = join(dir, 'image.hex');
    await writeFile(hexPath, formatIntelHex(image), { mode: 0o600 });
    const args = avrdudeArguments(request, hexPath, options);
    const output = new AvrdudeOutput(image.size, request.onProgress);
    request.onProgress?.({ stage: 'reset' });
    let run: Run;
    try {
      run = await runAvrdude(avrdude, args, (text) => output.push(text), timeoutMs, signal);
    } catch (error) {
      throw failed(`cannot run ${avrdude}: ${errorMessage(error)}`, error);
    }
    output.end();
    if (run.aborted)
      throw failed(
        'programming was aborted; the board may hold part of the image: flash it again',
        signal?.reason,
      );
    if (run.timedOut)
      throw failed(`avrdude did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped`);
    return result(output, run, name, request, mcu, options, started);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function result(
  output: AvrdudeOutput,
  run: Run,
  name: string,
  request: ProgramRequest,
  mcu: Mcu,
  options: AvrdudeOptions,
  started: number,
): ProgramResult {
  const { facts } = output;
  const exit = run.signal === null ? `exited with code ${run.code}` : `was killed by ${run.signal}`;
  const attempts = options.syncAttempts ?? AVRDUDE_SYNC_ATTEMPTS;
  if (run.code !== 0) throw avrdudeFailure(facts, exit, mcu, attempts);
  if (facts.bytesWritten === undefined || facts.signature === undefined)
    throw failed(
      `avrdude ${exit} without saying it wrote flash: ${facts.problems.join(' / ') || 'no messages'}`,
    );
  if (request.verify && facts.bytesVerified === undefined)
    throw failed('avrdude wrote flash but did not say it verified it');
  return {
    bytesWritten: facts.bytesWritten,
    verified: request.verify,
    signature: hexBytes(facts.signature),
    programmer: name,
    ms: Date.now() - started,
  };
}
