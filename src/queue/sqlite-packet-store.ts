// The MQTT session's in-flight packets in the queue database (packet-store.ts).
// Every put/delete is one synchronous commit, done before the publisher writes the packet to
// the socket; an in-memory mirror answers get/all/references without touching the disk.
// `write` is the outbox's transaction runner, which folds its not-yet-deleted acks into the
// same commit (so "PUBREL stored" and "message row gone" become durable together).
import { MemoryPacketStore } from './memory-packet-store.ts';
import type { PacketStore, StoredPacket } from './packet-store.ts';
import type { Db } from './sqlite-schema.ts';

type Write = (work: () => void) => void;

export class SqlitePacketStore implements PacketStore {
  private readonly mirror = new MemoryPacketStore();
  private nextOrder = 1;
  private readonly upsert;
  private readonly remove;
  private readonly removeAll;

  constructor(
    db: Db,
    private readonly write: Write,
  ) {
    this.upsert = db.prepare<[number, number | null, Buffer, number]>(
      `INSERT INTO session_packets (message_id, queue_id, packet, put_order) VALUES (?, ?, ?, ?)
       ON CONFLICT (message_id) DO UPDATE SET queue_id = excluded.queue_id, packet = excluded.packet`,
    );
    this.remove = db.prepare<[number]>('DELETE FROM session_packets WHERE message_id = ?');
    this.removeAll = db.prepare('DELETE FROM session_packets');
    const rows = db
      .prepare<[], { message_id: number; queue_id: number | null; packet: Buffer; put_order: number }>(
        'SELECT message_id, queue_id, packet, put_order FROM session_packets ORDER BY put_order',
      )
      .all();
    for (const row of rows) {
      this.mirror.put({ messageId: row.message_id, queueId: row.queue_id, packet: row.packet });
      this.nextOrder = row.put_order + 1;
    }
  }

  /** Durable when it returns; throws the storage error when it could not be stored. */
  put(entry: StoredPacket): void {
    const order = this.nextOrder;
    this.write(() => this.upsert.run(entry.messageId, entry.queueId, entry.packet, order));
    this.nextOrder += 1;
    this.mirror.put(entry);
  }

  get(messageId: number): StoredPacket | undefined {
    return this.mirror.get(messageId);
  }

  delete(messageId: number): void {
    if (this.mirror.get(messageId) === undefined) return;
    this.write(() => this.remove.run(messageId));
    this.mirror.delete(messageId);
  }

  all(): StoredPacket[] {
    return this.mirror.all();
  }

  clear(): void {
    this.write(() => this.removeAll.run());
    this.mirror.clear();
  }

  references(queueId: number): boolean {
    return this.mirror.references(queueId);
  }

  get referenceCount(): number {
    return this.mirror.referenceCount;
  }
}
