// The QoS 0 ring (PRODUCT.md §6: "QoS 0 readings: a bounded memory ring, oldest dropped
// first, never blocks a serial port"). Holds the unleased QoS 0 messages in id order; a
// leased one leaves the ring and comes back on release. Never touches storage.
//
// Every operation on the hot path is O(1) (issue 4: a sorted array spliced at both ends
// was 20% of the CPU at saturation): messages arriving in id order are appended to a Map
// (insertion order = id order); the rare one that arrives out of order — a released
// message, or a line committed after a later one — goes to a small sorted side list, and
// readers merge the two.
import type { QueuedMessage } from './outbox.ts';

export interface RingEntry {
  message: QueuedMessage;
  size: number;
}

export class MemoryRing {
  private readonly inOrder = new Map<number, RingEntry>();
  /** Entries older than the newest in `inOrder` when they came: sorted by id, few. */
  private late: RingEntry[] = [];
  private lastId = -Infinity;
  private bytesHeld = 0;

  constructor(readonly maxMessages: number) {}

  get length(): number {
    return this.inOrder.size + this.late.length;
  }

  get bytes(): number {
    return this.bytesHeld;
  }

  /** Adds in id order; returns how many of the oldest had to go to stay within the bound. */
  push(entry: RingEntry): number {
    const id = entry.message.id;
    if (id > this.lastId) {
      this.inOrder.set(id, entry);
      this.lastId = id;
    } else {
      let i = this.late.length;
      while (i > 0 && (this.late[i - 1] as RingEntry).message.id > id) i -= 1;
      this.late.splice(i, 0, entry);
    }
    this.bytesHeld += entry.size;
    let over = 0;
    while (this.length > this.maxMessages) {
      const oldest = this.first();
      if (oldest === undefined) break;
      this.remove(oldest.message.id);
      over += 1;
    }
    return over;
  }

  /** The first `max` entries that `eligible` accepts, oldest first, left in place. */
  candidates(max: number, eligible: (m: QueuedMessage) => boolean): RingEntry[] {
    const out: RingEntry[] = [];
    for (const entry of this.ordered()) {
      if (out.length >= max) break;
      if (eligible(entry.message)) out.push(entry);
    }
    return out;
  }

  remove(id: number): RingEntry | undefined {
    let entry = this.inOrder.get(id);
    if (entry !== undefined) this.inOrder.delete(id);
    else {
      const i = this.late.findIndex((e) => e.message.id === id);
      if (i < 0) return undefined;
      entry = this.late.splice(i, 1)[0];
    }
    if (entry !== undefined) this.bytesHeld -= entry.size;
    return entry;
  }

  /** Drops every entry created before `limit`; returns how many. */
  expire(limit: number): number {
    const victims = [...this.ordered()].filter((e) => e.message.createdAt < limit);
    for (const v of victims) this.remove(v.message.id);
    return victims.length;
  }

  oldestCreatedAt(): number | undefined {
    let oldest: number | undefined;
    for (const entry of [this.late[0], this.inOrder.values().next().value])
      if (entry !== undefined && (oldest === undefined || entry.message.createdAt < oldest))
        oldest = entry.message.createdAt;
    return oldest;
  }

  clear(): void {
    this.inOrder.clear();
    this.late = [];
    this.bytesHeld = 0;
  }

  private first(): RingEntry | undefined {
    const a = this.late[0];
    const b = this.inOrder.values().next().value;
    if (a === undefined) return b;
    if (b === undefined) return a;
    return a.message.id < b.message.id ? a : b;
  }

  /** Both lists merged in id order. */
  private *ordered(): IterableIterator<RingEntry> {
    let i = 0;
    for (const entry of this.inOrder.values()) {
      while (i < this.late.length && (this.late[i] as RingEntry).message.id < entry.message.id)
        yield this.late[i++] as RingEntry;
      yield entry;
    }
    while (i < this.late.length) yield this.late[i++] as RingEntry;
  }
}
