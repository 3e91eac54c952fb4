// Write-behind for the durable outbox (when rows are written: write-behind.ts).
// With `durability: normal` and the broker connected, the QoS 1 messages of a line without
// a `#seq` mark are leasable at once and written to the database only if the broker has
// not acknowledged them within the write delay (or when too many wait). A healthy broker
// answers within a few milliseconds, so almost every message is published and forgotten
// without touching the disk: no SQLite commit per line, no 4 KiB WAL page per message on
// the SD card.
//
// What this trades (README "Delivery guarantees"): a kill -9 or power cut can lose the
// readings of devices without `#seq` that were received in the last write delay and not
// yet acknowledged by the broker. Lines with `#seq` (the device waits for ACK), QoS 2,
// `durability: full`, and every message while the broker is away are written before
// anything else happens, as before.
import { MESSAGE_OVERHEAD_BYTES } from './limits.ts';
import type { SubmitResult } from './outbox.ts';
import type { Held } from './sqlite-rows.ts';
import { IdMap } from '../id-map.ts';

/** A submitted line whose rows are staged: it resolves once each is written or finished. */
export interface StagedLine {
  open: number;
  resolve: (result: SubmitResult) => void;
  reject: (error: Error) => void;
}

interface Entry {
  held: Held;
  line: StagedLine;
  stagedAt: number;
}

export class StagedRows {
  /** In id order (IdMap keeps insertion order; ids increase). */
  private readonly entries = new IdMap<Entry>();
  private totalBytes = 0;

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** What the staged rows cost in memory: sizes plus per-message overhead (limits.ts). */
  get memoryBytes(): number {
    return this.totalBytes + this.entries.size * MESSAGE_OVERHEAD_BYTES;
  }

  has(id: number): boolean {
    return this.entries.has(id);
  }

  add(held: Held, line: StagedLine, now: number): void {
    this.entries.set(held.message.id, { held, line, stagedAt: now });
    this.totalBytes += held.size;
  }

  /** When the oldest entry is due for writing, or undefined when nothing is staged. */
  oldestStagedAt(): number | undefined {
    for (const entry of this.entries.values()) return entry.stagedAt;
    return undefined;
  }

  oldestCreatedAt(): number | undefined {
    let oldest: number | undefined;
    for (const { held } of this.entries.values())
      if (oldest === undefined || held.message.createdAt < oldest) oldest = held.message.createdAt;
    return oldest;
  }

  /** Up to `max` entries lease() may hand out, oldest first. */
  candidates(max: number, leasable: (id: number) => boolean): Held[] {
    const out: Held[] = [];
    for (const [id, entry] of this.entries) {
      if (out.length >= max) break;
      if (leasable(id)) out.push(entry.held);
    }
    return out;
  }

  /** The entries staged at or before `dueBefore`, oldest first: the ones to write now. */
  due(dueBefore: number): Held[] {
    const out: Held[] = [];
    for (const entry of this.entries.values()) {
      if (entry.stagedAt > dueBefore) break;
      out.push(entry.held);
    }
    return out;
  }

  /** The oldest entries whose memory cost adds up to at least `bytes`. */
  oldestFreeing(bytes: number): Held[] {
    const out: Held[] = [];
    let freed = 0;
    for (const { held } of this.entries.values()) {
      if (freed >= bytes) break;
      out.push(held);
      freed += held.size + MESSAGE_OVERHEAD_BYTES;
    }
    return out;
  }

  /** The broker acknowledged it, or it was dead-lettered: forget it without writing. */
  finish(id: number): void {
    this.settle(id);
  }

  /** These rows are now in the database. */
  written(rows: readonly Held[]): void {
    for (const held of rows) this.settle(held.message.id);
  }

  /** A crash (simulated): nothing staged settles. */
  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }

  private settle(id: number): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    this.totalBytes -= entry.held.size;
    entry.line.open -= 1;
    if (entry.line.open === 0) entry.line.resolve({ status: 'queued' });
  }
}
