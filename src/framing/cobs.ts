// The `cobs` MQTT-SN serial framing (docs/contract.md §4.2): COBS(packet ‖ CRC-16) · 00, the
// Arduino PacketSerial default. COBS is Consistent Overhead Byte Stuffing (Cheshire & Baker,
// IEEE/ACM Trans. Networking 7(2), 1999): each block is a code octet n (1..255) followed by
// n−1 non-zero octets, and stands for those octets plus a zero unless n is 0xFF; the zero
// after the last block is implied by the frame end and dropped. So 0x00 never occurs inside
// a frame and is a perfect delimiter. Overhead is at most 1 octet per 254.
//
// The decoder works a block at a time in place, into a buffer allocated once at
// maxPacket + 2, and resynchronises at every 00, so each fault drops its own frame only:
// - empty frames (00 00, a leading 00) are ignored, not reported;
// - a code octet that points beyond the frame end is 'bad_encoding' (the npm `cobs`
//   package's decode does not check this, mqtt-sn-1.2.md §2.4);
// - more than maxPacket + 2 decoded octets is 'oversize', skipped up to the next 00;
// - then too_short, bad_crc, length_mismatch (checkFramedPacket).
import { checkFramedPacket, discard, resolveMaxPacket, withCrc } from './packet-framer.ts';
import type { PacketFramer, PacketFramerEvent, PacketFramerOptions } from './packet-framer.ts';

const DELIMITER = 0x00;
const FULL_BLOCK = 0xff; // 254 data octets and no implied zero

export function createCobsFramer(options: PacketFramerOptions = {}): PacketFramer {
  const capacity = resolveMaxPacket(options) + 2; // the packet and its CRC
  const buffer = Buffer.allocUnsafe(capacity);
  let length = 0; // decoded octets of the current frame
  let seen = 0; // encoded octets of the current frame, for discard reports
  let remaining = 0; // data octets left in the current block; 0: the next octet is a code
  let zeroOwed = false; // the previous block ends with an implied zero (if a block follows)
  let oversize = false; // drop the rest of this frame

  function clearFrame(): void {
    length = 0;
    seen = 0;
    remaining = 0;
    zeroOwed = false;
    oversize = false;
  }

  function put(octet: number): void {
    if (length === capacity) {
      oversize = true;
      length = 0;
    } else buffer[length++] = octet;
  }

  /** A 00 arrived: report the frame it closes, if there was one. */
  function finish(): PacketFramerEvent | undefined {
    if (seen === 0) return undefined;
    if (oversize) return discard('oversize', seen);
    if (remaining > 0) return discard('bad_encoding', seen);
    return checkFramedPacket(buffer.subarray(0, length), seen);
  }

  return {
    push(chunk) {
      const events: PacketFramerEvent[] = [];
      for (const octet of chunk) {
        if (octet === DELIMITER) {
          const event = finish();
          if (event !== undefined) events.push(event);
          clearFrame();
          continue;
        }
        seen++;
        if (oversize) continue;
        if (remaining > 0) {
          put(octet);
          remaining--;
          continue;
        }
        // A code octet: the previous block's implied zero is real, since a block follows.
        if (zeroOwed) put(0);
        remaining = octet - 1;
        zeroOwed = octet !== FULL_BLOCK;
      }
      return events;
    },
    idle() {
      return [];
    },
    reset() {
      clearFrame();
    },
    pending() {
      return length;
    },
  };
}

/** COBS(packet ‖ CRC-16/CCITT-FALSE big-endian) · 00, byte for byte as PacketSerial's encoder. */
export function encodeCobs(packet: Buffer): Buffer {
  const data = withCrc(packet);
  const out = Buffer.alloc(data.length + Math.ceil(data.length / 254) + 2);
  let codeAt = 0; // where the current block's code octet goes
  let at = 1;
  let code = 1;
  for (const octet of data) {
    if (octet === 0) {
      out[codeAt] = code;
      codeAt = at++;
      code = 1;
      continue;
    }
    out[at++] = octet;
    if (++code === FULL_BLOCK) {
      out[codeAt] = code;
      codeAt = at++;
      code = 1;
    }
  }
  out[codeAt] = code;
  out[at++] = DELIMITER;
  return out.subarray(0, at);
}
