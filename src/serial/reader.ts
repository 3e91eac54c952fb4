// The read path of an open port: bytes in, loss out. Two ways, chosen per open:
//
// - `fd`: the port has a real file descriptor (bindings-cpp's LinuxPortBinding exposes `.fd`).
//   It is read through a libuv-polled stream (`tty.ReadStream`), ~27 µs per line instead of
//   ~85–130 µs for serialport's thread-pool reads (docs/architecture.md, "Facts about the tools").
// - `binding`: anything else (MockBinding in the demo and unit tests) is read with the
//   binding's own `read()` loop.
//
// Both report a lost device as `onLoss(reason)`: a read error (EIO/ENXIO/EBADF) or an end of
// stream. A hung-up pty or an unplugged USB port reads 0 bytes rather than failing
// (docs/architecture.md); bindings-cpp retries such reads forever, so here EOF means "lost".
import fs from 'node:fs';
import tty from 'node:tty';
import type { BindingPortInterface } from '@serialport/bindings-cpp';
import { waitAtMost } from './settle.ts';
import { errorMessage } from '../errors.ts';

export interface ReaderEvents {
  onData(chunk: Buffer): void;
  onLoss(reason: string): void;
}

export interface Reader {
  readonly kind: 'fd' | 'binding';
  /**
   * Stops taking bytes from the device until resume(): they wait in the kernel's tty buffer
   * (and, over USB, in the device). The caller bounds how long (src/app/read-gate.ts).
   */
  pause(): void;
  resume(): void;
  /** Stops reading. Does not close the binding: the caller does that afterwards. */
  close(): Promise<void>;
}

/** Bytes asked for per read in the `binding` loop (each chunk is copied out of it). */
const BINDING_READ_SIZE = 4096;
/**
 * Bytes taken per read of a polled stream (copied out of one buffer reused for every read).
 * libuv's default of 64 KiB let one read of a saturated port bring ~3,400 lines at once: more
 * than the broker could acknowledge within the write-behind delay, so they went to disk.
 * 16 KiB is still far more than a serial port delivers between two turns of the loop.
 */
export const STREAM_READ_SIZE = 16 * 1024;
/** How long close() waits for the stream's handle to be released. */
const CLOSE_WAIT_MS = 500;

/** The file descriptor of a bindings-cpp port, or null for bindings without one. */
export function fdOfBinding(port: BindingPortInterface): number | null {
  const fd: unknown = (port as { fd?: unknown }).fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : null;
}

/**
 * A libuv-polled read stream on the same tty as `fd`, without touching `fd` itself.
 *
 * Why a second descriptor: libuv's uv_tty_init reopens a tty by name and dup2()s the new
 * open file description over the number it was given (so that O_NONBLOCK does not leak to
 * other processes). Done on the binding's fd, that would silently drop serialport's flock()
 * (`lock: true`) and leave two owners of one number (binding.close() and stream.destroy()).
 * So the stream gets its own descriptor, opened through /proc/self/fd/N (the very device the
 * binding opened, even if the configured symlink changed since). libuv then reads from the
 * handle's own fd; the number we passed is left open and unused, so it is closed here at
 * once. If libuv did not reopen (the handle uses our number), the stream owns and closes it.
 * Termios is per tty, not per descriptor: the binding's raw 8N1 settings apply unchanged;
 * `setRawMode` is never called (it would alter them).
 */
export function openPolledReadStream(
  fd: number,
  onData: (chunk: Buffer) => void,
  options: { paused?: boolean } = {},
): tty.ReadStream {
  const { O_RDONLY, O_NOCTTY, O_NONBLOCK } = fs.constants;
  const readFd = fs.openSync(`/proc/self/fd/${fd}`, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  let stream: tty.ReadStream;
  // Every read lands in this one buffer (at most STREAM_READ_SIZE bytes) and is copied out:
  // a consumer may keep what it is given.
  const readBuffer = Buffer.allocUnsafe(STREAM_READ_SIZE);
  const onread = {
    buffer: readBuffer,
    callback: (n: number) => onData(Buffer.from(readBuffer.subarray(0, n))),
  };
  try {
    stream = new tty.ReadStream(readFd, { onread } as ConstructorParameters<typeof tty.ReadStream>[1]);
  } catch (error) {
    fs.closeSync(readFd);
    throw error;
  }
  const handleFd: unknown = (stream as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof handleFd === 'number' && handleFd >= 0 && handleFd !== readFd) fs.closeSync(readFd);
  // With `onread` there is no 'data' listener to start the stream: it starts here, or at the
  // first resume() when it is to start paused (a pause() right after a resume() would be
  // undone by the resume's deferred first read).
  if (options.paused !== true) stream.resume();
  return stream;
}

/**
 * Starts reading `port` (or, `paused`, gets ready to: resume() starts); `onLoss` is called at
 * most once, and never after close().
 */
export function startReader(
  port: BindingPortInterface,
  events: ReaderEvents,
  options: { paused?: boolean } = {},
): Reader {
  const fd = fdOfBinding(port);
  if (fd !== null) {
    let stream: tty.ReadStream | null = null;
    const reading = { done: false };
    try {
      stream = openPolledReadStream(
        fd,
        (chunk) => {
          if (!reading.done) events.onData(chunk);
        },
        options,
      );
    } catch {
      stream = null; // not a tty libuv accepts (or no /proc): the binding's loop still works
    }
    if (stream !== null) return streamReader(stream, events, reading);
  }
  return bindingLoopReader(port, events, options.paused === true);
}

/** `reading.done`: closed by us, or loss already reported (then no more data is delivered). */
function streamReader(stream: tty.ReadStream, events: ReaderEvents, reading: { done: boolean }): Reader {
  const lost = (reason: string): void => {
    if (reading.done) return;
    reading.done = true;
    events.onLoss(reason);
  };
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  stream.on('end', () => lost('end of stream (0-byte read: the device hung up)'));
  stream.on('error', (error: NodeJS.ErrnoException) =>
    lost(`read error ${error.code ?? ''}: ${error.message}`.trim()),
  );
  stream.on('close', () => lost('read stream closed'));
  return {
    kind: 'fd',
    pause: () => stream.pause(),
    resume: () => stream.resume(),
    async close(): Promise<void> {
      reading.done = true;
      stream.destroy();
      await waitAtMost(closed, CLOSE_WAIT_MS);
    },
  };
}

function bindingLoopReader(port: BindingPortInterface, events: ReaderEvents, startPaused: boolean): Reader {
  let done = false;
  const lost = (reason: string): void => {
    if (done) return;
    done = true;
    events.onLoss(reason);
  };
  // While paused the loop waits here before its next read.
  let paused: { promise: Promise<void>; release: () => void } | null = null;
  const pause = (): void => {
    if (paused !== null) return;
    let release = (): void => undefined;
    const promise = new Promise<void>((resolve) => (release = resolve));
    paused = { promise, release };
  };
  if (startPaused) pause();
  const loop = async (): Promise<void> => {
    const buffer = Buffer.allocUnsafe(BINDING_READ_SIZE);
    while (!done) {
      if (paused !== null) await paused.promise;
      if (done) return;
      let bytesRead: number;
      try {
        ({ bytesRead } = await port.read(buffer, 0, buffer.length));
      } catch (error) {
        // The interface contract: reads in progress when the port is closed fail with
        // `canceled: true`; any other error is a disconnection.
        const canceled = (error as { canceled?: unknown }).canceled === true;
        lost(canceled ? 'port closed underneath the reader' : `read error: ${errorMessage(error)}`);
        return;
      }
      if (done) return;
      if (bytesRead <= 0) {
        lost('end of stream (0-byte read: the device hung up)');
        return;
      }
      events.onData(Buffer.from(buffer.subarray(0, bytesRead)));
    }
  };
  loop().catch((error: unknown) => lost(`reader failed: ${errorMessage(error)}`));
  return {
    kind: 'binding',
    pause,
    resume(): void {
      paused?.release();
      paused = null;
    },
    close(): Promise<void> {
      done = true; // the pending read is cancelled when the caller closes the binding
      paused?.release();
      paused = null;
      return Promise.resolve();
    },
  };
}
