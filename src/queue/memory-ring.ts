// The QoS 0 ring (docs/contract.md §6: "QoS 0 readings: a bounded memory ring, oldest dropped
// first, never blocks a serial port"). Holds the unleased QoS 0 messages in id order; a
// leased one leaves the ring and comes back on release. Never touches storage.
//
// Every operation on the hot path is O(1) amortised (a sorted array spliced at
// both ends, and then a Map used as a FIFO — whose iterator walks every deleted slot from
// the front — each cost most of the CPU at saturation). Messages arriving in id order go
// to an array deque; removal marks them dead (`live` no longer maps their id to them) and
// the head skips the dead. The rare message that arrives out of order — a released one, or
// a line committed after a later one — goes to a small sorted side list; readers merge.
import { Fifo } from './fifo.ts';
import { MESSAGE_OVERHEAD_BYTES } from './limits.ts';
import type { QueuedMessage } from './outbox.ts';
import { IdMap } from '../id-map.ts';

export interface RingEntry {
  message: QueuedMessage;
  size: number;
}

/** What push() had to drop, oldest first, to stay within the count and byte bounds. */
export interface RingOverflow {
  /** Over maxMessages. */
  count: number;
  /** Over maxBytes (counted here only when the count alone would have fit). */
  bytes: number;
}

export class MemoryRing {
  private readonly queue = new Fifo<RingEntry>();
  /** The live entries of `queue` by id (an entry no longer here is dead). */
  private readonly live = new IdMap<RingEntry>();
  /** Entries older than the newest in `queue` when they came: sorted by id, few. */
  private late: RingEntry[] = [];
  private lastId = -Infinity;
  private bytesHeld = 0;

  /**
   * `maxBytes` bounds what the ring holds in memory: each entry's size (payload + topic)
   * plus MESSAGE_OVERHEAD_BYTES, so a 64 KiB reading counts as what it is, not as one.
   */
  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number = Number.POSITIVE_INFINITY,
  ) {}

  get length(): number {
    return this.live.size + this.late.length;
  }

  get bytes(): number {
    return this.bytesHeld;
  }

  /** The bytes the ring holds against maxBytes (sizes plus per-entry overhead). */
  get memoryBytes(): number {
    return this.bytesHeld + this.length * MESSAGE_OVERHEAD_BYTES;
  }

  /** Adds in id order; returns how many of the oldest had to go to stay within the bounds. */
  push(entry: RingEntry): RingOverflow {
    const id = entry.message.id;
    if (id > this.lastId) {
      this.queue.push(entry);
      this.live.set(id, entry);
      this.lastId = id;
    } else {
      let i = this.late.length;
      while (i > 0 && (this.late[i - 1] as RingEntry).message.id > id) i -= 1;
      this.late.splice(i, 0, entry);
    }
    this.bytesHeld += entry.size;
    const over: RingOverflow = { count: 0, bytes: 0 };
    for (;;) {
      const byCount = this.length > this.maxMessages;
      if (!byCount && this.memoryBytes <= this.maxBytes) break;
      const oldest = this.first();
      if (oldest === undefined) break;
      this.remove(oldest.message.id);
      if (byCount) over.count += 1;
      else over.bytes += 1;
    }
    return over;
  }

  /** The first `max` entries that `eligible` accepts, oldest first, left in place. */
  candidates(max: number, eligible: (m: QueuedMessage) => boolean): RingEntry[] {
    const out: RingEntry[] = [];
    if (max <= 0) return out;
    for (const entry of this.ordered()) {
      if (eligible(entry.message)) out.push(entry);
      if (out.length >= max) break;
    }
    return out;
  }

  remove(id: number): RingEntry | undefined {
    let entry = this.live.get(id);
    if (entry !== undefined) {
      this.live.delete(id);
      this.dropDeadHead();
    } else {
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
    for (const entry of [this.late[0], this.queue.peek()])
      if (entry !== undefined && (oldest === undefined || entry.message.createdAt < oldest))
        oldest = entry.message.createdAt;
    return oldest;
  }

  clear(): void {
    while (this.queue.shift() !== undefined);
    this.live.clear();
    this.late = [];
    this.bytesHeld = 0;
  }

  private isLive(entry: RingEntry): boolean {
    return this.live.get(entry.message.id) === entry;
  }

  /** Keeps the deque's head live, so peek() is the oldest live entry. */
  private dropDeadHead(): void {
    for (let head = this.queue.peek(); head !== undefined && !this.isLive(head); head = this.queue.peek())
      this.queue.shift();
  }

  private first(): RingEntry | undefined {
    const a = this.late[0];
    const b = this.queue.peek();
    if (a === undefined) return b;
    if (b === undefined) return a;
    return a.message.id < b.message.id ? a : b;
  }

  /** Both lists merged in id order, live entries only. */
  private *ordered(): IterableIterator<RingEntry> {
    let i = 0;
    for (const entry of this.queue) {
      if (!this.isLive(entry)) continue;
      while (i < this.late.length && (this.late[i] as RingEntry).message.id < entry.message.id)
        yield this.late[i++] as RingEntry;
      yield entry;
    }
    while (i < this.late.length) yield this.late[i++] as RingEntry;
  }
}
