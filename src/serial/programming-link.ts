// A port opened for the builtin STK500v1 programmer (firmware/stk500v1.ts): the ByteLink it
// speaks over, on the same serialport bindings, open options and read path as the daemon's
// ports (open.ts, reader.ts), so a board is programmed through exactly what serves it.
import type { BindingInterface, BindingPortInterface } from '@serialport/bindings-cpp';
import { errorMessage } from '../errors.ts';
import type { ByteLink } from '../firmware/byte-link.ts';
import { openPort } from './open.ts';
import { startReader } from './reader.ts';

/**
 * Unread input kept: a bootloader's longest answer is a 256-byte page plus two; more is noise
 * (a sketch still printing, a wrong baud rate), and the oldest of it is dropped.
 */
export const MAX_UNREAD_BYTES = 4096;

/** Opens `path` (locked, 8N1, raw; DTR left to the programmer) and reads it into a bounded buffer. */
export async function openProgrammingLink(
  binding: BindingInterface,
  path: string,
  baudRate: number,
): Promise<ByteLink> {
  // resetOnOpen false: no reset here, the programmer pulses DTR itself with avrdude's timing.
  const { port } = await openPort(binding, { path, baudRate, resetOnOpen: false });
  return new ProgrammingLink(port);
}

class ProgrammingLink implements ByteLink {
  private unread = Buffer.alloc(0);
  private lost: string | undefined;
  private wake: (() => void) | undefined;
  private readonly reader;
  private closed = false;

  constructor(private readonly port: BindingPortInterface) {
    this.reader = startReader(port, {
      onData: (chunk) => {
        const all = Buffer.concat([this.unread, chunk]);
        this.unread = all.length > MAX_UNREAD_BYTES ? all.subarray(all.length - MAX_UNREAD_BYTES) : all;
        this.wake?.();
      },
      onLoss: (reason) => {
        this.lost = reason;
        this.wake?.();
      },
    });
  }

  async write(bytes: Uint8Array): Promise<void> {
    await this.port.write(Buffer.from(bytes));
  }

  async read(count: number, timeoutMs: number): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.unread.length < count) {
      if (this.lost !== undefined) throw new Error(`the port went away: ${this.lost}`);
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    const taken = this.unread.subarray(0, Math.min(count, this.unread.length));
    this.unread = this.unread.subarray(taken.length);
    return Uint8Array.from(taken);
  }

  drain(): void {
    this.unread = Buffer.alloc(0);
  }

  async setModemLines(lines: { dtr: boolean; rts: boolean }): Promise<void> {
    // `set` writes every modem flag on each call, so brk is given too (modem-lines.ts).
    await this.port.set({ dtr: lines.dtr, rts: lines.rts, brk: false });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reader.close();
    try {
      await this.port.close();
    } catch (error) {
      // Already closed by a hang-up: nothing left to release.
      if (this.lost === undefined) throw new Error(`closing the port failed: ${errorMessage(error)}`);
    }
  }
}
