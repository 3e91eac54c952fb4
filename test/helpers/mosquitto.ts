// A real Mosquitto for integration tests: own temp dir and config, 127.0.0.1 only, stopped by
// PID (never by name). Missing mosquitto is an error, never a skip.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
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
  /** With `tls`: the TLS listener's port (the plain listener on `port` stays, for test clients). */
  tlsPort?: number;
  /** With `tls`: `mqtts://127.0.0.1:tlsPort` */
  tlsUrl?: string;
}

/** A second listener speaking TLS, with certificates from test/helpers/test-ca.ts. */
export interface MosquittoTlsListener {
  /** Default: a free port. Pass the old one to start an impostor or a fixed broker in its place. */
  port?: number;
  cafile: string;
  certfile: string;
  keyfile: string;
  /** Mutual TLS: clients must present a certificate signed by `cafile`. */
  requireCertificate?: boolean;
}

export interface MosquittoOptions {
  port?: number;
  /** Extra lines appended to the generated mosquitto.conf. */
  config?: string;
  /**
   * What Mosquitto logs: `all` (default: every packet, for reading a failed test's log) or
   * `default`, Mosquitto's own default (errors, warnings, notices, information: no line per
   * packet), as a deployed broker runs and as the benchmark measures.
   */
  logTypes?: 'all' | 'default';
  tls?: MosquittoTlsListener;
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

/**
 * Run as root, mosquitto drops to user `mosquitto` before it loads certificates, and the test
 * CA's directory is 0700: copies it can read go into <dir>/tls (throwaway test keys only).
 */
function readableTlsCopies(dir: string, tls: MosquittoTlsListener): MosquittoTlsListener {
  const tlsDir = join(dir, 'tls');
  mkdirSync(tlsDir);
  chmodSync(dir, 0o755);
  chmodSync(tlsDir, 0o755);
  const copy = (from: string, name: string): string => {
    const to = join(tlsDir, name);
    copyFileSync(from, to);
    chmodSync(to, 0o644);
    return to;
  };
  return {
    cafile: copy(tls.cafile, 'ca.pem'),
    certfile: copy(tls.certfile, 'server.pem'),
    keyfile: copy(tls.keyfile, 'server.key'),
  };
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const binary = findMosquitto();
  const port = options.port ?? (await freePort());
  const tlsPort = options.tls === undefined ? undefined : (options.tls.port ?? (await freePort()));
  const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-mosquitto-'));
  const configFile = join(dir, 'mosquitto.conf');
  const tlsFiles = options.tls === undefined ? undefined : readableTlsCopies(dir, options.tls);
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    // stdout, not a file: run as root, mosquitto drops to user `mosquitto`, which cannot
    // write into our 0700 temp dir.
    'log_dest stdout',
    ...(options.logTypes === 'default'
      ? ['log_type error', 'log_type warning', 'log_type notice', 'log_type information']
      : ['log_type all']),
    'connection_messages true',
    options.config ?? '',
    // Last: lines after a `listener` belong to it, so `config` above stays with the plain one.
    ...(options.tls === undefined || tlsPort === undefined
      ? []
      : [
          `listener ${tlsPort} 127.0.0.1`,
          `cafile ${tlsFiles?.cafile}`,
          `certfile ${tlsFiles?.certfile}`,
          `keyfile ${tlsFiles?.keyfile}`,
          `require_certificate ${options.tls.requireCertificate === true}`,
        ]),
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
    if (tlsPort !== undefined)
      await Promise.race([waitForPort('127.0.0.1', tlsPort, START_TIMEOUT_MS), early]);
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
    ...(tlsPort === undefined ? {} : { tlsPort, tlsUrl: `mqtts://127.0.0.1:${tlsPort}` }),
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
