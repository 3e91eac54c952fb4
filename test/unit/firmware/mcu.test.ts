import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes } from '../../../src/errors.ts';

import { parseIntelHex } from '../../../src/firmware/intel-hex.ts';
import type { HexImage } from '../../../src/firmware/intel-hex.ts';
import {
  applicationEnd,
  checkImage,
  checkSignature,
  MCU_NAMES,
  MCUS,
  mcuBySignature,
} from '../../../src/firmware/mcu.ts';
import { refusalOf } from '../../helpers/refusal.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'firmware');
const { atmega328p, atmega168, atmega2560, atmega32u4 } = MCUS;

/** An image of `length` bytes from `address`. */
function imageAt(address: number, length: number): HexImage {
  return {
    segments: length === 0 ? [] : [{ address, bytes: new Uint8Array(length) }],
    size: length,
    highestAddress: length === 0 ? undefined : address + length - 1,
  };
}

void describe('the MCU table', () => {
  void it('gives each part a distinct signature and an application area of whole pages', () => {
    const signatures = new Set(Object.values(MCUS).map((m) => m.signature.join(' ')));
    assert.equal(signatures.size, MCU_NAMES.length);
    for (const m of Object.values(MCUS)) {
      assert.equal(applicationEnd(m) % m.pageBytes, 0, m.name);
      assert.equal(MCUS[m.name], m, 'name and key agree');
    }
  });

  void it("puts the Uno's application area below optiboot: 0x0000–0x7DFF", () => {
    assert.equal(applicationEnd(atmega328p), 0x7e00);
  });
});

void describe('checkImage', () => {
  void it('accepts the compiled Uno sketch and an image filling the application area exactly', () => {
    checkImage(parseIntelHex(readFileSync(join(FIXTURES, 'soil-csv.hex'))), atmega328p);
    checkImage(imageAt(0, 0x7e00), atmega328p);
  });

  void it("refuses an image over the bootloader, saying by how much and the part's limit", () => {
    assert.equal(
      refusalOf(() => checkImage(imageAt(0, 0x7e01), atmega328p), ErrorCodes.FIRMWARE_INVALID),
      "the image ends at 0x7E00, 1 byte past the application area: the atmega328p's application area is 0x0000–0x7DFF (32256 bytes; the optiboot bootloader is above it)",
    );
    // Optiboot itself (0x7E00–0x7FFF) is no application image.
    assert.match(
      refusalOf(() => checkImage(imageAt(0x7e00, 512), atmega328p), ErrorCodes.FIRMWARE_INVALID),
      /^the image ends at 0x7FFF, 512 bytes past the application area/,
    );
    // A Uno image is too big for a 168 under its 2 KiB ATmegaBOOT.
    assert.match(
      refusalOf(() => checkImage(imageAt(0, 0x3801), atmega168), ErrorCodes.FIRMWARE_INVALID),
      /0x0000–0x37FF \(14336 bytes; the ATmegaBOOT_168 bootloader is above it\)$/,
    );
  });

  void it('refuses an image without data', () => {
    assert.equal(
      refusalOf(() => checkImage(imageAt(0, 0), atmega328p), ErrorCodes.FIRMWARE_INVALID),
      'the image holds no data',
    );
  });

  void it('refuses to plan a flash for parts whose bootloader is not STK500v1, with the reason', () => {
    assert.equal(
      refusalOf(() => checkImage(imageAt(0, 100), atmega2560), ErrorCodes.FIRMWARE_UNSUPPORTED),
      "the atmega2560's bootloader (stk500boot_v2) speaks STK500V2; tty2mqtt flashes only STK500v1 bootloaders (optiboot) so far",
    );
    assert.match(
      refusalOf(() => checkImage(imageAt(0, 100), atmega32u4), ErrorCodes.FIRMWARE_UNSUPPORTED),
      /\(Caterina\) speaks AVR109/,
    );
  });
});

void describe('checkSignature', () => {
  void it("accepts the profile's part", () => {
    checkSignature([0x1e, 0x95, 0x0f], atmega328p);
    checkSignature(Uint8Array.of(0x1e, 0x94, 0x06), atmega168);
  });

  void it('names the part the board is and the part the profile says', () => {
    assert.equal(
      refusalOf(() => checkSignature([0x1e, 0x95, 0x16], atmega328p), ErrorCodes.FIRMWARE_WRONG_BOARD),
      'the board answered 1E 95 16 (atmega328pb), the profile says atmega328p (1E 95 0F)',
    );
    assert.equal(
      refusalOf(() => checkSignature([0x00, 0x00, 0x00], atmega328p), ErrorCodes.FIRMWARE_WRONG_BOARD),
      'the board answered 00 00 00 (an MCU tty2mqtt does not know), the profile says atmega328p (1E 95 0F)',
    );
    assert.match(
      refusalOf(() => checkSignature([0x1e, 0x95], atmega328p), ErrorCodes.FIRMWARE_WRONG_BOARD),
      /^the board answered 1E 95 \(an MCU tty2mqtt does not know\)/,
    );
  });

  void it('finds a part by its signature', () => {
    assert.equal(mcuBySignature([0x1e, 0x98, 0x01]), atmega2560);
    assert.equal(mcuBySignature([0x1e, 0x98, 0x01, 0x00]), undefined);
  });
});
