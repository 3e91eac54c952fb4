// What avrdude says on stderr while it programs, turned into progress and a result. Written
// against avrdude 7.1's real output (test/fixtures/avrdude/, captured from avrdude talking to
// the tests' optiboot model over a pty) and the messages of 6.3 (its source, update.c, avr.c,
// main.c, stk500.c), the oldest version avrdude.ts accepts.
//
// avrdude's progress bars are lines that grow: to a terminal it redraws
// `\rWriting | ####      | 34% 0.01 s `; to a pipe (as here) it prints `Writing | ` and then
// one `#` at a time before ` | 100% 0.05s\n`. Either way the bar is read as it grows.
// Output arrives in arbitrary chunks, so a line may be cut anywhere: the unfinished tail is
// kept (bounded) until its line end.
import { ErrorCodes, GatewayError } from '../errors.ts';
import { checkSignature } from './mcu.ts';
import type { Mcu } from './mcu.ts';
import type { FlashProgress } from './programmer.ts';
import { hexValue } from './hex-text.ts';

/** Longer lines are cut here; avrdude's longest (a file path in a message) is far shorter. */
export const MAX_LINE_CHARS = 1024;
/** Lines naming an error or warning remembered for a failure's message. */
const MAX_PROBLEM_LINES = 6;
/** A bar of 50 `#` is 100 % (avrdude 7.1 update.c / 6.3 avrdude's report_progress). */
const BAR_CHARS = 50;

export interface AvrdudeFacts {
  /** The signature avrdude read, e.g. [0x1E, 0x95, 0x0F]. */
  signature?: [number, number, number];
  /** avrdude said the device signature is not the part's (`Expected signature for …`). */
  signatureRefused: boolean;
  bytesWritten?: number;
  bytesVerified?: number;
  /** First differing byte of a failed verification. */
  mismatch?: { address: number; device: number; image: number };
  /** avrdude never got the bootloader's sync (not in sync / not responding / cannot communicate). */
  noSync: boolean;
  /** avrdude reported the device ready: sync and signature read worked. */
  initialized: boolean;
  /** What avrdude said when it could not set DTR/RTS (a pty has none); undefined when it could. */
  modemLinesProblem?: string;
  /** The last lines naming an error or warning, oldest first, without `avrdude: ` (bounded). */
  problems: string[];
}

const SIGNATURE = /device signature = 0x([0-9a-f]{6})/i;
const WRITTEN = /(\d+) bytes of flash written/;
const VERIFIED = /(\d+) bytes of flash verified/;
// 7.1 avr.c: "device 0x21 != input 0x20 at addr 0x0123 (error)".
const MISMATCH_71 = /device 0x([0-9a-f]{2}) != input 0x([0-9a-f]{2}) at addr 0x([0-9a-f]+) \(error\)/i;
// 6.3 avr.c: "verification error, first mismatch at byte 0x0123" then "         0x21 != 0x20".
const MISMATCH_63_AT = /first mismatch at byte 0x([0-9a-f]+)/i;
const MISMATCH_63_BYTES = /^\s*0x([0-9a-f]{2}) != 0x([0-9a-f]{2})\s*$/i;
const NO_SYNC = /not in sync|programmer is not responding|cannot communicate with device/i;
const EXPECTED_SIGNATURE = /expected signature for .* is/i;
const INITIALIZED = /device initialized and ready to accept instructions/i;
const MODEM_LINES = /ser_set_dtr_rts|TIOCM[GS]ET/;
const PROBLEM = /error|warning|not in sync|not responding|mismatch|can't|cannot/i;
const BAR = /^(Writing|Reading) \| (#*)/;

export class AvrdudeOutput {
  readonly facts: AvrdudeFacts = { signatureRefused: false, noSync: false, initialized: false, problems: [] };
  private partial = '';
  private verifying = false;
  private lastPercent = -1;
  private mismatchAt: number | undefined;

  constructor(
    /** The image's size: progress is reported as bytes of it. */
    private readonly imageBytes: number,
    private readonly onProgress?: (progress: FlashProgress) => void,
  ) {}

  push(chunk: string): void {
    const pieces = (this.partial + chunk).split(/\r\n|\r|\n/);
    this.partial = (pieces.pop() ?? '').slice(0, MAX_LINE_CHARS);
    for (const line of pieces) this.line(line.slice(0, MAX_LINE_CHARS));
    this.bar(this.partial);
  }

  /** The output ended: a last line without a line end is a line too. */
  end(): void {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
  }

  private bar(text: string): void {
    const match = BAR.exec(text);
    if (match === null) return;
    const stage = match[1] === 'Writing' ? 'writing' : this.verifying ? 'verifying' : undefined;
    if (stage === undefined) return; // a read before writing (7.1 fills partial pages), not a verify
    const percent = Math.min(100, Math.round((100 * (match[2] ?? '').length) / BAR_CHARS));
    if (percent === this.lastPercent) return;
    this.lastPercent = percent;
    this.onProgress?.({ stage, bytes: Math.round((this.imageBytes * percent) / 100), of: this.imageBytes });
  }

  private line(line: string): void {
    this.bar(line);
    const facts = this.facts;
    let match: RegExpExecArray | null;
    if (INITIALIZED.test(line)) {
      facts.initialized = true;
      this.onProgress?.({ stage: 'sync' });
    } else if ((match = SIGNATURE.exec(line)) !== null) {
      const value = Number.parseInt(match[1] ?? '', 16);
      facts.signature = [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
      this.onProgress?.({ stage: 'signature' });
    } else if (/writing (\d+ bytes )?flash/i.test(line)) {
      this.lastPercent = -1;
    } else if (/verifying flash memory/i.test(line)) {
      this.verifying = true;
      this.lastPercent = -1;
    } else if ((match = WRITTEN.exec(line)) !== null) {
      facts.bytesWritten = Number(match[1]);
    } else if ((match = VERIFIED.exec(line)) !== null) {
      facts.bytesVerified = Number(match[1]);
    }
    if ((match = MISMATCH_71.exec(line)) !== null && facts.mismatch === undefined)
      facts.mismatch = {
        address: Number.parseInt(match[3] ?? '', 16),
        device: Number.parseInt(match[1] ?? '', 16),
        image: Number.parseInt(match[2] ?? '', 16),
      };
    if ((match = MISMATCH_63_AT.exec(line)) !== null) this.mismatchAt = Number.parseInt(match[1] ?? '', 16);
    else if (this.mismatchAt !== undefined && (match = MISMATCH_63_BYTES.exec(line)) !== null) {
      facts.mismatch ??= {
        address: this.mismatchAt,
        device: Number.parseInt(match[1] ?? '', 16),
        image: Number.parseInt(match[2] ?? '', 16),
      };
      this.mismatchAt = undefined;
    }
    if (MODEM_LINES.test(line)) {
      facts.modemLinesProblem ??= line.trim();
      return; // on a pty this is every run's noise, not the reason for a failure
    }
    if (NO_SYNC.test(line) && !facts.initialized) facts.noSync = true;
    if (EXPECTED_SIGNATURE.test(line)) facts.signatureRefused = true;
    if (PROBLEM.test(line)) {
      facts.problems.push(line.trim().replace(/^avrdude:? /, ''));
      if (facts.problems.length > MAX_PROBLEM_LINES) facts.problems.shift();
    }
  }
}

/** avrdude's last `lines` problem lines, for a message. */
function said(facts: AvrdudeFacts, lines = MAX_PROBLEM_LINES): string {
  const last = facts.problems.slice(-lines);
  return last.length === 0 ? 'avrdude said nothing about why' : `avrdude: ${last.join(' / ')}`;
}

/**
 * The GatewayError for a failed run (exit code not 0, or a run that does not say it wrote):
 * FIRMWARE_NO_SYNC, FIRMWARE_WRONG_BOARD (through mcu.ts checkSignature, one wording for both
 * programmers), FIRMWARE_VERIFY_FAILED or FIRMWARE_FLASH_FAILED with avrdude's last problems.
 */
export function avrdudeFailure(facts: AvrdudeFacts, exit: string, mcu: Mcu, attempts: number): GatewayError {
  if (facts.noSync)
    return new GatewayError(
      ErrorCodes.FIRMWARE_NO_SYNC,
      `the board did not answer the bootloader's sync after ${attempts} tries: is its bootloader there, is this the right port and baud rate? (${said(facts, 2)})`,
    );
  if (facts.signatureRefused && facts.signature !== undefined) {
    try {
      checkSignature(facts.signature, mcu);
    } catch (error) {
      if (error instanceof GatewayError) return error;
    }
  }
  if (facts.mismatch !== undefined) {
    const { address, device, image } = facts.mismatch;
    return new GatewayError(
      ErrorCodes.FIRMWARE_VERIFY_FAILED,
      `flash at ${hexValue(address, 4)} reads ${hexValue(device, 2)}, the image has ${hexValue(image, 2)}: the board holds a broken image; flash it again`,
    );
  }
  return new GatewayError(ErrorCodes.FIRMWARE_FLASH_FAILED, `avrdude ${exit}: ${said(facts)}`);
}
