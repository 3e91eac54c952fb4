import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ErrorCodes, GatewayError } from '../../../src/errors.ts';
import { MAX_HEX_FILE_BYTES, parseIntelHex } from '../../../src/firmware/intel-hex.ts';
import type { HexImage } from '../../../src/firmware/intel-hex.ts';
import { refusalOf } from '../../helpers/refusal.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'firmware');
/**
 * devices/soil-csv/soil-csv.ino built by `bash hil/build-firmware.sh soil-csv` (avr-gcc, the
 * Arduino core) and written by `avr-objcopy -O ihex -R .eeprom`: CRLF lines, 16-byte records.
 * avr-size reported 5402 bytes of program (text + data).
 */
const SOIL_CSV = readFileSync(join(FIXTURES, 'soil-csv.hex'));

/** A test-side writer: 16-byte records, an extended linear address record per 64 KiB. */
function toHex(image: Map<number, Uint8Array>, lineEnd = '\n'): string {
  const record = (type: number, offset: number, data: ArrayLike<number>): string => {
    const bytes = [data.length, (offset >> 8) & 0xff, offset & 0xff, type, ...Array.from(data)];
    const sum = bytes.reduce((a, b) => a + b, 0);
    bytes.push((0x100 - (sum & 0xff)) & 0xff);
    return `:${bytes.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('')}${lineEnd}`;
  };
  let out = '';
  let upper = 0;
  for (const [address, bytes] of [...image].sort((a, b) => a[0] - b[0])) {
    for (let i = 0; i < bytes.length;) {
      const at = address + i;
      if (at >>> 16 !== upper) {
        upper = at >>> 16;
        out += record(4, 0, [upper >> 8, upper & 0xff]);
      }
      // A record stays inside its 64 KiB segment.
      const n = Math.min(16, bytes.length - i, 0x10000 - (at & 0xffff));
      out += record(0, at & 0xffff, bytes.subarray(i, i + n));
      i += n;
    }
  }
  return out + record(1, 0, []);
}

/** Every byte the image loads, by address. */
function bytesOf(image: HexImage): Map<number, number> {
  const map = new Map<number, number>();
  for (const s of image.segments) s.bytes.forEach((b, i) => map.set(s.address + i, b));
  return map;
}

function refusal(input: string | Uint8Array): string {
  return refusalOf(() => parseIntelHex(input), ErrorCodes.FIRMWARE_INVALID);
}

/** Random images in an Uno's 32 KiB: non-overlapping runs of 1–300 bytes. */
const images = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 0x7fff }), fc.uint8Array({ minLength: 1, maxLength: 300 })), {
    maxLength: 12,
  })
  .map((runs) => {
    const image = new Map<number, Uint8Array>();
    const used = new Set<number>();
    for (const [address, bytes] of runs) {
      const fitted = bytes.subarray(0, Math.max(0, 0x8000 - address));
      let free = true;
      for (let a = address; a < address + fitted.length && free; a++) free = !used.has(a);
      if (!free || fitted.length === 0) continue;
      for (let a = address; a < address + fitted.length; a++) used.add(a);
      image.set(address, fitted);
    }
    return image;
  });

void describe('parseIntelHex', () => {
  void it('reads a sketch compiled for the Uno: one segment from 0, as big as avr-size said', () => {
    const image = parseIntelHex(SOIL_CSV);
    assert.equal(image.size, 5402);
    assert.equal(image.segments.length, 1);
    assert.equal(image.segments[0]?.address, 0);
    assert.equal(image.highestAddress, 5401);
    // The reset vector: a JMP (0x940C, little-endian words) as avr-gcc's vector table starts.
    assert.deepEqual([...(image.segments[0]?.bytes.subarray(0, 2) ?? [])], [0x0c, 0x94]);
    // The same file as text, and with LF line ends, reads the same.
    const text = SOIL_CSV.toString('latin1');
    assert.deepEqual(parseIntelHex(text), image);
    assert.deepEqual(parseIntelHex(text.replaceAll('\r\n', '\n')), image);
  });

  void it('reads what a HEX writer wrote, byte for byte, in touching runs merged', () => {
    fc.assert(
      fc.property(images, fc.constantFrom('\n', '\r\n'), (image, lineEnd) => {
        const parsed = parseIntelHex(toHex(image, lineEnd));
        const expected = new Map<number, number>();
        for (const [address, bytes] of image) bytes.forEach((b, i) => expected.set(address + i, b));
        assert.deepEqual(bytesOf(parsed), expected);
        assert.equal(parsed.size, expected.size);
        assert.equal(parsed.highestAddress, expected.size === 0 ? undefined : Math.max(...expected.keys()));
        parsed.segments.forEach((s, i) => {
          const next = parsed.segments[i + 1];
          if (next !== undefined) assert.ok(s.address + s.bytes.length < next.address, 'segments touch');
        });
      }),
    );
  });

  void it('places data by extended linear and extended segment address records', () => {
    const image = parseIntelHex(toHex(new Map([[0x3e000, Uint8Array.of(1, 2, 3)]])));
    assert.deepEqual(image.segments, [{ address: 0x3e000, bytes: Uint8Array.of(1, 2, 3) }]);
    // 02 record: base = 0x1000 × 16 = 0x10000.
    const segment = ':020000021000EC\n:01001000559A\n:00000001FF\n';
    assert.deepEqual(parseIntelHex(segment).segments, [{ address: 0x10010, bytes: Uint8Array.of(0x55) }]);
  });

  void it('checks start address records and ignores them', () => {
    const image = parseIntelHex(':0400000300007E007B\n:0100000055AA\n:00000001FF\n');
    assert.deepEqual(image.segments, [{ address: 0, bytes: Uint8Array.of(0x55) }]);
    assert.equal(parseIntelHex(':0400000500001234B1\n:00000001FF\n').size, 0);
  });

  void it('refuses each kind of damage, naming the line and what is wrong', () => {
    const cases: [string, string][] = [
      [':0100000055AB\n:00000001FF\n', 'line 1: checksum 0xAB, expected 0xAA'],
      [
        ':0100000055AA\n:0200000055AA\n:00000001FF\n',
        'line 2: byte count 0x02 says 2 data bytes, the record holds 1',
      ],
      ['0100000055AA\n:00000001FF\n', "line 1: does not start with ':'"],
      [':01000000G5AA\n:00000001FF\n', 'line 1, column 10: "G" is not a hex digit'],
      [':0100000055A\n:00000001FF\n', 'line 1: an odd number of hex digits (11)'],
      [':00000001\n', 'line 1: 4 bytes, shorter than any record (5)'],
      [':0100000655A4\n:00000001FF\n', 'line 1: record type 0x06 is not an Intel HEX record type (00 to 05)'],
      [':0100000155A9\n', 'line 1: an end-of-file record carries 0 data bytes, not 1'],
      [
        ':03000003000000FA\n:00000001FF\n',
        'line 1: a start segment address record carries 4 data bytes, not 3',
      ],
      [
        ':020010040000EA\n:00000001FF\n',
        'line 1: an extended linear address record has address field 0000, not 0010',
      ],
      [
        ':0100000055AA\n',
        'no end-of-file record (:00000001FF) after line 1: the file is cut off or not Intel HEX',
      ],
      ['', 'the file is empty'],
      [
        ':00000001FF\n:00000001FF\n',
        'line 2: text after the end-of-file record (line 1); only blank lines may follow',
      ],
      [
        ':0100000055AA\n\n:00000001FF\n',
        'line 2: empty; every line before the end-of-file record is a record',
      ],
      [':0100000055AA\r:00000001FF\n', 'line 1: a CR that does not end the line'],
      [
        ':0400000300007E007B\n:0400000300007E007B\n:00000001FF\n',
        'line 2: a second start address record (the first is line 1)',
      ],
      [
        ':02FFFF0055AA01\n:00000001FF\n',
        "line 1: the record's 2 bytes run past the end of its 64 KiB segment",
      ],
      [
        ':0400000001020304F2\n:0100050055A5\n:02000200666630\n:00000001FF\n',
        'line 3: writes 0x0002–0x0003, already written by line 1',
      ],
      [`:${'0'.repeat(600)}\n:00000001FF\n`, 'line 1: 601 characters, longer than any record (521)'],
    ];
    for (const [input, message] of cases) assert.equal(refusal(input), message, JSON.stringify(input));
  });

  void it('accepts blank lines after the end-of-file record, and none at all', () => {
    assert.equal(parseIntelHex(':0100000055AA\n:00000001FF\n\n\r\n').size, 1);
    assert.equal(parseIntelHex(':0100000055AA\r\n:00000001FF').size, 1);
  });

  void it('refuses a file over the size bound before reading its records', () => {
    // Valid records all the way: only the size can be the reason.
    const record = ':0100000055AA\n';
    const big = record.repeat(Math.ceil(MAX_HEX_FILE_BYTES / record.length) + 1);
    assert.match(refusal(Buffer.from(big)), /^\d+ bytes, more than a firmware file may be \(1048576\)$/);
    assert.match(refusal(big), /more than a firmware file may be/);
  });

  void it('refuses any single changed hex digit of a valid file, and throws nothing but GatewayError', () => {
    const text = toHex(new Map([[0x100, Uint8Array.from({ length: 40 }, (_, i) => i * 7)]]));
    const digits = [...text.matchAll(/[0-9A-F]/g)].map((m) => m.index);
    fc.assert(
      fc.property(fc.constantFrom(...digits), fc.integer({ min: 1, max: 15 }), (at, delta) => {
        const digit = ((Number.parseInt(text.charAt(at), 16) + delta) % 16).toString(16).toUpperCase();
        refusal(text.slice(0, at) + digit + text.slice(at + 1));
      }),
      { numRuns: 500 },
    );
  });

  void it('throws nothing but GatewayError for any input', () => {
    const check = (input: string | Uint8Array): void => {
      try {
        parseIntelHex(input);
      } catch (error) {
        assert.ok(error instanceof GatewayError, `threw ${String(error)}`);
        assert.equal(error.code, ErrorCodes.FIRMWARE_INVALID);
      }
    };
    const recordish = fc
      .array(fc.constantFrom(':', '0', '1', '2', '4', '5', 'F', 'A', '\n', '\r', ' '), { maxLength: 80 })
      .map((chars) => chars.join(''));
    fc.assert(fc.property(fc.oneof(fc.string(), recordish), check), { numRuns: 2000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), check), { numRuns: 500 });
  });
});
