// The QoS 0 ring (PRODUCT.md §6: "QoS 0 readings: a bounded memory ring, oldest dropped
// first, never blocks a serial port"). Holds the unleased QoS 0 messages in id order; a
// leased one leaves the ring and comes back on release. Never touches storage.
import type { QueuedMessage } from './outbox.ts';

export interface RingEntry {
  message: QueuedMessage;
  size: number;
}

export class MemoryRing {
  /** Sorted by id; small (bounded by maxMessages), so splicing is cheap. */
  private items: RingEntry[] = [];
  private bytesHeld = 0;

  constructor(readonly maxMessages: number) {}

  get length(): number {
    return this.items.length;
  }

  get bytes(): number {
    return this.bytesHeld;
  }

  /** Adds in id order; returns how many of the oldest had to go to stay within the bound. */
  push(entry: RingEntry): number {
    const id = entry.message.id;
    let i = this.items.length;
    while (i > 0 && (this.items[i - 1] as RingEntry).message.id > id) i -= 1;
    this.items.splice(i, 0, entry);
    this.bytesHeld += entry.size;
    const over = Math.max(0, this.items.length - this.maxMessages);
    for (const dropped of this.items.splice(0, over)) this.bytesHeld -= dropped.size;
    return over;
  }

  /** The first `max` entries that `eligible` accepts, oldest first, left in place. */
  candidates(max: number, eligible: (m: QueuedMessage) => boolean): RingEntry[] {
    const out: RingEntry[] = [];
    for (const entry of this.items) {
      if (out.length >= max) break;
      if (eligible(entry.message)) out.push(entry);
    }
    return out;
  }

  remove(id: number): RingEntry | undefined {
    const i = this.items.findIndex((e) => e.message.id === id);
    if (i < 0) return undefined;
    const [entry] = this.items.splice(i, 1);
    if (entry !== undefined) this.bytesHeld -= entry.size;
    return entry;
  }

  /** Drops every entry created before `limit`; returns how many. */
  expire(limit: number): number {
    const keep = this.items.filter((e) => e.message.createdAt >= limit);
    const n = this.items.length - keep.length;
    if (n > 0) {
      this.items = keep;
      this.bytesHeld = keep.reduce((sum, e) => sum + e.size, 0);
    }
    return n;
  }

  oldestCreatedAt(): number | undefined {
    return this.items[0]?.message.createdAt;
  }

  clear(): void {
    this.items = [];
    this.bytesHeld = 0;
  }
}
