// A model of optiboot (github:Optiboot/optiboot, optiboot.c) answering STK500v1 the way
// version 4.4 (the Uno's) and 8.x do, so the programmers can be tested without a board: fed
// the bytes a programmer sends, it answers what optiboot's main loop puts, and writes pages
// into a flash array the test reads afterwards. Like optiboot, a command not ending in
// Sync_CRC_EOP makes it leave the bootloader (verifySpace() lets the watchdog reset the chip,
// which then starts the sketch): it stays silent until reset() (DTR pulse or a new model).
//
// Modes, for the failures a programmer must report:
//   normal        what optiboot does
//   silent        never answers (no bootloader, wrong port or baud)
//   wrongSignature  answers another MCU's signature
//   corruptWrite  flips one bit of the byte at `corruptAt` as it writes it (a bad flash cell)
//   garbage       answers every command with bytes from `garbage` (noise, wrong baud)
import fs from 'node:fs';
import type tty from 'node:tty';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ByteLink } from '../../src/firmware/byte-link.ts';
import { openPolledReadStream } from '../../src/serial/reader.ts';
import {
  CMND_GET_PARAMETER,
  CMND_LEAVE_PROGMODE,
  CMND_LOAD_ADDRESS,
  CMND_PROG_PAGE,
  CMND_READ_PAGE,
  CMND_READ_SIGN,
  CMND_SET_DEVICE,
  CMND_SET_DEVICE_EXT,
  CMND_UNIVERSAL,
  RESP_INSYNC,
  RESP_OK,
  SYNC_CRC_EOP,
} from '../../src/firmware/stk500v1-commands.ts';

export type FakeMode = 'normal' | 'silent' | 'wrongSignature' | 'corruptWrite' | 'garbage';

export interface FakeOptibootOptions {
  mode?: FakeMode;
  /** The chip's signature; an Uno's atmega328p unless given. */
  signature?: readonly [number, number, number];
  /** What `wrongSignature` answers: an atmega328pb's unless given. */
  wrongSignature?: readonly [number, number, number];
  flashBytes?: number;
  /** optiboot's version as GET_PARAMETER 0x81/0x82 answers it: 8.0 unless given (4.4 on an Uno). */
  version?: { major: number; minor: number };
  /** `corruptWrite`: the flash byte address written wrong. */
  corruptAt?: number;
  /** `garbage`: the bytes answered, cycled through. */
  garbage?: Uint8Array;
}

const STK_SW_MAJOR = 0x81;
const STK_SW_MINOR = 0x82;
/** Bytes of input kept while a command is incomplete: the longest command is a 256-byte page. */
const MAX_PENDING = 300;
/** Command bytes remembered for tests to look at. */
const MAX_LOG = 10_000;

export class FakeOptiboot {
  readonly flash: Uint8Array;
  /** The first byte of every command taken, in order (bounded). */
  readonly commands: number[] = [];
  /** Pages written (PROG_PAGE commands carried out). */
  pagesWritten = 0;
  private readonly options: Required<Omit<FakeOptibootOptions, 'corruptAt'>> & { corruptAt: number };
  private pending: number[] = [];
  private address = 0;
  private inBootloader = true;
  private garbageAt = 0;

  constructor(
    private readonly reply: (bytes: Uint8Array) => void,
    options: FakeOptibootOptions = {},
  ) {
    this.options = {
      mode: options.mode ?? 'normal',
      signature: options.signature ?? [0x1e, 0x95, 0x0f],
      wrongSignature: options.wrongSignature ?? [0x1e, 0x95, 0x16],
      flashBytes: options.flashBytes ?? 32 * 1024,
      version: options.version ?? { major: 8, minor: 0 },
      corruptAt: options.corruptAt ?? -1,
      garbage: options.garbage ?? Uint8Array.of(0x00, 0xff, 0x14, 0x13),
    };
    this.flash = new Uint8Array(this.options.flashBytes).fill(0xff);
  }

  /** A reset (DTR pulse): the bootloader starts again, forgetting any half-received command. */
  reset(): void {
    this.pending = [];
    this.address = 0;
    this.inBootloader = true;
  }

  feed(bytes: Uint8Array): void {
    if (!this.inBootloader || this.options.mode === 'silent') return;
    for (const byte of bytes) {
      if (this.pending.length >= MAX_PENDING) this.pending = [];
      this.pending.push(byte);
      const length = this.commandLength();
      if (length !== undefined && this.pending.length === length) {
        const command = this.pending;
        this.pending = [];
        this.run(command);
        if (!this.inBootloader) return;
      }
    }
  }

  /** Bytes the command in `pending` takes, Sync_CRC_EOP included; undefined until known. */
  private commandLength(): number | undefined {
    const [command, high, low] = this.pending;
    switch (command) {
      case CMND_GET_PARAMETER:
        return 3;
      case CMND_SET_DEVICE:
        return 22;
      case CMND_SET_DEVICE_EXT:
        return 7;
      case CMND_LOAD_ADDRESS:
        return 4;
      case CMND_UNIVERSAL:
        return 6;
      case CMND_PROG_PAGE:
        return high === undefined || low === undefined ? undefined : 5 + ((high << 8) | low);
      case CMND_READ_PAGE:
        return 5;
      default:
        // optiboot's final `else`: any other byte is a command without parameters.
        return 2;
    }
  }

  private run(command: number[]): void {
    const first = command[0] ?? 0;
    if (this.commands.length < MAX_LOG) this.commands.push(first);
    // verifySpace(): anything but Sync_CRC_EOP last and optiboot resets into the sketch.
    if (command[command.length - 1] !== SYNC_CRC_EOP) {
      this.inBootloader = false;
      return;
    }
    if (this.options.mode === 'garbage') {
      const { garbage } = this.options;
      const answer = new Uint8Array(1 + (this.garbageAt % 3));
      for (let i = 0; i < answer.length; i++) answer[i] = garbage[(this.garbageAt + i) % garbage.length] ?? 0;
      this.garbageAt += 1;
      this.reply(answer);
      return;
    }
    const answer: number[] = [RESP_INSYNC];
    switch (first) {
      case CMND_GET_PARAMETER: {
        const which = command[1];
        const { major, minor } = this.options.version;
        answer.push(which === STK_SW_MAJOR ? major : which === STK_SW_MINOR ? minor : 0x03);
        break;
      }
      case CMND_LOAD_ADDRESS:
        // A word address, low byte first; optiboot keeps the byte address.
        this.address = (((command[2] ?? 0) << 8) | (command[1] ?? 0)) * 2;
        break;
      case CMND_UNIVERSAL:
        answer.push(0x00);
        break;
      case CMND_PROG_PAGE:
        this.writePage(command.slice(4, -1));
        break;
      case CMND_READ_PAGE: {
        const length = ((command[1] ?? 0) << 8) | (command[2] ?? 0);
        for (let i = 0; i < length; i++) answer.push(this.flash[this.address + i] ?? 0xff);
        break;
      }
      case CMND_READ_SIGN:
        answer.push(
          ...(this.options.mode === 'wrongSignature' ? this.options.wrongSignature : this.options.signature),
        );
        break;
      case CMND_LEAVE_PROGMODE:
        this.inBootloader = false; // the 16 ms watchdog, then the sketch
        break;
      default:
        break;
    }
    answer.push(RESP_OK);
    this.reply(Uint8Array.from(answer));
  }

  private writePage(data: number[]): void {
    this.pagesWritten += 1;
    data.forEach((byte, i) => {
      const at = this.address + i;
      if (at >= this.flash.length) return;
      this.flash[at] =
        this.options.mode === 'corruptWrite' && at === this.options.corruptAt ? byte ^ 0x01 : byte;
    });
  }
}

export interface FakeOnPty {
  fake: FakeOptiboot;
  close(): Promise<void>;
}

/**
 * Serves a FakeOptiboot on the device end of a socat pty pair. A pty has no DTR line, so
 * nothing resets the model: a test that programs twice calls fake.reset() in between.
 */
export function serveFakeOptiboot(devicePath: string, options: FakeOptibootOptions = {}): FakeOnPty {
  const { O_RDWR, O_NOCTTY, O_NONBLOCK } = fs.constants;
  const fd = fs.openSync(devicePath, O_RDWR | O_NOCTTY | O_NONBLOCK);
  let writing = Promise.resolve();
  const fake = new FakeOptiboot((bytes) => {
    writing = writing.then(() => writeAll(fd, Buffer.from(bytes)));
  }, options);
  const stream: tty.ReadStream = openPolledReadStream(fd, (chunk) => fake.feed(chunk));
  stream.on('error', () => undefined); // the programmer closing its end is expected
  return {
    fake,
    async close(): Promise<void> {
      await writing.catch(() => undefined);
      if (!stream.closed) {
        const gone = new Promise<void>((resolve) => stream.once('close', () => resolve()));
        stream.destroy();
        await Promise.race([gone, sleep(1000)]);
      }
      fs.closeSync(fd);
    },
  };
}

async function writeAll(fd: number, bytes: Buffer): Promise<void> {
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(fs.writeSync(fd, bytes));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EIO') return; // nobody has the other end open: what a board's UART would lose
      if (code !== 'EAGAIN') throw error;
      await sleep(2);
    }
  }
}

export interface MemoryLinkOptions extends FakeOptibootOptions {
  /** false: setModemLines rejects as it does on a pty (no modem lines), and nothing resets. */
  modemLines?: boolean;
  /** Rewrites each answer before the programmer sees it (the command is the one answered). */
  tamper?: (command: number | undefined, answer: Uint8Array) => Uint8Array;
}

export interface MemoryLink extends ByteLink {
  fake: FakeOptiboot;
  closed: boolean;
  /** Calls of write() and read(): what bounds a programming run, whatever the board answers. */
  operations: number;
}

/**
 * The programmer's side of an in-memory serial line to a FakeOptiboot: DTR going high after
 * being low resets the model, as the 100 nF capacitor does on an Uno.
 */
export function memoryLink(options: MemoryLinkOptions = {}): MemoryLink {
  let unread: number[] = [];
  let wake: (() => void) | undefined;
  let dtr = true;
  const fake = new FakeOptiboot((bytes) => {
    const answer = options.tamper === undefined ? bytes : options.tamper(fake.commands.at(-1), bytes);
    unread.push(...answer);
    wake?.();
  }, options);
  const link: MemoryLink = {
    fake,
    closed: false,
    operations: 0,
    write(bytes) {
      link.operations += 1;
      if (link.closed) return Promise.reject(new Error('write on a closed link'));
      fake.feed(bytes);
      return Promise.resolve();
    },
    async read(count, timeoutMs) {
      link.operations += 1;
      if (link.closed) throw new Error('read on a closed link');
      if (unread.length < count)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          wake = () => {
            if (unread.length < count) return;
            clearTimeout(timer);
            resolve();
          };
        });
      wake = undefined;
      const taken = unread.slice(0, count);
      unread = unread.slice(taken.length);
      return Uint8Array.from(taken);
    },
    drain() {
      unread = [];
    },
    setModemLines(lines) {
      if (options.modemLines === false)
        return Promise.reject(new Error('Inappropriate ioctl for device, cannot set'));
      if (lines.dtr && !dtr) fake.reset();
      dtr = lines.dtr;
      return Promise.resolve();
    },
    close() {
      link.closed = true;
      return Promise.resolve();
    },
  };
  return link;
}
