// The `raw` MQTT-SN serial framing (docs/contract.md §4.2): the bare packet, no delimiter, no
// CRC — what mqtt-sn-serial-bridge and the Arduino MQTT-SN libraries send. The only framing
// is the packet's own Length field, MQTT-SN 1.2 §5.2.1: one octet (2..255), or 0x01 and two
// octets big-endian holding the total (at least 4 — Length plus MsgType).
//
// Reads arrive in arbitrary chunks (node-serialport opens ports raw with VMIN=1), so octets
// accumulate across pushes into a buffer allocated once at maxPacket. The rules, from the
// serial framing notes (mqtt-sn-1.2.md §2.4):
// - 0x00 where a Length is expected is skipped: some peers pad or send it as a keep-alive
//   (mqtt-sn-serial-bridge drops it too). It is reported as a 'padding' discard — consecutive
//   octets in one read coalesced — so it can be counted; callers should not log it as a fault.
// - An illegal Length (0x01 form below 4) or one above maxPacket is a framing error: the
//   Length octets are reported, then everything is discarded ('resync') until the line has
//   been idle for idleMs. Never slide one octet at a time looking for a plausible Length:
//   that turns payload into invented packets (observed with mqtt-sn-serial-bridge, §2.1).
//   Lost packets are recovered by the client's T_retry/N_retry (MQTT-SN 1.2 §6.13).
// - A partial packet followed by idleMs of silence is stale ('truncated'): it is dropped
//   when the next read arrives or when idle() is called, never glued to new data.
// Idleness is judged only from the injected `now` of each push/idle call; no timers here.
// Raw mode cannot carry Forwarder Encapsulation (§5.5): its Length covers only its header.
import { DEFAULT_IDLE_MS, discard, resolveMaxPacket } from './packet-framer.ts';
import type {
  PacketDiscardReason,
  PacketFramer,
  PacketFramerEvent,
  PacketFramerOptions,
} from './packet-framer.ts';

const PADDING = 0x00;
const LONG_FORM = 0x01;

export function createRawFramer(options: PacketFramerOptions = {}): PacketFramer {
  const maxPacket = resolveMaxPacket(options);
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  if (!Number.isFinite(idleMs) || idleMs <= 0) throw new RangeError('idleMs must be a positive number');

  const buffer = Buffer.allocUnsafe(maxPacket);
  let have = 0; // octets of the current packet held in `buffer`, Length field included
  let need = 0; // its total once the Length field is complete; 0 while still reading it
  let discarding = false; // after a framing error: drop everything until the line is idle
  let last: number | undefined; // arrival time of the previous read

  function clearPacket(): void {
    have = 0;
    need = 0;
  }

  /** A silence of idleMs since the last read ends a discard and makes a partial packet stale. */
  function afterSilence(now: number, events: PacketFramerEvent[]): void {
    if (last === undefined || now - last < idleMs) return;
    discarding = false;
    if (have > 0) events.push(discard('truncated', have));
    clearPacket();
  }

  /** Called with each Length octet taken; sets `need` once the field is complete. */
  function readLength(): PacketDiscardReason | undefined {
    let total = buffer[0]!;
    if (total === LONG_FORM) {
      if (have < 3) return undefined;
      total = buffer.readUInt16BE(1);
      if (total < 4) return 'bad_length';
    }
    if (total > maxPacket) return 'oversize';
    need = total;
    return undefined;
  }

  return {
    push(chunk, now) {
      const events: PacketFramerEvent[] = [];
      afterSilence(now, events);
      last = now;
      let pos = 0;
      while (pos < chunk.length) {
        if (discarding) {
          events.push(discard('resync', chunk.length - pos));
          break;
        }
        if (have === 0 && chunk[pos] === PADDING) {
          const start = pos;
          while (pos < chunk.length && chunk[pos] === PADDING) pos++;
          events.push(discard('padding', pos - start));
          continue;
        }
        if (need === 0) {
          buffer[have++] = chunk[pos++]!;
          const error = readLength();
          if (error !== undefined) {
            events.push(discard(error, have));
            clearPacket();
            discarding = true;
          }
          continue;
        }
        const take = Math.min(need - have, chunk.length - pos);
        chunk.copy(buffer, have, pos, pos + take);
        have += take;
        pos += take;
        if (have === need) {
          events.push({ kind: 'packet', packet: Buffer.from(buffer.subarray(0, need)) });
          clearPacket();
        }
      }
      return events;
    },
    idle(now) {
      const events: PacketFramerEvent[] = [];
      afterSilence(now, events);
      return events;
    },
    reset() {
      clearPacket();
      discarding = false;
      last = undefined;
    },
    pending() {
      return have;
    },
  };
}
