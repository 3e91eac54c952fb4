// What every MQTT-SN serial framer (docs/contract.md §4.2: `raw`, `slip`, `cobs`) has in common:
// bytes in, whole MQTT-SN packets or discards out, with a hard maximum size. Bad data is a
// value, never an exception: each discard carries a stable snake_case reason and the number
// of line octets it threw away, for the per-port counters.
import { crc16 } from './crc16.ts';

export type PacketDiscardReason =
  /** raw: an illegal Length field (0x01 form with a total below 4, MQTT-SN 1.2 §5.2.1). */
  | 'bad_length'
  /** raw: a declared length above maxPacket; slip/cobs: a frame decoding to > maxPacket + 2. */
  | 'oversize'
  /** slip: ESC followed by anything but ESC_END/ESC_ESC (RFC 1055). */
  | 'bad_escape'
  /** cobs: a code byte that points beyond the end of the frame. */
  | 'bad_encoding'
  /** slip/cobs: the CRC-16 trailer does not match. */
  | 'bad_crc'
  /** slip/cobs: fewer than 4 decoded octets (2-octet packet + CRC). */
  | 'too_short'
  /** slip/cobs: the CRC is right but the packet's own Length field does not describe it. */
  | 'length_mismatch'
  /** raw: octets skipped after a framing error while waiting for the line to go idle. */
  | 'resync'
  /** raw: a partial packet followed by silence (idleMs): stale, never glued to new data. */
  | 'truncated'
  /** raw: 0x00 octets where a Length was expected; padding some peers send, not a fault. */
  | 'padding';

export type PacketFramerEvent =
  /** `packet`: a fresh copy the caller owns, starting with its own Length field. */
  | { kind: 'packet'; packet: Buffer }
  /** `bytes`: line octets thrown away (encoded octets for slip/cobs, delimiters not counted). */
  | { kind: 'discard'; reason: PacketDiscardReason; bytes: number };

export interface PacketFramer {
  /** Feeds one read that arrived at `now` (ms, injected clock); returns packets and discards. */
  push(chunk: Buffer, now: number): PacketFramerEvent[];
  /**
   * The line may have gone quiet: a timer in the I/O layer calls this. raw drops a stale
   * partial packet and leaves its discard state once `now` is idleMs after the last read;
   * slip/cobs resynchronise at every delimiter and return nothing.
   */
  idle(now: number): PacketFramerEvent[];
  /** The port was (re)opened: forget the partial packet and any discard state. */
  reset(): void;
  /** Octets held for the unfinished packet (raw ≤ maxPacket; slip/cobs ≤ maxPacket + 2). */
  pending(): number;
}

export interface PacketFramerOptions {
  /** Largest MQTT-SN packet accepted, Length field included (default 1024, as Paho's). */
  maxPacket?: number;
  /** raw only: silence (ms) that ends a discard state or makes a partial packet stale. */
  idleMs?: number;
}

export const DEFAULT_MAX_PACKET = 1024;
export const DEFAULT_IDLE_MS = 100;

export function resolveMaxPacket(options: PacketFramerOptions): number {
  const maxPacket = options.maxPacket ?? DEFAULT_MAX_PACKET;
  // 4 fits the 3-octet Length form's smallest packet; 65535 is the largest it can declare.
  if (!Number.isInteger(maxPacket) || maxPacket < 4 || maxPacket > 0xffff)
    throw new RangeError('maxPacket must be an integer in 4..65535');
  return maxPacket;
}

export function discard(reason: PacketDiscardReason, bytes: number): PacketFramerEvent {
  return { kind: 'discard', reason, bytes };
}

/**
 * The total length `packet` declares (MQTT-SN 1.2 §5.2.1): 1 octet, or 0x01 and 2 octets
 * big-endian (a total of at least 4). -1 when the field is missing or illegal.
 */
export function declaredLength(packet: Uint8Array): number {
  const first = packet[0];
  if (first === undefined || first === 0x00) return -1;
  if (first !== 0x01) return first;
  if (packet.length < 3) return -1;
  const total = (packet[1]! << 8) | packet[2]!;
  return total < 4 ? -1 : total;
}

const ENCAPSULATED = 0xfe;

/** Whether `packet`'s Length field describes exactly `packet`, Forwarder Encapsulation included. */
function lengthMatches(packet: Buffer): boolean {
  const declared = declaredLength(packet);
  if (declared === packet.length) return true;
  // MQTT-SN 1.2 §5.5: an encapsulation's (always 1-octet) Length covers only
  // Length 0xFE Ctrl WirelessNodeId; the complete inner message follows with its own Length.
  if (packet[0] === 0x01 || packet[1] !== ENCAPSULATED) return false;
  if (declared < 3 || declared >= packet.length) return false;
  return declaredLength(packet.subarray(declared)) === packet.length - declared;
}

/**
 * The checks both framed modes make on a decoded frame (packet ‖ CRC-16 big-endian), in
 * order: too_short, bad_crc, length_mismatch. `bytes` is the frame's encoded size.
 */
export function checkFramedPacket(decoded: Buffer, bytes: number): PacketFramerEvent {
  if (decoded.length < 4) return discard('too_short', bytes);
  const end = decoded.length - 2;
  if (crc16(decoded, 0, end) !== decoded.readUInt16BE(end)) return discard('bad_crc', bytes);
  const packet = decoded.subarray(0, end);
  if (!lengthMatches(packet)) return discard('length_mismatch', bytes);
  return { kind: 'packet', packet: Buffer.from(packet) };
}

/** Appends the CRC-16/CCITT-FALSE of `packet`, big-endian. */
export function withCrc(packet: Buffer): Buffer {
  const out = Buffer.allocUnsafe(packet.length + 2);
  packet.copy(out, 0);
  out.writeUInt16BE(crc16(packet), packet.length);
  return out;
}
