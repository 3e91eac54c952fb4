// The in-memory Outbox: the contract in outbox.ts without durability, for tests and benches
// (the durable store is checked against test/helpers/queue-model.ts, which adds what a crash
// keeps). Bounded by count, bytes and age with the `when_full` policy of docs/contract.md
// §2/§6 (limits.ts roomFor, the rule the SQLite outbox applies too); every drop is counted by
// reason. Nothing here survives a restart — which is why sqlite-outbox.ts exists.
import { IdMap } from '../id-map.ts';
import { DueTimer } from './due-timer.ts';
import { QueueBooks, roomFor, sizeOf } from './limits.ts';
import type { Droppable, QueueLimits } from './limits.ts';
import { MemoryPacketStore } from './memory-packet-store.ts';
import type {
  OutMessage,
  QueuedMessage,
  QueueStats,
  SeqMark,
  SessionOutbox,
  SubmitOptions,
  SubmitResult,
} from './outbox.ts';
import { SeqMarks } from './seq-marks.ts';

export interface MemoryOutboxOptions extends QueueLimits {
  now?: () => number;
}

interface Entry {
  message: QueuedMessage;
  size: number;
  leased: boolean;
  /** Not leasable before this time (a release with a retry delay). */
  notBefore: number;
}

export class MemoryOutbox implements SessionOutbox {
  readonly packets = new MemoryPacketStore();
  /** Every queued message by id; a Map iterates in insertion order, which is id order. */
  private readonly entries = new IdMap<Entry>();
  private readonly listeners = new Set<() => void>();
  private readonly books = new QueueBooks();
  private readonly marks = new SeqMarks();
  private readonly portSeqs = new Map<string, number>();
  private readonly now: () => number;
  private readonly due: DueTimer;
  private nextId = 1;
  private bytes = 0;
  private inflight = 0;
  private deadLetterCount = 0;
  /** No unleased message can be expired before this time: lease() skips the scan until then. */
  private expireCheckAt = Infinity;
  private closed = false;

  constructor(private readonly options: MemoryOutboxOptions) {
    this.now = options.now ?? Date.now;
    this.due = new DueTimer(this.now, () => this.notify());
  }

  submit(messages: readonly OutMessage[], options: SubmitOptions = {}): Promise<SubmitResult> {
    if (this.closed) return Promise.reject(new Error('outbox is closed'));
    const incomingBytes = messages.reduce((n, m) => n + sizeOf(m), 0);
    if (!this.makeRoom(messages.length, incomingBytes)) {
      this.books.received += messages.length;
      this.books.rejected += messages.length;
      return Promise.resolve({ status: 'full' });
    }
    for (const m of messages) {
      const portSeq = (this.portSeqs.get(m.port) ?? 0) + 1;
      this.portSeqs.set(m.port, portSeq);
      const message: QueuedMessage = { ...m, id: this.nextId++, portSeq, attempts: 0 };
      this.entries.set(message.id, { message, size: sizeOf(m), leased: false, notBefore: 0 });
      this.bytes += sizeOf(m);
      this.expireCheckAt = Math.min(this.expireCheckAt, m.createdAt + this.options.maxAgeMs);
    }
    this.books.received += messages.length;
    if (options.seq !== undefined) this.marks.add(options.seq);
    if (messages.length > 0) this.notify();
    return Promise.resolve({ status: 'queued' });
  }

  seqMarks(port: string): readonly SeqMark[] {
    return this.marks.of(port);
  }

  forgetSeqMarks(key: string): void {
    this.marks.forget(key);
  }

  lease(max: number): QueuedMessage[] {
    this.expire();
    const out: QueuedMessage[] = [];
    const now = this.now();
    for (const entry of this.entries.values()) {
      if (out.length >= max) break;
      if (!this.leasable(entry, now)) continue;
      entry.leased = true;
      this.inflight += 1;
      out.push(entry.message);
    }
    return out;
  }

  ack(id: number): void {
    const entry = this.take(id);
    if (entry !== undefined) this.books.published += 1;
  }

  release(id: number, options: { delayMs?: number; attempted?: boolean } = {}): void {
    const entry = this.entries.get(id);
    if (entry === undefined || !entry.leased) return;
    entry.leased = false;
    this.inflight -= 1;
    if (options.attempted === true)
      entry.message = { ...entry.message, attempts: entry.message.attempts + 1 };
    const delayMs = options.delayMs ?? 0;
    entry.notBefore = delayMs > 0 ? this.now() + delayMs : 0;
    this.expireCheckAt = Math.min(this.expireCheckAt, entry.message.createdAt + this.options.maxAgeMs);
    if (delayMs > 0) this.due.schedule(entry.notBefore);
    else this.notify();
  }

  deadLetter(id: number, _reason: string): void {
    const entry = this.take(id);
    if (entry === undefined) return;
    this.books.deadLettered += 1;
    this.deadLetterCount += 1;
  }

  onAvailable(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): QueueStats {
    const oldest = this.oldestCreatedAt();
    return {
      depth: this.entries.size,
      bytes: this.bytes,
      inflight: this.inflight,
      oldestAgeMs: oldest === undefined ? null : Math.max(0, this.now() - oldest),
      ...this.books.snapshot(),
      deadLetters: this.deadLetterCount,
      storageError: null,
    };
  }

  close(): Promise<void> {
    this.closed = true;
    this.due.cancel();
    this.listeners.clear();
    return Promise.resolve();
  }

  /** A message may be leased: not leased, not waiting for a retry, not in a stored packet. */
  private leasable(entry: Entry, now: number): boolean {
    return !entry.leased && entry.notBefore <= now && !this.packets.references(entry.message.id);
  }

  /**
   * Removes a message: normally a leased one, but any queued one is accepted — after a
   * restart the publisher acks the messages it resumed from stored packets without leasing.
   */
  private take(id: number): Entry | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    this.entries.delete(id);
    if (entry.leased) this.inflight -= 1;
    this.bytes -= entry.size;
    return entry;
  }

  /** Frees space for `count` messages of `bytes` under the when_full policy; false if it may not. */
  private makeRoom(count: number, bytes: number): boolean {
    const victims = roomFor(
      this.options,
      { count: this.entries.size, bytes: this.bytes },
      { count, bytes },
      this.droppable(),
    );
    if (victims === undefined) return false;
    for (const victim of victims) {
      this.entries.delete(victim.key);
      this.bytes -= victim.size;
    }
    this.books.drop('dropped_oldest', victims.length);
    return true;
  }

  /** Queued messages oldest first, but not those in flight: never dropped. */
  private *droppable(): Generator<Droppable<number>> {
    for (const entry of this.entries.values())
      if (!entry.leased && !this.packets.references(entry.message.id))
        yield { key: entry.message.id, size: entry.size };
  }

  /** max_age: messages that are not in flight and older than the limit are dropped, counted. */
  private expire(): void {
    if (this.now() <= this.expireCheckAt) return;
    const limit = this.now() - this.options.maxAgeMs;
    this.expireCheckAt = Infinity;
    for (const entry of this.entries.values()) {
      if (entry.leased) continue;
      if (entry.message.createdAt >= limit || this.packets.references(entry.message.id)) {
        this.expireCheckAt = Math.min(this.expireCheckAt, entry.message.createdAt + this.options.maxAgeMs);
        continue;
      }
      this.entries.delete(entry.message.id);
      this.bytes -= entry.size;
      this.books.drop('expired', 1);
    }
  }

  /** The oldest of the leased messages and the first unleased one (readings arrive in order). */
  private oldestCreatedAt(): number | undefined {
    let oldest: number | undefined;
    for (const { message, leased } of this.entries.values()) {
      if (oldest === undefined || message.createdAt < oldest) oldest = message.createdAt;
      if (!leased) break;
    }
    return oldest;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
