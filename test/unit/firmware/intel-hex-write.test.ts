import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseIntelHex } from '../../../src/firmware/intel-hex.ts';
import type { HexImage, HexSegment } from '../../../src/firmware/intel-hex.ts';
import { formatIntelHex } from '../../../src/firmware/intel-hex-write.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'firmware');

/** Sorted, non-touching segments from arbitrary gaps and lengths (addresses up to ~256 KiB). */
const images = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.uint8Array({ minLength: 1, maxLength: 300 })), {
    maxLength: 12,
  })
  .map((runs): HexImage => {
    const segments: HexSegment[] = [];
    let at = 0;
    for (const [gap, bytes] of runs) {
      at += gap;
      segments.push({ address: at, bytes });
      at += bytes.length;
    }
    const last = segments[segments.length - 1];
    return {
      segments,
      size: segments.reduce((n, s) => n + s.bytes.length, 0),
      highestAddress: last === undefined ? undefined : last.address + last.bytes.length - 1,
    };
  });

void describe('formatIntelHex', () => {
  void it("writes the sketch's image so that it reads back the same, in avr-objcopy's record shape", () => {
    const image = parseIntelHex(readFileSync(join(FIXTURES, 'soil-csv.hex')));
    const text = formatIntelHex(image);
    assert.deepEqual(parseIntelHex(text), image);
    // avr-objcopy starts new records at each section (.data after .text); one run here.
    const lines = text.split('\r\n');
    assert.equal(lines[0], ':100000000C9405010C942D010C942D010C942D01E0');
    assert.equal(lines.length, Math.ceil(5402 / 16) + 2); // data records, end of file, ''
  });

  void it('is read back by parseIntelHex as the same image, across 64 KiB segments too', () => {
    fc.assert(
      fc.property(images, (image) => {
        assert.deepEqual(parseIntelHex(formatIntelHex(image)), image);
      }),
      { numRuns: 300 },
    );
  });

  void it('writes 16 data bytes per record and an extended linear address record at 64 KiB', () => {
    const bytes = Uint8Array.from({ length: 20 }, (_, i) => i);
    const text = formatIntelHex({
      segments: [{ address: 0xfff8, bytes }],
      size: 20,
      highestAddress: 0x1000b,
    });
    assert.deepEqual(text.split('\r\n'), [
      ':08FFF8000001020304050607E5',
      ':020000040001F9',
      ':0C00000008090A0B0C0D0E0F1011121352',
      ':00000001FF',
      '',
    ]);
  });
});
