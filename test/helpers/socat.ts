// A pair of connected pseudo-terminals from socat, standing in for a USB serial device:
// tests write on the "device" end and the gateway opens the "gateway" end with the real
// serialport bindings. Killing socat is a USB unplug (the gateway end hangs up); creating a
// pair again at the same link paths is the replug.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { lstat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openPolledReadStream } from '../../src/serial/reader.ts';

export interface PtyPair {
  devicePath: string;
  gatewayPath: string;
  pid: number;
  /** Stops socat (SIGTERM by default, SIGKILL if it lingers) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const READY_TIMEOUT_MS = 5000;
const EXIT_TIMEOUT_MS = 3000;
const MAX_STDERR = 64 * 1024;

export async function createPtyPair(
  dir: string,
  names: { device?: string; gateway?: string } = {},
): Promise<PtyPair> {
  const devicePath = path.join(dir, names.device ?? 'device');
  const gatewayPath = path.join(dir, names.gateway ?? 'gateway');
  // A socat killed with SIGKILL leaves its links behind, pointing at a dead /dev/pts/N.
  await Promise.all([devicePath, gatewayPath].map((p) => unlink(p).catch(() => undefined)));
  const args = ['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${gatewayPath}`];
  const child = spawn('socat', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderr.length < MAX_STDERR) stderr += text;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnFailed = new Promise<never>((_, reject) =>
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error('socat is not installed; the serial tests need it: apt-get install socat')
          : error,
      ),
    ),
  );
  const ready = (async (): Promise<void> => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const linked = (await exists(devicePath)) && (await exists(gatewayPath));
      if (linked && stderr.includes('starting data transfer loop')) return;
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`socat exited early:\n${stderr}`);
      if (Date.now() > deadline)
        throw new Error(`socat did not create ${devicePath} and ${gatewayPath} within 5 s:\n${stderr}`);
      await sleep(10);
    }
  })();
  try {
    await Promise.race([ready, spawnFailed]);
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw error;
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error('socat has no pid');
  return {
    devicePath,
    gatewayPath,
    pid,
    async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      if (await within(exited, EXIT_TIMEOUT_MS)) return;
      child.kill('SIGKILL');
      await within(exited, EXIT_TIMEOUT_MS);
    },
  };
}

/** The device end of a pair, as a test drives it: write bytes, see what the gateway wrote. */
export interface DeviceEnd {
  write(data: string | Buffer): Promise<void>;
  /** Everything received so far (bounded to 1 MiB). */
  received(): Buffer;
  /** Resolves once `text` has been received; rejects after `timeoutMs`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const MAX_RECEIVED = 1024 * 1024;

export function openDeviceEnd(devicePath: string): Promise<DeviceEnd> {
  const { O_RDWR, O_NOCTTY, O_NONBLOCK } = fs.constants;
  const fd = fs.openSync(devicePath, O_RDWR | O_NOCTTY | O_NONBLOCK);
  let received = Buffer.alloc(0);
  const waiters = new Set<() => void>();
  const stream = openPolledReadStream(fd, (chunk) => {
    if (received.length < MAX_RECEIVED) received = Buffer.concat([received, chunk]);
    for (const check of waiters) check();
  });
  stream.on('error', () => undefined); // the far end going away is what some tests do
  let closed = false;
  return Promise.resolve({
    async write(data: string | Buffer): Promise<void> {
      let bytes = typeof data === 'string' ? Buffer.from(data) : data;
      while (bytes.length > 0) {
        try {
          const written = fs.writeSync(fd, bytes);
          bytes = bytes.subarray(written);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
          await sleep(5);
        }
      }
    },
    received: () => received,
    waitFor(text: string, timeoutMs = 3000): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!received.includes(text)) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `device end did not receive ${JSON.stringify(text)}; got ${JSON.stringify(received.toString())}`,
            ),
          );
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (!stream.closed) {
        const gone = new Promise<void>((resolve) => stream.once('close', () => resolve()));
        stream.destroy();
        await within(gone, 1000);
      }
      fs.closeSync(fd);
    },
  });
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
