// A real Mosquitto for integration tests: own temp dir and config, 127.0.0.1 only, stopped by
// PID (never by name). Missing mosquitto is an error, never a skip.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, waitForPort } from './ports.ts';

export interface Mosquitto {
  host: '127.0.0.1';
  port: number;
  /** `mqtt://127.0.0.1:port` */
  url: string;
  /** PID of the current process (changes on restart). */
  pid: number;
  /** SIGTERM, wait, SIGKILL after 2 s; removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL, as in a crash (the temp dir stays until stop()). */
  kill9(): Promise<void>;
  /** Stops (SIGTERM) and starts again on the same port. */
  restart(): Promise<void>;
  /** Everything Mosquitto logged so far (kept across restarts). */
  log(): string;
  /** The temp dir holding mosquitto.conf; removed by stop(). */
  dir: string;
}

export interface MosquittoOptions {
  port?: number;
  /** Extra lines appended to the generated mosquitto.conf. */
  config?: string;
}

const INSTALL_HINT = 'mosquitto is not installed; run: apt-get install -y mosquitto mosquitto-clients';
const START_TIMEOUT_MS = 5_000;

function findMosquitto(): string {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, 'mosquitto');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next directory
    }
  }
  throw new Error(INSTALL_HINT);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const binary = findMosquitto();
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-mosquitto-'));
  const configFile = join(dir, 'mosquitto.conf');
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    // stdout, not a file: run as root, mosquitto drops to user `mosquitto`, which cannot
    // write into our 0700 temp dir.
    'log_dest stdout',
    'log_type all',
    'connection_messages true',
    options.config ?? '',
  ];
  writeFileSync(configFile, `${lines.join('\n')}\n`);

  let child: ChildProcess | null = null;
  let output = '';
  let removed = false;
  const collect = (text: string): void => {
    output += text;
    if (output.length > 1_000_000) output = output.slice(-500_000); // bounded, keeps the tail
  };

  const launch = async (): Promise<void> => {
    const proc = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.setEncoding('utf8').on('data', collect);
    proc.stderr?.setEncoding('utf8').on('data', collect);
    const early = new Promise<never>((_, reject) =>
      proc.once('exit', (code, signal) =>
        reject(new Error(`mosquitto exited during start-up (code ${code}, signal ${signal}): ${output}`)),
      ),
    );
    early.catch(() => undefined);
    await Promise.race([waitForPort('127.0.0.1', port, START_TIMEOUT_MS), early]);
    proc.removeAllListeners('exit');
  };

  const currentPid = (): number => child?.pid ?? 0;

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (proc === null || proc.pid === undefined) return;
    child = null;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const done = exited(proc);
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 2_000);
    await done;
    clearTimeout(timer);
  };

  const handle: Mosquitto = {
    host: '127.0.0.1',
    port,
    url: `mqtt://127.0.0.1:${port}`,
    pid: 0,
    dir,
    async stop() {
      await terminate('SIGTERM');
      if (!removed) {
        removed = true;
        rmSync(dir, { recursive: true, force: true });
      }
    },
    async kill9() {
      await terminate('SIGKILL');
    },
    async restart() {
      await terminate('SIGTERM');
      await launch();
      handle.pid = currentPid();
    },
    log: () => output,
  };

  try {
    await launch();
  } catch (error) {
    await handle.stop();
    throw error;
  }
  handle.pid = currentPid();
  return handle;
}
