// The MCUs of the Arduino boards whose bootloaders tty2mqtt flashes through (docs/firmware.md),
// and the two checks made before a byte is written: the image fits the
// part's application area (below the bootloader, which an image must never overwrite) and
// the board's bootloader reports the part the profile names.
//
// Signatures, flash sizes and page sizes were checked against avrdude's part definitions
// (avrdude.conf: `signature` and `memory "flash"` of m328p, m328pb, m168, m2560, m32u4). The
// bootloader sizes are those of the Arduino AVR core's boards.txt (flash size minus
// `upload.maximum_size`) for the bootloader each board ships with.
import { ErrorCodes, GatewayError } from '../errors.ts';
import type { HexImage } from './intel-hex.ts';
import { hexBytes, hexValue } from './hex-text.ts';

/**
 * How the bootloader is spoken to. Only `stk500v1` (optiboot, ATmegaBOOT: avrdude's
 * `-c arduino`) is in the first release; the others are named so a profile may state its
 * part and be refused with a reason rather than flashed wrongly.
 */
export type BootloaderProtocol = 'stk500v1' | 'stk500v2' | 'avr109';

export interface Mcu {
  name: string;
  /** The three signature bytes the bootloader reports (STK500 `Read Signature Bytes`). */
  signature: readonly [number, number, number];
  flashBytes: number;
  /** Flash is written a page at a time. */
  pageBytes: number;
  /** The bootloader at the top of flash; the application area is everything below it. */
  bootloaderBytes: number;
  bootloader: string;
  protocol: BootloaderProtocol;
  /** The bootloader's baud rate (boards.txt `upload.speed`), whatever the sketch uses. */
  bootloaderBaud: number;
}

export const MCUS = {
  // Arduino Uno: optiboot, 512 bytes at 0x7E00 (boards.txt: uno.upload.maximum_size=32256).
  atmega328p: {
    name: 'atmega328p',
    signature: [0x1e, 0x95, 0x0f],
    flashBytes: 32 * 1024,
    pageBytes: 128,
    bootloaderBytes: 512,
    bootloader: 'optiboot',
    protocol: 'stk500v1',
    bootloaderBaud: 115200,
  },
  // No Arduino board of the AVR core has it; boards with it (MiniCore cores) run optiboot with
  // the same 512 bytes as the Uno: assumed here.
  atmega328pb: {
    name: 'atmega328pb',
    signature: [0x1e, 0x95, 0x16],
    flashBytes: 32 * 1024,
    pageBytes: 128,
    bootloaderBytes: 512,
    bootloader: 'optiboot',
    protocol: 'stk500v1',
    bootloaderBaud: 115200,
  },
  // Diecimila/Duemilanove: ATmegaBOOT_168, 2 KiB (boards.txt: maximum_size=14336). Optiboot on
  // a 168 takes only 512 bytes, but assuming the larger bootloader refuses nothing that fits
  // under the smaller one except images that would overwrite an ATmegaBOOT.
  atmega168: {
    name: 'atmega168',
    signature: [0x1e, 0x94, 0x06],
    flashBytes: 16 * 1024,
    pageBytes: 128,
    bootloaderBytes: 2048,
    bootloader: 'ATmegaBOOT_168',
    protocol: 'stk500v1',
    bootloaderBaud: 19200,
  },
  // Arduino Mega 2560: stk500boot_v2, 8 KiB (boards.txt: maximum_size=253952). STK500v2.
  atmega2560: {
    name: 'atmega2560',
    signature: [0x1e, 0x98, 0x01],
    flashBytes: 256 * 1024,
    pageBytes: 256,
    bootloaderBytes: 8192,
    bootloader: 'stk500boot_v2',
    protocol: 'stk500v2',
    bootloaderBaud: 115200,
  },
  // Leonardo/Micro: Caterina, 4 KiB (boards.txt: maximum_size=28672), AVR109 over native USB.
  atmega32u4: {
    name: 'atmega32u4',
    signature: [0x1e, 0x95, 0x87],
    flashBytes: 32 * 1024,
    pageBytes: 128,
    bootloaderBytes: 4096,
    bootloader: 'Caterina',
    protocol: 'avr109',
    bootloaderBaud: 57600,
  },
} as const satisfies Record<string, Mcu>;

export type McuName = keyof typeof MCUS;

/** The names a profile's `mcu:` may take. */
export const MCU_NAMES = Object.keys(MCUS) as [McuName, ...McuName[]];

/** The first address of the bootloader: an application image ends below it. */
export function applicationEnd(mcu: Mcu): number {
  return mcu.flashBytes - mcu.bootloaderBytes;
}

/**
 * Refuses (throws GatewayError) an image that cannot be flashed to `mcu` through its
 * bootloader: a part whose bootloader protocol is not supported yet
 * (TTY2MQTT_FIRMWARE_UNSUPPORTED), an image without data, or one writing outside the
 * application area 0 … applicationEnd − 1, which would overwrite the bootloader or address
 * flash the part does not have (TTY2MQTT_FIRMWARE_INVALID).
 */
export function checkImage(image: HexImage, mcu: Mcu): void {
  if (mcu.protocol !== 'stk500v1')
    throw new GatewayError(
      ErrorCodes.FIRMWARE_UNSUPPORTED,
      `the ${mcu.name}'s bootloader (${mcu.bootloader}) speaks ${mcu.protocol.toUpperCase()}; tty2mqtt flashes only STK500v1 bootloaders (optiboot) so far`,
    );
  const end = applicationEnd(mcu);
  const limit = `the ${mcu.name}'s application area is ${hexValue(0)}–${hexValue(end - 1)} (${end} bytes; the ${mcu.bootloader} bootloader is above it)`;
  if (image.highestAddress === undefined || image.size === 0)
    throw new GatewayError(ErrorCodes.FIRMWARE_INVALID, 'the image holds no data');
  if (image.highestAddress >= end) {
    const over = image.highestAddress - end + 1;
    throw new GatewayError(
      ErrorCodes.FIRMWARE_INVALID,
      `the image ends at ${hexValue(image.highestAddress)}, ${over} byte${over === 1 ? '' : 's'} past the application area: ${limit}`,
    );
  }
}

/** The table's part with this signature, if any. */
export function mcuBySignature(bytes: ArrayLike<number>): Mcu | undefined {
  return Object.values(MCUS).find((m) => bytes.length === 3 && m.signature.every((b, i) => bytes[i] === b));
}

/**
 * Refuses (throws GatewayError TTY2MQTT_FIRMWARE_WRONG_BOARD) a board whose bootloader
 * reported another signature than the profile's `mcu`: an image built for one part would
 * misbehave on another, and the page size or bootloader area may differ too.
 */
export function checkSignature(bytes: ArrayLike<number>, mcu: Mcu): void {
  if (bytes.length === 3 && mcu.signature.every((b, i) => bytes[i] === b)) return;
  const other = mcuBySignature(bytes);
  const known = other === undefined ? 'an MCU tty2mqtt does not know' : other.name;
  throw new GatewayError(
    ErrorCodes.FIRMWARE_WRONG_BOARD,
    `the board answered ${hexBytes(bytes)} (${known}), the profile says ${mcu.name} (${hexBytes(mcu.signature)})`,
  );
}
