// tty2mqtt's own STK500v1 programmer: what avrdude's `-c arduino` does (avrdude 7.1,
// src/arduino.c and src/stk500.c), reduced to the commands optiboot and ATmegaBOOT answer.
// The authority for the bytes is Atmel's application note AVR061 "STK500 Communication
// Protocol" (Rev. 2525B–AVR–04/03), cited by command name; stk500v1-commands.ts lists them.
// Every command is answered Resp_STK_INSYNC … Resp_STK_OK; anything else, or nothing within
// the timeout, stops the programming (the board is left in its bootloader, which the next
// reset leaves again: optiboot writes a page only after receiving it whole).
import { ErrorCodes, GatewayError, errorMessage } from '../errors.ts';
import type { ByteLink } from './byte-link.ts';
import type { HexImage } from './intel-hex.ts';
import { checkSignature } from './mcu.ts';
import type { FlashProgress, ProgramRequest, ProgramResult, Programmer } from './programmer.ts';
import {
  CMND_ENTER_PROGMODE,
  CMND_GET_SYNC,
  CMND_LEAVE_PROGMODE,
  CMND_LOAD_ADDRESS,
  CMND_PROG_PAGE,
  CMND_READ_PAGE,
  CMND_READ_SIGN,
  COMMAND_NAMES,
  MEMTYPE_FLASH,
  RESP_INSYNC,
  RESP_OK,
  SYNC_CRC_EOP,
} from './stk500v1-commands.ts';
import { hexBytes, hexDigits, hexValue } from './hex-text.ts';

export const BUILTIN_PROGRAMMER_NAME = 'builtin stk500v1';

export interface Stk500v1Timing {
  /** DTR/RTS held low (avrdude 7.1 arduino.c: 250 ms, so optiboot started twice in a row resets cleanly). */
  resetLowMs: number;
  /** After DTR/RTS go high again, before the first byte (avrdude 7.1: 50 ms; optiboot starts in ~1 ms). */
  settleMs: number;
  /** GET_SYNC tries (avrdude: MAX_SYNC_ATTEMPTS = 10). */
  syncAttempts: number;
  /** How long one sync try waits for INSYNC OK. Shorter than optiboot's 1 s watchdog. */
  syncTimeoutMs: number;
  /** How long any other answer may take (a page write is ~4.5 ms on the chip). */
  answerTimeoutMs: number;
}

export const DEFAULT_TIMING: Stk500v1Timing = {
  resetLowMs: 250,
  settleMs: 50,
  syncAttempts: 10,
  syncTimeoutMs: 200,
  answerTimeoutMs: 1000,
};

/** AVR061 "Program Page": "The data block size should not be larger than 256 bytes". */
const MAX_PAGE_BYTES = 256;
/** LOAD_ADDRESS carries 16 bits of word address: 128 KiB, more than any STK500v1 part here. */
const MAX_WORD_ADDRESS = 0xffff;

function bytesText(bytes: Uint8Array): string {
  return bytes.length === 0 ? 'nothing' : hexBytes(bytes);
}

function failed(message: string, cause?: unknown): GatewayError {
  return new GatewayError(ErrorCodes.FIRMWARE_FLASH_FAILED, message, { cause });
}

/** A page of flash as it is written: the image's bytes in it, the rest 0xFF (erased flash). */
export interface Page {
  address: number;
  bytes: Uint8Array;
  /** Image bytes in the page (the rest is padding). */
  imageBytes: number;
}

/** Every page the image touches, in address order. */
export function pagesOf(image: HexImage, pageBytes: number): Page[] {
  const pages = new Map<number, Page>();
  for (const segment of image.segments) {
    for (let i = 0; i < segment.bytes.length;) {
      const at = segment.address + i;
      const base = at - (at % pageBytes);
      let page = pages.get(base);
      if (page === undefined) {
        page = { address: base, bytes: new Uint8Array(pageBytes).fill(0xff), imageBytes: 0 };
        pages.set(base, page);
      }
      const count = Math.min(base + pageBytes - at, segment.bytes.length - i);
      page.bytes.set(segment.bytes.subarray(i, i + count), at - base);
      page.imageBytes += count;
      i += count;
    }
  }
  return [...pages.values()].sort((a, b) => a.address - b.address);
}

/** One programming session over a link; program() is its only public way in. */
class Session {
  private readonly started = Date.now();
  private modemLinesProblem: string | undefined;

  constructor(
    private readonly link: ByteLink,
    private readonly request: ProgramRequest,
    private readonly timing: Stk500v1Timing,
  ) {}

  private progress(progress: FlashProgress): void {
    this.request.onProgress?.(progress);
  }

  private checkAborted(): void {
    const { signal } = this.request;
    if (signal?.aborted === true)
      throw failed(
        'programming was aborted; the board may hold part of the image: flash it again',
        signal.reason,
      );
  }

  private async sleep(ms: number): Promise<void> {
    this.checkAborted();
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.request.signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.request.signal?.addEventListener('abort', done, { once: true });
    });
    this.checkAborted();
  }

  private async read(count: number, timeoutMs: number): Promise<Uint8Array> {
    this.checkAborted();
    let bytes: Uint8Array;
    try {
      bytes = await this.link.read(count, timeoutMs);
    } catch (error) {
      throw failed(`the port failed while programming: ${errorMessage(error)}`, error);
    }
    this.checkAborted();
    return bytes;
  }

  private async write(bytes: Uint8Array): Promise<void> {
    this.checkAborted();
    try {
      await this.link.write(bytes);
    } catch (error) {
      throw failed(`the port failed while programming: ${errorMessage(error)}`, error);
    }
  }

  /**
   * Sends one command and returns the `answerBytes` between its INSYNC and OK. The answer is
   * read whole (1 + answerBytes + 1) so that a wrong one can be quoted in full.
   */
  private async command(bytes: number[], answerBytes: number, what: string): Promise<Uint8Array> {
    await this.write(Uint8Array.from([...bytes, SYNC_CRC_EOP]));
    const expected = answerBytes + 2;
    const answer = await this.read(expected, this.timing.answerTimeoutMs);
    const name = COMMAND_NAMES[bytes[0] ?? -1] ?? hexDigits(bytes[0] ?? 0, 2);
    if (answer.length < expected || answer[0] !== RESP_INSYNC || answer[expected - 1] !== RESP_OK) {
      const got =
        answer.length < expected
          ? `${bytesText(answer)} within ${this.timing.answerTimeoutMs} ms (${answer.length} of ${expected} bytes)`
          : bytesText(answer);
      throw failed(
        `the bootloader answered ${name} (${hexDigits(bytes[0] ?? 0, 2)})${what} with ${got}; expected ${hexDigits(RESP_INSYNC, 2)} … ${hexDigits(RESP_OK, 2)}`,
      );
    }
    return answer.subarray(1, expected - 1);
  }

  async reset(): Promise<void> {
    this.progress({ stage: 'reset' });
    // avrdude 7.1 arduino.c: DTR/RTS low (the falling edge reaches RESET through the board's
    // 100 nF capacitor), then high, then a pause before talking to the bootloader.
    try {
      await this.link.setModemLines({ dtr: false, rts: false });
      await this.sleep(this.timing.resetLowMs);
      await this.link.setModemLines({ dtr: true, rts: true });
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      // A pty (the emulator, the tests) has no modem lines: opening it is what resets the board.
      this.modemLinesProblem = errorMessage(error);
    }
    await this.sleep(this.timing.settleMs);
    this.link.drain();
  }

  async sync(): Promise<void> {
    this.progress({ stage: 'sync' });
    const { syncAttempts, syncTimeoutMs } = this.timing;
    let last: Uint8Array = new Uint8Array();
    for (let attempt = 0; attempt < syncAttempts; attempt++) {
      // AVR061 "Get Synchronization": 30 20 → 14 10. Whatever else came is noise: drained.
      this.link.drain();
      await this.write(Uint8Array.of(CMND_GET_SYNC, SYNC_CRC_EOP));
      last = await this.read(2, syncTimeoutMs);
      if (last[0] === RESP_INSYNC && last[1] === RESP_OK) return;
    }
    this.link.drain();
    const lines =
      this.modemLinesProblem === undefined
        ? ''
        : ` (DTR/RTS could not be set, so the board was not reset: ${this.modemLinesProblem})`;
    throw new GatewayError(
      ErrorCodes.FIRMWARE_NO_SYNC,
      `the board did not answer the bootloader's sync after ${syncAttempts} tries (last answer: ${bytesText(last)}): is its bootloader there, is this the right port and baud rate (${this.request.baudRate})?${lines}`,
    );
  }

  async signature(): Promise<string> {
    this.progress({ stage: 'signature' });
    const signature = await this.command([CMND_READ_SIGN], 3, '');
    checkSignature(signature, this.request.mcu);
    return bytesText(signature);
  }

  private async loadAddress(address: number): Promise<void> {
    // AVR061 "Load Address": flash is addressed in 16-bit words, low byte first.
    const word = address / 2;
    if (word > MAX_WORD_ADDRESS)
      throw failed(`${hexValue(address)} is beyond what STK500v1's 16-bit word address reaches`);
    await this.command([CMND_LOAD_ADDRESS, word & 0xff, (word >> 8) & 0xff], 0, ` for ${hexValue(address)}`);
  }

  async writePages(pages: Page[]): Promise<void> {
    const of = this.request.image.size;
    let bytes = 0;
    this.progress({ stage: 'writing', bytes, of });
    for (const page of pages) {
      await this.loadAddress(page.address);
      const length = page.bytes.length;
      await this.command(
        [CMND_PROG_PAGE, (length >> 8) & 0xff, length & 0xff, MEMTYPE_FLASH, ...page.bytes],
        0,
        ` for ${hexValue(page.address)}`,
      );
      bytes += page.imageBytes;
      this.progress({ stage: 'writing', bytes, of });
    }
  }

  async verify(pages: Page[]): Promise<void> {
    const of = this.request.image.size;
    let bytes = 0;
    this.progress({ stage: 'verifying', bytes, of });
    for (const page of pages) {
      await this.loadAddress(page.address);
      const length = page.bytes.length;
      const flash = await this.command(
        [CMND_READ_PAGE, (length >> 8) & 0xff, length & 0xff, MEMTYPE_FLASH],
        length,
        ` for ${hexValue(page.address)}`,
      );
      const at = page.bytes.findIndex((byte, i) => flash[i] !== byte);
      if (at !== -1)
        throw new GatewayError(
          ErrorCodes.FIRMWARE_VERIFY_FAILED,
          `flash at ${hexValue(page.address + at)} reads ${hexValue(flash[at] ?? 0, 2)}, the image has ${hexValue(page.bytes[at] ?? 0, 2)}: the board holds a broken image; flash it again`,
        );
      bytes += page.imageBytes;
      this.progress({ stage: 'verifying', bytes, of });
    }
  }

  async run(): Promise<ProgramResult> {
    const { mcu, image, verify } = this.request;
    if (mcu.pageBytes > MAX_PAGE_BYTES || mcu.pageBytes % 2 !== 0)
      throw failed(`the ${mcu.name}'s ${mcu.pageBytes}-byte pages cannot be written with STK500v1`);
    const pages = pagesOf(image, mcu.pageBytes);
    await this.reset();
    await this.sync();
    const signature = await this.signature();
    await this.command([CMND_ENTER_PROGMODE], 0, '');
    await this.writePages(pages);
    if (verify) await this.verify(pages);
    // optiboot answers, then lets its watchdog reset the chip into the new sketch.
    await this.command([CMND_LEAVE_PROGMODE], 0, '');
    return {
      bytesWritten: image.size,
      verified: verify,
      signature,
      programmer: BUILTIN_PROGRAMMER_NAME,
      ms: Date.now() - this.started,
    };
  }
}

/**
 * Programs `request.image` over an open link and closes it (always). Rejects with a
 * GatewayError only: FIRMWARE_NO_SYNC, FIRMWARE_WRONG_BOARD, FIRMWARE_VERIFY_FAILED or
 * FIRMWARE_FLASH_FAILED (a wrong or missing answer, a port failure, an abort).
 */
export async function programOverLink(
  link: ByteLink,
  request: ProgramRequest,
  timing: Stk500v1Timing = DEFAULT_TIMING,
): Promise<ProgramResult> {
  try {
    return await new Session(link, request, timing).run();
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw failed(`programming failed: ${errorMessage(error)}`, error);
  } finally {
    await link.close().catch(() => undefined);
  }
}

/** The builtin programmer, opening its port with `openLink` (serial-link.ts in the daemon). */
export function stk500v1Programmer(
  openLink: (path: string, baudRate: number) => Promise<ByteLink>,
  timing: Stk500v1Timing = DEFAULT_TIMING,
): Programmer {
  return {
    name: BUILTIN_PROGRAMMER_NAME,
    async program(request: ProgramRequest): Promise<ProgramResult> {
      if (request.signal?.aborted === true)
        throw failed('programming was aborted before it started', request.signal.reason);
      let link: ByteLink;
      try {
        link = await openLink(request.path, request.baudRate);
      } catch (error) {
        if (error instanceof GatewayError) throw error;
        throw failed(`cannot open ${request.path}: ${errorMessage(error)}`, error);
      }
      return programOverLink(link, request, timing);
    },
  };
}
