// One entry point for the MQTT-SN serial framings of docs/contract.md §4.2, chosen per profile:
// `raw` (the bare packet, the default for existing clients), `slip` and `cobs` (both with
// CRC-16/CCITT-FALSE, the robust modes). Decoding and encoding live with each framing.
import { encodeCobs, createCobsFramer } from './cobs.ts';
import { createRawFramer } from './mqttsn-raw.ts';
import { createSlipFramer, encodeSlip } from './slip.ts';
import type { PacketFramer, PacketFramerOptions } from './packet-framer.ts';

export type PacketFraming = 'raw' | 'slip' | 'cobs';

export function createPacketFramer(kind: PacketFraming, options: PacketFramerOptions = {}): PacketFramer {
  switch (kind) {
    case 'raw':
      return createRawFramer(options);
    case 'slip':
      return createSlipFramer(options);
    case 'cobs':
      return createCobsFramer(options);
  }
}

/** The octets to write for one MQTT-SN packet (its own Length field first). */
export function encodeFrame(kind: PacketFraming, packet: Buffer): Buffer {
  switch (kind) {
    case 'raw':
      return packet;
    case 'slip':
      return encodeSlip(packet);
    case 'cobs':
      return encodeCobs(packet);
  }
}
