// Writing an image as Intel HEX (Intel, "Hexadecimal Object File Format Specification",
// Rev. A, 1988), the way avr-objcopy does: 16 data bytes per record, an extended linear
// address record (type 04) before the first record of each 64 KiB segment above the first,
// one end-of-file record. Used to hand avrdude exactly the image tty2mqtt checked
// (avrdude.ts); parseIntelHex reads it back to the same image.
import type { HexImage } from './intel-hex.ts';
import { hexDigits } from './hex-text.ts';

const BYTES_PER_RECORD = 16;

function record(type: number, offset: number, data: ArrayLike<number>): string {
  const bytes = [data.length, (offset >> 8) & 0xff, offset & 0xff, type, ...Array.from(data)];
  const sum = bytes.reduce((a, b) => a + b, 0);
  return `:${bytes.map((b) => hexDigits(b, 2)).join('')}${hexDigits((0x100 - (sum & 0xff)) & 0xff, 2)}`;
}

/** The image as Intel HEX text, CR LF line ends (as avr-objcopy writes it). */
export function formatIntelHex(image: HexImage): string {
  const lines: string[] = [];
  let segment = 0; // the upper 16 bits in force
  for (const { address, bytes } of image.segments) {
    let at = 0;
    while (at < bytes.length) {
      const absolute = address + at;
      const upper = Math.floor(absolute / 0x10000);
      if (upper !== segment) {
        lines.push(record(0x04, 0, [(upper >> 8) & 0xff, upper & 0xff]));
        segment = upper;
      }
      // A record never crosses a 64 KiB boundary (parseIntelHex refuses one that would wrap).
      const room = 0x10000 - (absolute % 0x10000);
      const count = Math.min(BYTES_PER_RECORD, bytes.length - at, room);
      lines.push(record(0x00, absolute % 0x10000, bytes.subarray(at, at + count)));
      at += count;
    }
  }
  lines.push(record(0x01, 0, []));
  return `${lines.join('\r\n')}\r\n`;
}
