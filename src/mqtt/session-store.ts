// MQTT.js's outgoing Store for the publisher's persistent session. MQTT.js puts every QoS
// 1/2 PUBLISH here before writing it to the socket, replaces it with the PUBREL when PUBREC
// arrives, deletes it when PUBACK/PUBCOMP arrives, and on every connect replays what is
// left — PUBLISH (we set DUP, MQTT 5 §3.3.1.1) or PUBREL — so a QoS 2 message is never
// released twice.
//
// Only QoS 2 state is durable (the queue's PacketStore): exactly-once needs the
// packet id and the PUBREC/PUBREL step to survive a crash [MQTT-4.3.3]. A QoS 1 PUBLISH is
// kept in memory: its queue row stays until PUBACK, so after a crash the row is simply sent
// again under a new packet id — at least once, which is all QoS 1 promises [MQTT-4.3.2] —
// and the hot path pays no synchronous commit per message (two commits per
// message were most of the CPU and ~13 KB of disk writes per message).
import { Readable } from 'node:stream';
import type { IPublishPacket, IStore, Packet } from 'mqtt';
import type { PacketStore } from '../queue/packet-store.ts';
import { IdMap } from '../id-map.ts';

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
  /** QoS 1 PUBLISHes by packet id, in put order: in memory only (see above). */
  private readonly volatile = new IdMap<{ queueId: number | null; packet: Packet }>();

  /**
   * @param durable the queue's packet store (QoS 2 PUBLISH and PUBREL)
   * @param queueIdOf maps a PUBLISH to the queue message it carries; status messages map to null.
   */
  constructor(
    private readonly durable: PacketStore,
    private readonly queueIdOf: (packet: Packet) => number | null,
  ) {}

  /** The queue message a stored packet carries. */
  queueIdFor(messageId: number): number | null {
    return this.volatile.get(messageId)?.queueId ?? this.durable.get(messageId)?.queueId ?? null;
  }

  /** Queue ids of every stored packet (MQTT.js resends these after a reconnect). */
  queueIds(): Set<number> {
    const ids = new Set<number>();
    for (const { queueId } of this.volatile.values()) if (queueId !== null) ids.add(queueId);
    for (const { queueId } of this.durable.all()) if (queueId !== null) ids.add(queueId);
    return ids;
  }

  /**
   * A QoS 1 PUBLISH the publisher writes itself (publish-packet.ts), held as MQTT.js would
   * hold it: MQTT.js removes it on PUBACK and resends it after a reconnect.
   */
  holdPublish(packet: IPublishPacket & { messageId: number }, queueId: number): void {
    this.volatile.set(packet.messageId, { queueId, packet });
  }

  put(packet: Packet, cb: DoneCallback): this {
    const messageId = (packet as { messageId?: number }).messageId;
    if (messageId === undefined) {
      cb();
      return this;
    }
    try {
      if (packet.cmd === 'publish' && packet.qos !== 2) {
        this.volatile.set(messageId, { queueId: this.queueIdOf(packet), packet });
      } else {
        // A PUBREL replaces its PUBLISH: it keeps the queue id of what it completes.
        const queueId =
          packet.cmd === 'publish' ? this.queueIdOf(packet) : (this.durable.get(messageId)?.queueId ?? null);
        this.durable.put({ messageId, queueId, packet: encodePacket(packet) });
      }
      cb();
    } catch (error) {
      cb(error as Error);
    }
    return this;
  }

  get(packet: Pick<Packet, 'messageId'>, cb: PacketCallback): this {
    const id = packet.messageId;
    const held = id === undefined ? undefined : this.volatile.get(id);
    const stored = id === undefined || held !== undefined ? undefined : this.durable.get(id);
    if (held !== undefined) cb(undefined, held.packet);
    else if (stored !== undefined) cb(undefined, decodePacket(stored.packet));
    else cb(new Error('missing packet'));
    return this;
  }

  del(packet: Pick<Packet, 'messageId'>, cb: PacketCallback): this {
    const id = packet.messageId;
    const held = id === undefined ? undefined : this.volatile.get(id);
    if (held !== undefined && id !== undefined) {
      this.volatile.delete(id);
      cb(undefined, held.packet);
      return this;
    }
    const stored = id === undefined ? undefined : this.durable.get(id);
    if (stored === undefined) {
      cb(new Error('missing packet'));
      return this;
    }
    try {
      this.durable.delete(stored.messageId);
    } catch (error) {
      cb(error as Error);
      return this;
    }
    cb(undefined, decodePacket(stored.packet));
    return this;
  }

  createStream(): ReturnType<IStore['createStream']> {
    const replay = [
      ...this.durable.all().map(({ packet }) => decodePacket(packet)),
      ...[...this.volatile.values()].map(({ packet }) => ({ ...packet })),
    ];
    // A PUBLISH sent again is marked as a duplicate (MQTT 5 §3.3.1.1, 3.1.1 §3.3.1.1).
    for (const p of replay) if (p.cmd === 'publish') p.dup = true;
    // MQTT.js types its streams as readable-stream's Readable; it only uses read(),
    // 'readable', 'end' and destroy(), which Node's Readable has.
    return Readable.from(replay) as unknown as ReturnType<IStore['createStream']>;
  }

  close(cb: DoneCallback): void {
    // The queue owns the database and closes it after the publisher has stopped.
    cb();
  }
}
