// The dead-letter table's bounds: count, bytes and age (`queue.dead_letter`). Dead letters
// are kept for `tty2mqtt queue` to inspect, requeue or purge; without bounds a broker that
// refuses everything (an ACL change, a topic it no longer allows) fills the disk with them.
// The oldest (by failure time) go first.
//
// Eviction is not a drop in the queue's books (limits.ts): a message leaves the books when
// it is dead-lettered (QueueStats.deadLettered), so removing it from the table later changes
// none of received/published/deadLettered/rejected/dropped/depth; it is counted apart, by
// bound, in QueueStats.deadLetterEvictions.
import type { Statement } from 'better-sqlite3';
import type { Db } from './sqlite-schema.ts';

export interface DeadLetterLimits {
  maxMessages: number;
  /** Payload + topic bytes of all dead letters (the measure of queue.max_bytes). */
  maxBytes: number;
  /** Since the message failed for good (failed_at). */
  maxAgeMs: number;
}

export type EvictionReason = 'max_messages' | 'max_bytes' | 'max_age';

/** What trim() deleted inside a transaction; apply() it once that transaction committed. */
export interface Trim {
  ids: number[];
  bytes: number;
  byReason: Partial<Record<EvictionReason, number>>;
}

/** A dead letter's bytes, as sizeOf() counts a message: payload plus the topic's UTF-8. */
const SIZE_SQL = 'length(payload) + length(CAST(topic AS BLOB))';

export class DeadLetterBounds {
  count = 0;
  bytes = 0;
  private oldestFailedAt: number | undefined;
  private readonly evicted: Partial<Record<EvictionReason, number>> = {};
  private readonly totals: Statement<[], { n: number; bytes: number; oldest: number | null }>;
  private readonly oldest: Statement<[], { id: number; failed_at: number; size: number }>;
  private readonly remove: Statement<[number]>;

  constructor(
    db: Db,
    readonly limits: DeadLetterLimits,
  ) {
    this.totals = db.prepare(
      `SELECT count(*) AS n, coalesce(sum(${SIZE_SQL}), 0) AS bytes, min(failed_at) AS oldest FROM dead_letters`,
    );
    this.oldest = db.prepare(
      `SELECT id, failed_at, ${SIZE_SQL} AS size FROM dead_letters ORDER BY failed_at, id`,
    );
    this.remove = db.prepare('DELETE FROM dead_letters WHERE id = ?');
  }

  /** Evictions by bound since the queue was opened. */
  get evictions(): Readonly<Partial<Record<EvictionReason, number>>> {
    return { ...this.evicted };
  }

  /** Re-reads the totals from the file (at open; another process may requeue or purge). */
  load(): void {
    const t = this.totals.get() ?? { n: 0, bytes: 0, oldest: null };
    this.count = t.n;
    this.bytes = t.bytes;
    this.oldestFailedAt = t.oldest ?? undefined;
  }

  /** A dead letter of `bytes` failed at `failedAt` was committed. */
  added(bytes: number, failedAt: number): void {
    this.count += 1;
    this.bytes += bytes;
    if (this.oldestFailedAt === undefined || failedAt < this.oldestFailedAt) this.oldestFailedAt = failedAt;
  }

  /** Whether trim() would delete anything: cheap, from the totals kept in memory. */
  over(now: number): boolean {
    const { maxMessages, maxBytes, maxAgeMs } = this.limits;
    const aged = this.oldestFailedAt !== undefined && this.oldestFailedAt < now - maxAgeMs;
    return this.count > maxMessages || this.bytes > maxBytes || aged;
  }

  /**
   * Inside a transaction: deletes the oldest dead letters until the table is within its
   * bounds; the aged ones first, then as many as count and bytes require.
   */
  trim(now: number): Trim {
    const trim: Trim = { ids: [], bytes: 0, byReason: {} };
    if (!this.over(now)) return trim;
    const { maxMessages, maxBytes, maxAgeMs } = this.limits;
    const limit = now - maxAgeMs;
    let count = this.count;
    let bytes = this.bytes;
    // Chosen while reading, deleted after: better-sqlite3 allows no write during an iteration.
    for (const row of this.oldest.iterate()) {
      let reason: EvictionReason;
      if (row.failed_at < limit) reason = 'max_age';
      else if (count > maxMessages) reason = 'max_messages';
      else if (bytes > maxBytes) reason = 'max_bytes';
      else break;
      trim.ids.push(row.id);
      trim.bytes += row.size;
      trim.byReason[reason] = (trim.byReason[reason] ?? 0) + 1;
      count -= 1;
      bytes -= row.size;
    }
    for (const id of trim.ids) this.remove.run(id);
    return trim;
  }

  /** The transaction of trim() committed. */
  apply(trim: Trim): void {
    if (trim.ids.length === 0) return;
    this.count -= trim.ids.length;
    this.bytes -= trim.bytes;
    for (const [reason, n] of Object.entries(trim.byReason) as [EvictionReason, number][])
      this.evicted[reason] = (this.evicted[reason] ?? 0) + n;
    this.oldestFailedAt = this.totals.get()?.oldest ?? undefined;
  }
}
