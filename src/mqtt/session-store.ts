// MQTT.js's outgoing Store on top of the queue's PacketStore, so the MQTT session's
// in-flight packets survive a crash (issue 3 §5). MQTT.js puts every QoS 1/2 PUBLISH here
// before writing it to the socket, replaces it with the PUBREL when PUBREC arrives, deletes
// it when PUBACK/PUBCOMP arrives, and on every connect replays what is left — PUBLISH (we
// set DUP, MQTT 5 §3.3.1.1) or PUBREL — so a QoS 2 message is never released twice.
import { Readable } from 'node:stream';
import type { IStore, Packet } from 'mqtt';
import type { PacketStore } from '../queue/packet-store.ts';

type DoneCallback = (error?: Error) => void;
type PacketCallback = (error?: Error, packet?: Packet) => void;

/** Buffers survive JSON as base64; everything else in a packet is plain data. */
export function encodePacket(packet: Packet): Buffer {
  return Buffer.from(
    JSON.stringify(packet, (_key, value: unknown) => {
      const v = value as { type?: unknown; data?: unknown } | null;
      if (v !== null && typeof v === 'object' && v.type === 'Buffer' && Array.isArray(v.data))
        return { $b64: Buffer.from(v.data as number[]).toString('base64') };
      return value;
    }),
  );
}

export function decodePacket(bytes: Buffer): Packet {
  return JSON.parse(bytes.toString('utf8'), (_key, value: unknown) => {
    const v = value as { $b64?: unknown } | null;
    if (v !== null && typeof v === 'object' && typeof v.$b64 === 'string')
      return Buffer.from(v.$b64, 'base64');
    return value;
  }) as Packet;
}

export class SessionStore implements IStore {
  /**
   * @param queueIdOf maps a PUBLISH (by its payload Buffer, which MQTT.js does not copy)
   *   to the queue message it carries; status messages map to null.
   */
  constructor(
    private readonly packets: PacketStore,
    private readonly queueIdOf: (packet: Packet) => number | null,
  ) {}

  put(packet: Packet, cb: DoneCallback): this {
    const messageId = (packet as { messageId?: number }).messageId;
    if (messageId === undefined) {
      cb();
      return this;
    }
    try {
      // A PUBREL replaces its PUBLISH: it keeps the queue id of what it completes.
      const queueId =
        packet.cmd === 'publish' ? this.queueIdOf(packet) : (this.packets.get(messageId)?.queueId ?? null);
      this.packets.put({ messageId, queueId, packet: encodePacket(packet) });
      cb();
    } catch (error) {
      cb(error as Error);
    }
    return this;
  }

  get(packet: Pick<Packet, 'messageId'>, cb: PacketCallback): this {
    const stored = packet.messageId === undefined ? undefined : this.packets.get(packet.messageId);
    if (stored === undefined) cb(new Error('missing packet'));
    else cb(undefined, decodePacket(stored.packet));
    return this;
  }

  del(packet: Pick<Packet, 'messageId'>, cb: PacketCallback): this {
    const stored = packet.messageId === undefined ? undefined : this.packets.get(packet.messageId);
    if (stored === undefined) {
      cb(new Error('missing packet'));
      return this;
    }
    this.packets.delete(stored.messageId);
    cb(undefined, decodePacket(stored.packet));
    return this;
  }

  createStream(): ReturnType<IStore['createStream']> {
    const replay = this.packets.all().map(({ packet }) => {
      const p = decodePacket(packet);
      // A PUBLISH sent again is marked as a duplicate (MQTT 5 §3.3.1.1, 3.1.1 §3.3.1.1).
      if (p.cmd === 'publish') p.dup = true;
      return p;
    });
    // MQTT.js types its streams as readable-stream's Readable; it only uses read(),
    // 'readable', 'end' and destroy(), which Node's Readable has.
    return Readable.from(replay) as unknown as ReturnType<IStore['createStream']>;
  }

  close(cb: DoneCallback): void {
    // The queue owns the database and closes it after the publisher has stopped.
    cb();
  }
}
