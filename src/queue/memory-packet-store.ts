// The in-memory PacketStore: the reference for the contract of packet-store.ts and the
// store of the MemoryOutbox. An IdMap (a Map's order without a Map's garbage, id-map.ts)
// keeps first-put order even when an entry is replaced (PUBLISH → PUBREL keeps its place),
// which is the replay order the contract asks for.
import { IdMap } from '../id-map.ts';
import type { PacketStore, StoredPacket } from './packet-store.ts';

export class MemoryPacketStore implements PacketStore {
  private readonly entries = new IdMap<StoredPacket>();
  /** How many stored packets reference each queue id (lease() must skip those). */
  private readonly refs = new IdMap<number>();

  put(entry: StoredPacket): void {
    this.unref(this.entries.get(entry.messageId));
    this.entries.set(entry.messageId, { ...entry });
    if (entry.queueId !== null) this.refs.set(entry.queueId, (this.refs.get(entry.queueId) ?? 0) + 1);
  }

  get(messageId: number): StoredPacket | undefined {
    return this.entries.get(messageId);
  }

  delete(messageId: number): void {
    this.unref(this.entries.get(messageId));
    this.entries.delete(messageId);
  }

  all(): StoredPacket[] {
    return [...this.entries.values()];
  }

  clear(): void {
    this.entries.clear();
    this.refs.clear();
  }

  /** Whether a stored packet carries this queue message. */
  references(queueId: number): boolean {
    return this.refs.has(queueId);
  }

  get referenceCount(): number {
    return this.refs.size;
  }

  private unref(old: StoredPacket | undefined): void {
    if (old === undefined || old.queueId === null) return;
    const n = (this.refs.get(old.queueId) ?? 0) - 1;
    if (n <= 0) this.refs.delete(old.queueId);
    else this.refs.set(old.queueId, n);
  }
}
