// What programs a board's flash through its bootloader: avrdude when it is installed
// (avrdude.ts), else tty2mqtt's own STK500v1 implementation (stk500v1.ts). Both take a
// checked image (intel-hex.ts / elf.ts, then mcu.ts checkImage) and a serial device path the
// gateway has closed; both reset the board into its bootloader (DTR pulse, as avrdude's
// `-c arduino` and the Arduino IDE do), check its signature against the profile's MCU, write,
// optionally read back, and leave the port closed. Failures are GatewayErrors:
// FIRMWARE_NO_SYNC, FIRMWARE_WRONG_BOARD, FIRMWARE_VERIFY_FAILED, FIRMWARE_FLASH_FAILED.
import type { HexImage } from './intel-hex.ts';
import type { Mcu } from './mcu.ts';

/** `flash.programmer` in gateway.yaml (select-programmer.ts says what each means). */
export const PROGRAMMER_CHOICES = ['auto', 'avrdude', 'builtin'] as const;
export type ProgrammerChoice = (typeof PROGRAMMER_CHOICES)[number];

export type FlashStage = 'reset' | 'sync' | 'signature' | 'writing' | 'verifying';

/** Reported as the work goes on; `bytes` of `of` for writing and verifying. */
export interface FlashProgress {
  stage: FlashStage;
  bytes?: number;
  of?: number;
}

export interface ProgramRequest {
  /** The serial device (e.g. /dev/ttyACM0 or a /dev/serial/by-id link). */
  path: string;
  /** The bootloader's baud rate (optiboot on an Uno: 115200). */
  baudRate: number;
  image: HexImage;
  mcu: Mcu;
  /** Read flash back and compare after writing. */
  verify: boolean;
  onProgress?: (progress: FlashProgress) => void;
  /** Aborts the programming (the gateway is stopping); the promise then rejects. */
  signal?: AbortSignal;
}

export interface ProgramResult {
  /** Image bytes written (the image's size; pages are padded with 0xFF on the wire). */
  bytesWritten: number;
  /** True when flash was read back and matched; false when verify was not asked for. */
  verified: boolean;
  /** The signature the bootloader reported, e.g. "1E 95 0F". */
  signature: string;
  /** Which programmer did the work, e.g. "avrdude 7.1" or "builtin stk500v1". */
  programmer: string;
  /** Wall time from the first reset to the bootloader's last answer. */
  ms: number;
}

export interface Programmer {
  readonly name: string;
  program(request: ProgramRequest): Promise<ProgramResult>;
}
