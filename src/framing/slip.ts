// The `slip` MQTT-SN serial framing (docs/contract.md §4.2): C0 · SLIP(packet ‖ CRC-16) · C0, with
// RFC 1055 SLIP (END 0xC0, ESC 0xDB, ESC_END 0xDC, ESC_ESC 0xDD) and CRC-16/CCITT-FALSE
// appended big-endian (crc16.ts). The leading END flushes line noise at the receiver, as
// PacketSerial and serialport's SlipEncoder({ bluetoothQuirk }) do.
//
// Decoding resynchronises at every END, so each fault drops its own frame and nothing else:
// - empty frames (back-to-back ENDs, the leading END) are ignored, not reported;
// - ESC followed by anything but ESC_END/ESC_ESC (including END) is 'bad_escape': RFC 1055
//   would keep the octet, and @serialport/parser-slip-encoder emits the partial frame — both
//   can turn the start of a frame into a plausible packet (mqtt-sn-1.2.md §2.4), so the
//   frame is dropped and decoding restarts after the next END;
// - more than maxPacket + 2 decoded octets is 'oversize', skipped up to the next END without
//   buffering it;
// - then too_short, bad_crc, length_mismatch (checkFramedPacket).
// Octets before the first END are decoded as a frame too: a peer that only sends the
// trailing END still gets its first packet through, and noise fails the CRC.
import { checkFramedPacket, discard, resolveMaxPacket, withCrc } from './packet-framer.ts';
import type { PacketFramer, PacketFramerEvent, PacketFramerOptions } from './packet-framer.ts';

const END = 0xc0;
const ESC = 0xdb;
const ESC_END = 0xdc;
const ESC_ESC = 0xdd;

export function createSlipFramer(options: PacketFramerOptions = {}): PacketFramer {
  const capacity = resolveMaxPacket(options) + 2; // the packet and its CRC
  const buffer = Buffer.allocUnsafe(capacity);
  let length = 0; // decoded octets of the current frame
  let seen = 0; // encoded octets of the current frame, for discard reports
  let escaping = false; // the previous octet was ESC
  let fault: 'bad_escape' | 'oversize' | undefined; // drop the rest of this frame

  function clearFrame(): void {
    length = 0;
    seen = 0;
    escaping = false;
    fault = undefined;
  }

  function put(octet: number): void {
    if (length === capacity) {
      fault = 'oversize';
      length = 0;
    } else buffer[length++] = octet;
  }

  /** An END arrived: report the frame it closes, if there was one. */
  function finish(): PacketFramerEvent | undefined {
    if (seen === 0) return undefined;
    if (escaping) fault = 'bad_escape'; // ESC END
    if (fault !== undefined) return discard(fault, seen);
    return checkFramedPacket(buffer.subarray(0, length), seen);
  }

  return {
    push(chunk) {
      const events: PacketFramerEvent[] = [];
      for (const octet of chunk) {
        if (octet === END) {
          const event = finish();
          if (event !== undefined) events.push(event);
          clearFrame();
          continue;
        }
        seen++;
        if (fault !== undefined) continue;
        if (escaping) {
          escaping = false;
          if (octet === ESC_END) put(END);
          else if (octet === ESC_ESC) put(ESC);
          else {
            fault = 'bad_escape';
            length = 0;
          }
        } else if (octet === ESC) escaping = true;
        else put(octet);
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

/** C0 · SLIP(packet ‖ CRC-16/CCITT-FALSE big-endian) · C0. */
export function encodeSlip(packet: Buffer): Buffer {
  const data = withCrc(packet);
  let size = 2;
  for (const octet of data) size += octet === END || octet === ESC ? 2 : 1;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  out[at++] = END;
  for (const octet of data) {
    if (octet === END) {
      out[at++] = ESC;
      out[at++] = ESC_END;
    } else if (octet === ESC) {
      out[at++] = ESC;
      out[at++] = ESC_ESC;
    } else out[at++] = octet;
  }
  out[at] = END;
  return out;
}
