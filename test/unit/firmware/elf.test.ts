import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ErrorCodes, isGatewayError } from '../../../src/errors.ts';
import { MAX_ELF_FILE_BYTES, parseElf } from '../../../src/firmware/elf.ts';
import { parseIntelHex } from '../../../src/firmware/intel-hex.ts';
import { refusalOf } from '../../helpers/refusal.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'firmware');

interface Segment {
  type?: number;
  paddr: number;
  data: number[];
  memsz?: number;
}

/** A minimal AVR executable: header, program headers, then each segment's bytes in order. */
function craftElf(segments: Segment[], patch: (view: DataView) => void = () => undefined): Uint8Array {
  const dataStart = 52 + 32 * segments.length;
  const size = dataStart + segments.reduce((n, s) => n + s.data.length, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  view.setUint16(16, 2, true); // ET_EXEC
  view.setUint16(18, 83, true); // EM_AVR
  view.setUint32(20, 1, true);
  view.setUint32(28, 52, true); // e_phoff
  view.setUint16(40, 52, true);
  view.setUint16(42, 32, true);
  view.setUint16(44, segments.length, true);
  let offset = dataStart;
  segments.forEach((s, i) => {
    const at = 52 + 32 * i;
    view.setUint32(at, s.type ?? 1, true);
    view.setUint32(at + 4, offset, true);
    view.setUint32(at + 8, s.paddr, true);
    view.setUint32(at + 12, s.paddr, true);
    view.setUint32(at + 16, s.data.length, true);
    view.setUint32(at + 20, s.memsz ?? s.data.length, true);
    bytes.set(s.data, offset);
    offset += s.data.length;
  });
  patch(view);
  return bytes;
}

function refusal(input: Uint8Array): string {
  return refusalOf(() => parseElf(input), ErrorCodes.FIRMWARE_INVALID);
}

void describe('parseElf', () => {
  void it("gives the real sketch's ELF the image of avr-objcopy's HEX of it", () => {
    const elf = parseElf(readFileSync(join(FIXTURES, 'soil-csv.elf')));
    assert.deepEqual(elf, parseIntelHex(readFileSync(join(FIXTURES, 'soil-csv.hex'))));
    assert.equal(elf.size, 5402); // .text 0x14F4 + .data 0x26, one run from 0
  });

  void it('copies segments out of a Buffer into plain Uint8Arrays', () => {
    const file = Buffer.from(
      craftElf([
        { paddr: 0, data: [1, 2] },
        { paddr: 0x10, data: [3] },
      ]),
    );
    const image = parseElf(file);
    file.fill(0);
    assert.deepEqual(
      image.segments.map((s) => s.bytes),
      [Uint8Array.of(1, 2), Uint8Array.of(3)],
    );
  });

  void it('loads flash segments at their physical address, merges touching ones, skips SRAM, EEPROM and .bss', () => {
    const image = parseElf(
      craftElf([
        { paddr: 0x100, data: [5, 6] },
        { paddr: 0, data: [1, 2, 3] },
        { paddr: 3, data: [4] }, // touches the one before: merged
        { paddr: 0x800100, data: [9, 9] }, // .data's run address in SRAM: not flash
        { paddr: 0x810000, data: [7] }, // .eeprom
        { paddr: 0x200, data: [], memsz: 16 }, // .bss-like: nothing in the file
        { type: 4, paddr: 0x300, data: [8] }, // PT_NOTE: not loaded
      ]),
    );
    assert.deepEqual(image, {
      segments: [
        { address: 0, bytes: Uint8Array.of(1, 2, 3, 4) },
        { address: 0x100, bytes: Uint8Array.of(5, 6) },
      ],
      size: 6,
      highestAddress: 0x101,
    });
  });

  void it('refuses what is not an AVR executable, saying what', () => {
    const good = [{ paddr: 0, data: [1, 2] }];
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(10), '10 bytes, shorter than an ELF header (52)'],
      [craftElf(good, (v) => v.setUint8(0, 0x3a)), 'does not start with the ELF magic number 7F 45 4C 46'],
      [craftElf(good, (v) => v.setUint8(4, 2)), 'ELF class 2, not 1 (32-bit): not an AVR file'],
      [
        craftElf(good, (v) => v.setUint8(5, 2)),
        'ELF data encoding 2, not 1 (little endian): not an AVR file',
      ],
      [
        craftElf(good, (v) => v.setUint16(18, 40, true)),
        'ELF machine 40, not 83 (AVR): built for another processor',
      ],
      [
        craftElf(good, (v) => v.setUint16(16, 1, true)),
        'ELF type 1, not 2 (an executable): an object file is not linked yet',
      ],
      [craftElf(good, (v) => v.setUint16(44, 0, true)), 'no program headers: nothing to load'],
      [
        craftElf(good, (v) => v.setUint16(44, 65, true)),
        '65 program headers, more than an AVR executable has (64)',
      ],
      [craftElf(good, (v) => v.setUint16(42, 56, true)), 'program headers of 56 bytes, not 32'],
      [
        craftElf(good, (v) => v.setUint32(28, 1000, true)),
        "the program headers (1 at offset 1000) lie outside the file's 86 bytes",
      ],
      [
        craftElf(good, (v) => v.setUint32(52 + 16, 50, true)),
        'program header 0: 50 bytes in the file, more than its 2 in memory',
      ],
      [
        craftElf([{ paddr: 0, data: [1, 2], memsz: 100 }], (v) => v.setUint32(52 + 16, 50, true)),
        'program header 0: its 50 bytes at offset 84 run past the end of the file (86 bytes)',
      ],
      [
        craftElf([{ paddr: 0x7fffff, data: [1, 2] }]),
        'program header 0: 0x7FFFFF–0x800000 runs from flash into the data space at 0x800000',
      ],
      [craftElf([{ paddr: 0x800100, data: [1] }]), 'no loadable segment holds flash data'],
      [
        craftElf([
          { paddr: 0, data: [1, 2, 3] },
          { paddr: 2, data: [4] },
        ]),
        'program header 1 loads 0x0002, which program header 0 already loads',
      ],
    ];
    for (const [input, message] of cases) assert.equal(refusal(input), message);
    assert.equal(
      refusal(new Uint8Array(MAX_ELF_FILE_BYTES + 1)),
      `${MAX_ELF_FILE_BYTES + 1} bytes, more than a firmware file may be (${MAX_ELF_FILE_BYTES})`,
    );
  });

  void it('throws nothing but FIRMWARE_INVALID for any bytes, with or without a valid header', () => {
    const real = readFileSync(join(FIXTURES, 'soil-csv.elf'));
    const header = real.subarray(0, 52 + 96);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (tail, withHeader) => {
        const input = withHeader ? Uint8Array.from([...header, ...tail]) : tail;
        try {
          parseElf(input);
        } catch (error) {
          assert.ok(isGatewayError(error, ErrorCodes.FIRMWARE_INVALID), String(error));
        }
      }),
      { numRuns: 2000 },
    );
  });

  void it('throws nothing but FIRMWARE_INVALID when any byte of a real ELF is changed or it is cut short', () => {
    const real = readFileSync(join(FIXTURES, 'soil-csv.elf'));
    fc.assert(
      fc.property(
        fc.nat({ max: 52 + 96 + 64 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: real.length }),
        (at, value, length) => {
          const input = Uint8Array.from(real.subarray(0, Math.max(length, at + 1)));
          input[at] = value;
          try {
            parseElf(input);
          } catch (error) {
            assert.ok(isGatewayError(error, ErrorCodes.FIRMWARE_INVALID), String(error));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
