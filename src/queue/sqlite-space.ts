// The durable rows' books: depth and bytes kept in memory (initialised at open, re-read from
// the file every few seconds), the acked rows not yet deleted, the drop_oldest victims of the
// pending batch, and which rows lease() may hand out. The limits of docs/contract.md §2 apply here:
// max_messages and max_bytes with when_full, max_age through expiredRows().
import { IdMap } from '../id-map.ts';
import { roomFor } from './limits.ts';
import type { Droppable, QueueLimits } from './limits.ts';
import type { SqlitePacketStore } from './sqlite-packet-store.ts';
import { fromRow } from './sqlite-rows.ts';
import type { Held } from './sqlite-rows.ts';
import type { Statements } from './sqlite-statements.ts';

/** max_age is enforced at lease time at most this often (and on the outbox's timer). */
const EXPIRE_AT_LEASE_EVERY_MS = 1000;

export class SqliteSpace {
  private rows = 0;
  private rowBytes = 0;
  /** Acked rows, deleted by the next commit: id → size. Already gone from depth and bytes. */
  private readonly acked = new IdMap<number>();
  /** drop_oldest victims for the pending batch: id → size. Still counted until it commits. */
  private readonly doomed = new IdMap<number>();
  private lastExpiry = -Infinity;

  constructor(
    private readonly statements: Statements,
    private readonly limits: QueueLimits,
    private readonly packets: SqlitePacketStore,
    private readonly leased: { has(id: number): boolean },
  ) {}

  get depth(): number {
    return this.rows;
  }

  get bytes(): number {
    return this.rowBytes;
  }

  get hasPendingAcks(): boolean {
    return this.acked.size > 0;
  }

  get hasDoomed(): boolean {
    return this.doomed.size > 0;
  }

  get pendingAckCount(): number {
    return this.acked.size;
  }

  resetTotals(rows: number, bytes: number): void {
    this.rows = rows;
    this.rowBytes = bytes;
  }

  /** A row lease() may hand out (a retry delay is the outbox's business). */
  leasable(id: number): boolean {
    return (
      !this.leased.has(id) && !this.acked.has(id) && !this.doomed.has(id) && !this.packets.references(id)
    );
  }

  /** A row that is not leased by this process but may be acked or dead-lettered (resumed by the publisher). */
  resumed(id: number): Held | undefined {
    if (this.acked.has(id) || this.doomed.has(id)) return undefined;
    const row = this.statements.messageById.get(id);
    return row === undefined ? undefined : fromRow(row);
  }

  markAcked(id: number, size: number): void {
    this.acked.set(id, size);
    this.removed(size);
  }

  removed(size: number): void {
    this.rows -= 1;
    this.rowBytes -= size;
  }

  /** Inside a transaction: delete the acked rows. */
  deletePendingAcks(): void {
    for (const id of this.acked.keys()) this.statements.deleteMessage.run(id);
  }

  pendingAcksDeleted(): void {
    this.acked.clear();
  }

  /**
   * Room for `count` more rows of `bytes` (beside the pending batch) under when_full.
   * drop_oldest picks victims among the oldest rows that are not in flight; they are deleted
   * by the batch's commit. False: the line is refused (reject_new, or only in-flight rows left).
   */
  makeRoom(count: number, bytes: number, pending: { messages: number; bytes: number }): boolean {
    let doomedBytes = 0;
    for (const size of this.doomed.values()) doomedBytes += size;
    const held = {
      count: this.rows - this.doomed.size + pending.messages,
      bytes: this.rowBytes - doomedBytes + pending.bytes,
    };
    const victims = roomFor(this.limits, held, { count, bytes }, this.droppable());
    if (victims === undefined) return false;
    for (const { key, size } of victims) this.doomed.set(key, size);
    return true;
  }

  /** Rows oldest first that may be dropped: not in flight, acked or already a victim. */
  private *droppable(): Generator<Droppable<number>> {
    for (const row of this.statements.oldestIds.iterate())
      if (this.leasable(row.id)) yield { key: row.id, size: row.size };
  }

  /** Inside the batch's transaction: delete the drop_oldest victims; returns how many. */
  deleteDoomed(): number {
    for (const id of this.doomed.keys()) this.statements.deleteMessage.run(id);
    return this.doomed.size;
  }

  /** The batch committed: its rows are in, its victims and acked rows are gone. */
  committed(inserted: number, insertedBytes: number): void {
    for (const size of this.doomed.values()) this.removed(size);
    this.doomed.clear();
    this.acked.clear();
    this.rows += inserted;
    this.rowBytes += insertedBytes;
  }

  /** Rows written outside a batch (write-behind). */
  inserted(rows: number, bytes: number): void {
    this.rows += rows;
    this.rowBytes += bytes;
  }

  /** The batch failed: its victims stay. */
  forgetDoomed(): void {
    this.doomed.clear();
  }

  expiryDue(now: number, force: boolean): boolean {
    if (!force && now - this.lastExpiry < EXPIRE_AT_LEASE_EVERY_MS) return false;
    this.lastExpiry = now;
    return true;
  }

  /** Rows created before `limit` that are not in flight (a row waiting for a retry expires too). */
  expiredRows(limit: number): { id: number; size: number }[] {
    return this.statements.olderThan.all(limit).filter((row) => this.leasable(row.id));
  }

  oldestCreatedAt(): number | undefined {
    for (const row of this.statements.oldestCreatedAt.iterate())
      if (!this.acked.has(row.id) && !this.doomed.has(row.id)) return row.created_at;
    return undefined;
  }

  /** Re-reads the totals; returns how many rows appeared (negative: disappeared) unexplained. */
  resync(): number {
    const totals = this.statements.totals.get() ?? { n: 0, bytes: 0 };
    let ackedBytes = 0;
    for (const size of this.acked.values()) ackedBytes += size;
    const delta = totals.n - this.acked.size - this.rows;
    this.rows += delta;
    this.rowBytes = totals.bytes - ackedBytes;
    return delta;
  }
}
