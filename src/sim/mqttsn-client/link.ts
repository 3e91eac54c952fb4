// The wire side of the simulated MQTT-SN client: packets ↔ framed octets (raw, SLIP or
// COBS, docs/contract.md §4.2), with Forwarder Encapsulation (MQTT-SN 1.2 §5.5) when the client
// plays a node behind a forwarder. Undecodable input is counted, never thrown.
import { decodePacket } from '../../mqttsn/decode.ts';
import { encodePacket } from '../../mqttsn/encode.ts';
import type { InnerPacket, MqttSnPacket } from '../../mqttsn/packet-types.ts';
import { createPacketFramer, encodeFrame, type PacketFraming } from '../../framing/packet-framers.ts';
import type { PacketFramer } from '../../framing/packet-framer.ts';

export interface MqttSnClientStats {
  /** Packets received, by MsgType name (the encapsulated message's type, not ENCAPSULATED). */
  in: Record<string, number>;
  /** Packets sent, by MsgType name. */
  out: Record<string, number>;
  /** Retransmissions: T_retry resends and PUBLISHes sent again after a reconnect or congestion. */
  resends: number;
  /** Sessions re-established by the client itself (not by connect()). */
  reconnects: number;
  /** Input thrown away: framing errors, undecodable packets, wrong or missing encapsulation. */
  discards: number;
  /** PUBACKs with a non-zero return code that answered no outstanding request (QoS 0 publishes). */
  errorAcks: number;
}

export interface LinkOptions {
  framing: PacketFraming;
  write: (bytes: Buffer) => void;
  now: () => number;
  stats: MqttSnClientStats;
  nodeId?: Buffer | undefined;
  onPacket?: ((dir: 'in' | 'out', p: MqttSnPacket) => void) | undefined;
}

export class MqttSnLink {
  readonly #options: LinkOptions;
  readonly #framer: PacketFramer;

  constructor(options: LinkOptions) {
    // MQTT-SN serial notes §2.4: an encapsulation's Length covers only its header, so the
    // raw framing (which cuts packets by Length) cannot carry it.
    if (options.nodeId !== undefined && options.framing === 'raw')
      throw new RangeError('Forwarder Encapsulation (nodeId) needs the slip or cobs framing, not raw');
    this.#options = options;
    this.#framer = createPacketFramer(options.framing);
  }

  send(p: InnerPacket): void {
    const { nodeId, framing, stats, onPacket, write } = this.#options;
    const wire: MqttSnPacket =
      nodeId === undefined ? p : { type: 'ENCAPSULATED', radius: 0, wirelessNodeId: nodeId, packet: p };
    const bytes = encodeFrame(framing, encodePacket(wire));
    stats.out[p.type] = (stats.out[p.type] ?? 0) + 1;
    onPacket?.('out', wire);
    write(bytes);
  }

  /** The packets in `chunk` (and earlier partial input), unwrapped. */
  receive(chunk: Buffer): InnerPacket[] {
    const { nodeId, stats, onPacket, now } = this.#options;
    const packets: InnerPacket[] = [];
    for (const event of this.#framer.push(chunk, now())) {
      if (event.kind === 'discard') {
        if (event.reason !== 'padding') stats.discards++;
        continue;
      }
      const decoded = decodePacket(event.packet);
      if (!decoded.ok) {
        stats.discards++;
        continue;
      }
      const wire = decoded.packet;
      onPacket?.('in', wire);
      const inner = this.#unwrap(wire, nodeId);
      if (inner === undefined) {
        stats.discards++;
        continue;
      }
      stats.in[inner.type] = (stats.in[inner.type] ?? 0) + 1;
      packets.push(inner);
    }
    return packets;
  }

  reset(): void {
    this.#framer.reset();
  }

  /** §5.5: "the GW must send replies back encapsulated with the same Wireless Node Id". */
  #unwrap(p: MqttSnPacket, nodeId: Buffer | undefined): InnerPacket | undefined {
    if (nodeId === undefined) return p.type === 'ENCAPSULATED' ? undefined : p;
    if (p.type !== 'ENCAPSULATED' || !p.wirelessNodeId.equals(nodeId)) return undefined;
    return p.packet;
  }
}
