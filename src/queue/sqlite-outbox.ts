// The durable Outbox (docs/contract.md §6) on SQLite: QoS 1/2 messages are committed by
// group commit before a submit resolves (so before any device ACK); QoS 0 messages live in
// a bounded memory ring. Leases live in memory: after a crash every row is leasable again,
// except the rows a stored MQTT packet carries (the publisher resumes those).
//
// Lease order is by id, one sequence for rows and ring messages, so QoS 0 and QoS 1/2
// messages interleave in submission order (a port's order is kept on first delivery, also
// after a restart: ids are never reused). Limits (max_messages, max_bytes, when_full)
// apply to the durable rows; the ring has its own bounds (`ring`: count and bytes), and
// max_age applies to both. The dead-letter table has its own count, byte and age bounds
// (dead-letter-bounds.ts). Storage errors reject the submits of the failed batch (no device is
// ACKed), are reported in stats().storageError, and the next batch simply retries.
// Write-behind (write-behind.ts, staged-rows.ts) lets QoS 1 lines without a `#seq` mark
// skip the disk when the broker acknowledges them within `writeDelayMs`.
import type { Logger } from '../log/logger.ts';
import { createBoundLog } from '../log/bound-log.ts';
import type { BoundLog } from '../log/bound-log.ts';
import { DeadLetterBounds } from './dead-letter-bounds.ts';
import type { DeadLetterLimits, Trim } from './dead-letter-bounds.ts';
import { DueTimer } from './due-timer.ts';
import { GroupCommit } from './group-commit.ts';
import { QueueBooks, sizeOf } from './limits.ts';
import type { QueueLimits } from './limits.ts';
import { MemoryRing } from './memory-ring.ts';
import type { RingOverflow } from './memory-ring.ts';
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
import { SequenceReserver } from './sequence-reserver.ts';
import { openQueueDatabase } from './sqlite-schema.ts';
import type { Db, Durability } from './sqlite-schema.ts';
import { SqliteBatch } from './sqlite-batch.ts';
import type { PendingLine } from './sqlite-batch.ts';
import { SqliteMySensorsStore } from './sqlite-mysensors-store.ts';
import { SqlitePacketStore } from './sqlite-packet-store.ts';
import { describeStorageError, fromRow, insertRow, messageColumns } from './sqlite-rows.ts';
import type { Held } from './sqlite-rows.ts';
import { SqliteSpace } from './sqlite-space.ts';
import type { StagedRows } from './staged-rows.ts';
import { STAGED_MAX_BYTES, WriteBehind } from './write-behind.ts';
import { prepareStatements } from './sqlite-statements.ts';
import type { Statements } from './sqlite-statements.ts';
import { asError } from '../errors.ts';
import { IdMap, IdSet } from '../id-map.ts';

export interface SqliteOutboxOptions extends QueueLimits {
  path: string;
  durability: Durability;
  batchMaxMessages?: number;
  batchMaxDelayMs?: number;
  /**
   * The QoS 0 ring's bounds: messages, and bytes in memory (payload + topic + per-message
   * overhead, limits.ts). Defaults: DEFAULT_RING.
   */
  ring?: { maxMessages: number; maxBytes?: number };
  /** The dead-letter table's bounds; default DEFAULT_DEAD_LETTER. */
  deadLetter?: DeadLetterLimits;
  /** Byte bound of the write-behind staging (default STAGED_MAX_BYTES, write-behind.ts). */
  stagedMaxBytes?: number;
  /** Where a bound that starts biting is said (rate-limited, bound-log.ts). */
  log?: Logger;
  now?: () => number;
  /** How often depth and bytes are re-read from the file (another process may requeue). */
  resyncIntervalMs?: number;
  /** How often max_age is enforced without a lease (about once a minute). */
  expireIntervalMs?: number;
  /**
   * Write-behind delay (write-behind.ts); 0 (the default) writes every QoS 1/2 message
   * before it can be leased. Only effective while setWriteBehind(true).
   */
  writeDelayMs?: number;
}

/** 10,000 QoS 0 readings, but no more than 16 MiB of them (not 10,000 x 64 KiB = 640 MB). */
export const DEFAULT_RING = { maxMessages: 10_000, maxBytes: 16 * 1024 * 1024 };
/** Dead letters kept for `tty2mqtt queue`: 10,000, 64 MiB, 30 days, whichever bites first. */
export const DEFAULT_DEAD_LETTER: DeadLetterLimits = {
  maxMessages: 10_000,
  maxBytes: 64 * 1024 * 1024,
  maxAgeMs: 30 * 86_400_000,
};

export async function openSqliteOutbox(options: SqliteOutboxOptions): Promise<SqliteOutbox> {
  const db = openQueueDatabase(options.path, { durability: options.durability });
  return Promise.resolve(new SqliteOutbox(db, options));
}

export class SqliteOutbox implements SessionOutbox {
  readonly packets: SqlitePacketStore;
  /** The MySensors controllers' nodes and last values (controller mode). */
  readonly mysensors: SqliteMySensorsStore;
  private readonly statements: Statements;
  private readonly books = new QueueBooks();
  private readonly marks = new SeqMarks();
  private readonly listeners = new Set<() => void>();
  private readonly reserver: SequenceReserver;
  private readonly ring: MemoryRing;
  private readonly space: SqliteSpace;
  private readonly batch: SqliteBatch;
  private readonly batcher: GroupCommit<PendingLine>;
  private readonly due: DueTimer;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  /** Leased messages (rows and ring), by id: in memory only, so a crash forgets them. */
  private readonly leased = new IdMap<Held>();
  /** Released with a retry delay: not leasable before this time. */
  private readonly notBefore = new Map<number, number>();
  /** Every row with an id below this one is known not to be leasable (a lease cursor). */
  private leaseFrom = 0;
  /** The highest id ever written to the messages table: lease() skips the scan beyond it. */
  private maxWrittenId: number;
  private readonly writeBehind: WriteBehind;
  /** The messages write-behind holds in memory (the same Held objects leases hand out). */
  private readonly staged: StagedRows;
  /**
   * Rows write-behind put on disk while the broker was connected (past their write delay, or
   * early for the staging byte bound), and not yet acknowledged. They wait for the broker as
   * much as staged rows do; leaving them out of the backlog reopened the read gate as they
   * were written (read-gate.ts).
   */
  private readonly writtenWhileConnected = new IdSet();
  private readonly deadLetters: DeadLetterBounds;
  private readonly bounds: BoundLog;
  private storageError: string | null = null;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly options: SqliteOutboxOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.statements = prepareStatements(db);
    this.reserver = new SequenceReserver(this.statements);
    this.bounds = createBoundLog(options.log);
    this.ring = new MemoryRing(
      options.ring?.maxMessages ?? DEFAULT_RING.maxMessages,
      options.ring?.maxBytes ?? DEFAULT_RING.maxBytes,
    );
    this.packets = new SqlitePacketStore(db, (work) => this.write(work));
    this.mysensors = new SqliteMySensorsStore(db, (work) => this.write(work));
    this.space = new SqliteSpace(this.statements, options, this.packets, this.leased);
    this.batch = new SqliteBatch(db, this.statements, this.space, this.marks);
    this.batcher = new GroupCommit<PendingLine>({
      maxMessages: options.batchMaxMessages ?? 512,
      maxDelayMs: options.batchMaxDelayMs ?? 0,
      flush: () => this.flush(),
    });
    this.due = new DueTimer(this.now, () => this.notify());
    this.writeBehind = new WriteBehind({
      delayMs: options.writeDelayMs ?? 0,
      ...(options.stagedMaxBytes === undefined ? {} : { maxBytes: options.stagedMaxBytes }),
      onWrittenEarly: (rows, bytes) =>
        this.bounds.bit(
          'staging_bytes',
          { rows, bytes, stagedMaxBytes: options.stagedMaxBytes ?? STAGED_MAX_BYTES },
          'write-behind staging reached its byte bound: the oldest staged readings were written to disk early',
        ),
      write: (rows) => this.writeStagedRows(rows),
      storageFailing: () => this.storageError !== null,
    });
    this.staged = this.writeBehind.staged;
    const totals = this.statements.totals.get() ?? { n: 0, bytes: 0 };
    this.space.resetTotals(totals.n, totals.bytes);
    this.books.recovered = totals.n;
    this.books.received = totals.n;
    this.deadLetters = new DeadLetterBounds(db, options.deadLetter ?? DEFAULT_DEAD_LETTER);
    this.deadLetters.load();
    this.trimDeadLetters(); // bounds lowered in the config apply at once
    this.batch.loadMarks();
    this.maxWrittenId = this.statements.maxId.get()?.id ?? 0;
    this.every(options.resyncIntervalMs ?? 5000, () => this.resync());
    this.every(options.expireIntervalMs ?? 60_000, () => this.expire(true));
  }

  submit(messages: readonly OutMessage[], options: SubmitOptions = {}): Promise<SubmitResult> {
    if (this.closed) return Promise.reject(new Error('outbox is closed'));
    // One pass over the line's messages (this runs for every line): durable rows and ring
    // entries apart, with the rows' bytes.
    const rows: Held[] = [];
    const ring: Held[] = [];
    let rowBytes = 0;
    try {
      for (const m of messages) {
        const held = this.allocate(m);
        if (held.ring) ring.push(held);
        else {
          rows.push(held);
          rowBytes += held.size;
        }
      }
    } catch (error) {
      this.storageError = describeStorageError(error);
      return Promise.reject(asError(error));
    }
    const pending = {
      messages: this.batcher.pendingMessages + this.staged.size,
      bytes: this.batcher.pendingBytes + this.staged.bytes,
    };
    if (rows.length > 0 && !this.space.makeRoom(rows.length, rowBytes, pending)) {
      this.books.received += messages.length;
      this.books.rejected += messages.length;
      return Promise.resolve({ status: 'full' });
    }
    if (rows.length === 0 && options.seq === undefined) {
      this.addToRing(ring);
      return Promise.resolve({ status: 'queued' });
    }
    if (
      ring.length === 0 &&
      options.seq === undefined &&
      this.writeBehind.accepts(rows, this.space.hasDoomed) &&
      this.writeBehind.makeRoom(rows)
    )
      return new Promise<SubmitResult>((resolve, reject) => {
        this.writeBehind.stage(rows, { open: rows.length, resolve, reject });
        this.books.received += rows.length;
        this.notify();
      });
    // QoS 1/2 messages, and a line's seq mark, wait for the batch's commit (all or nothing).
    return new Promise<SubmitResult>((resolve, reject) => {
      const line: PendingLine = { rows, ring, mark: options.seq, resolve, reject };
      this.batcher.add(line, rows.length, rowBytes);
    });
  }

  seqMarks(port: string): readonly SeqMark[] {
    return this.marks.of(port);
  }

  forgetSeqMarks(key: string): void {
    // Memory mirrors the table (loaded at open): a key without marks costs no write — every
    // clean-session CONNECT asks.
    if (this.closed || !this.marks.has(key)) return;
    this.marks.forget(key);
    this.deleteMarkRows([key]);
  }

  lease(max: number): QueuedMessage[] {
    if (this.closed || max <= 0) return [];
    this.expire(false);
    const now = this.now();
    const due = (id: number): boolean => (this.notBefore.get(id) ?? 0) <= now;
    for (const t of this.notBefore.values())
      if (t <= now) {
        this.leaseFrom = 0; // a retry became due: rescan from the start
        break;
      }
    const fromStaged = this.staged.candidates(max, (id) => !this.leased.has(id) && due(id));
    const scanDb = this.leaseFrom <= this.maxWrittenId;
    // Nothing anywhere (the usual answer when the publisher asks after an ack): no work.
    if (!scanDb && this.ring.length === 0 && fromStaged.length === 0) return [];
    const fromDb: Held[] = [];
    let examined = this.leaseFrom - 1;
    const rows = scanDb ? this.statements.leaseScan.iterate(this.leaseFrom) : [];
    let exhausted = true;
    for (const row of rows) {
      if (fromDb.length >= max) {
        exhausted = false;
        break;
      }
      examined = row.id;
      if (this.space.leasable(row.id) && due(row.id)) fromDb.push(fromRow(row));
    }
    const fromRing =
      this.ring.length === 0
        ? []
        : this.ring.candidates(max, (m) => due(m.id)).map((e) => ({ ...e, ring: true }));
    const sources = [fromDb, fromStaged, fromRing].filter((list) => list.length > 0);
    const chosen =
      sources.length === 1
        ? (sources[0] as Held[])
        : sources
            .flat()
            .sort((a, b) => a.message.id - b.message.id)
            .slice(0, max);
    for (const held of chosen) {
      if (held.ring) this.ring.remove(held.message.id);
      this.notBefore.delete(held.message.id);
      this.leased.set(held.message.id, held);
    }
    // Every row examined is now leased or not leasable, except db candidates the ring displaced.
    const displaced = fromDb.find((h) => !this.leased.has(h.message.id));
    // A scan that reached the end has seen every row there is: skip the scan until a row is
    // written or becomes leasable again (a read transaction per lease showed in profiles).
    if (displaced !== undefined) this.leaseFrom = displaced.message.id;
    else this.leaseFrom = exhausted ? Math.max(examined, this.maxWrittenId) + 1 : examined + 1;
    return chosen.map((h) => h.message);
  }

  ack(id: number): void {
    const held = this.leased.get(id) ?? this.space.resumed(id);
    if (held === undefined) return;
    this.leased.delete(id);
    this.notBefore.delete(id);
    this.writtenWhileConnected.delete(id);
    this.books.published += 1;
    if (held.ring) return;
    if (this.staged.has(id)) return this.staged.finish(id); // never written: nothing to delete
    // The row is deleted with the next commit (batch, packet write, or the end of this turn):
    // one fsync per batch of acks, not per ack. Until then it is never leased again.
    this.space.markAcked(id, held.size);
    if (this.space.pendingAckCount >= (this.options.batchMaxMessages ?? 512)) this.flush();
    else this.batcher.arm();
  }

  release(id: number, options: { delayMs?: number; attempted?: boolean } = {}): void {
    const held = this.leased.get(id);
    if (held === undefined) return;
    this.leased.delete(id);
    if (options.attempted === true) {
      held.message = { ...held.message, attempts: held.message.attempts + 1 };
      if (!held.ring && !this.staged.has(id)) this.tryWrite(() => this.statements.addAttempt.run(id));
    }
    const delayMs = options.delayMs ?? 0;
    if (delayMs > 0) this.notBefore.set(id, this.now() + delayMs);
    if (held.ring) this.pushToRing(held);
    else this.leaseFrom = Math.min(this.leaseFrom, id);
    if (delayMs > 0) this.due.schedule(this.now() + delayMs);
    else this.notify();
  }

  deadLetter(id: number, reason: string): void {
    const held = this.leased.get(id) ?? this.space.resumed(id);
    if (held === undefined) return;
    const m = held.message;
    const attempts = m.attempts + 1; // the attempt that failed for good counts
    const staged = this.staged.has(id);
    const failedAt = this.now();
    const ok = this.tryWrite(() => {
      if (!held.ring && !staged) this.statements.deadLetterRow.run(failedAt, reason, attempts, id);
      else this.statements.deadLetterValues.run(...messageColumns(m), failedAt, reason, attempts);
      this.statements.deleteMessage.run(id);
    });
    if (!ok) return this.release(id, { delayMs: 1000 }); // tried again later
    this.leased.delete(id);
    this.notBefore.delete(id);
    this.writtenWhileConnected.delete(id);
    if (staged) this.staged.finish(id);
    else if (!held.ring) this.space.removed(held.size);
    this.books.deadLettered += 1;
    this.deadLetters.added(sizeOf(m), failedAt);
    this.trimDeadLetters();
  }

  onAvailable(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  readBacklog(): number {
    // Rows that left by another way (expired, dropped for room) are not tracked one by one:
    // none can be waiting beyond what is on disk, and an empty table clears them all.
    if (this.space.depth === 0) this.writtenWhileConnected.clear();
    const written = Math.min(this.writtenWhileConnected.size, this.space.depth);
    return this.staged.size + this.ring.length + written;
  }

  stats(): QueueStats {
    let ringLeased = 0;
    let ringLeasedBytes = 0;
    let oldest = this.ring.oldestCreatedAt();
    for (const held of this.leased.values()) {
      if (held.ring) {
        ringLeased += 1;
        ringLeasedBytes += held.size;
      }
      if (oldest === undefined || held.message.createdAt < oldest) oldest = held.message.createdAt;
    }
    const rowOldest = this.closed ? undefined : this.space.oldestCreatedAt();
    if (rowOldest !== undefined && (oldest === undefined || rowOldest < oldest)) oldest = rowOldest;
    const stagedOldest = this.staged.oldestCreatedAt();
    if (stagedOldest !== undefined && (oldest === undefined || stagedOldest < oldest)) oldest = stagedOldest;
    return {
      depth: this.space.depth + this.staged.size + this.ring.length + ringLeased,
      bytes: this.space.bytes + this.staged.bytes + this.ring.bytes + ringLeasedBytes,
      inflight: this.leased.size,
      oldestAgeMs: oldest === undefined ? null : Math.max(0, this.now() - oldest),
      ...this.books.snapshot(),
      deadLetters: this.deadLetters.count,
      deadLetterBytes: this.deadLetters.bytes,
      deadLetterEvictions: this.deadLetters.evictions,
      stagedEarly: this.writeBehind.writtenEarly,
      storageError: this.storageError,
    };
  }

  /** Commits the pending batch (resolving its submits), then closes the database. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.writeBehind.flush(true);
    this.flush();
    this.shutdown();
    return Promise.resolve();
  }

  /**
   * For crash tests: stop as if the process died now. The pending batch is never committed
   * and its submits never settle; nothing is flushed.
   */
  simulateCrash(): void {
    if (this.closed) return;
    this.batcher.take();
    this.staged.clear();
    this.shutdown();
  }

  private shutdown(): void {
    this.closed = true;
    this.batcher.stop();
    this.writeBehind.stop();
    this.due.cancel();
    for (const timer of this.timers) clearInterval(timer);
    this.listeners.clear();
    this.db.close();
  }

  /**
   * The broker is connected (the publisher says so): write-behind may hold QoS 1 messages
   * for the write delay. When it is not, everything staged is written now.
   */
  setWriteBehind(active: boolean): void {
    // What is written from now on is the outage's backlog, which the gate leaves alone.
    if (!active) this.writtenWhileConnected.clear();
    this.writeBehind.setActive(active);
  }

  /** Inserts staged rows (write-behind.ts decided they are due) in one transaction. */
  private writeStagedRows(rows: readonly Held[]): boolean {
    if (this.closed) return false;
    const ok = this.tryWrite(() => {
      for (const held of rows) insertRow(this.statements, held);
    });
    if (!ok) return false; // they stay staged; storageError is set and the write is retried
    let bytes = 0;
    for (const held of rows) {
      bytes += held.size;
      this.maxWrittenId = Math.max(this.maxWrittenId, held.message.id);
    }
    this.space.inserted(rows.length, bytes);
    if (this.writeBehind.isActive) for (const held of rows) this.writtenWhileConnected.add(held.message.id);
    return true;
  }

  private allocate(m: OutMessage): Held {
    const id = this.reserver.take(SequenceReserver.ID);
    const portSeq = this.reserver.take(SequenceReserver.port(m.port));
    const message: QueuedMessage = {
      port: m.port,
      topic: m.topic,
      payload: m.payload,
      qos: m.qos,
      retain: m.retain,
      createdAt: m.createdAt,
      id,
      portSeq,
      attempts: 0,
    };
    return { message, size: sizeOf(m), ring: m.qos === 0 };
  }

  private addToRing(entries: readonly Held[]): void {
    for (const entry of entries) this.pushToRing(entry);
    this.books.received += entries.length;
    if (entries.length > 0) this.notify();
  }

  /** Into the QoS 0 ring; what its bounds push out (oldest first) is counted and said. */
  private pushToRing(entry: Held): void {
    const over: RingOverflow = this.ring.push(entry);
    this.books.drop('ring_overflow', over.count);
    this.books.drop('qos0_ring_bytes', over.bytes);
    if (over.count > 0)
      this.bounds.bit(
        'ring_overflow',
        { dropped: over.count, maxMessages: this.ring.maxMessages },
        'QoS 0 ring full (messages): the oldest QoS 0 readings are dropped',
      );
    if (over.bytes > 0)
      this.bounds.bit(
        'qos0_ring_bytes',
        { dropped: over.bytes, maxBytes: this.ring.maxBytes, heldBytes: this.ring.memoryBytes },
        'QoS 0 ring full (bytes): the oldest QoS 0 readings are dropped',
      );
  }

  /** The dead-letter table's count, byte and age bounds: the oldest go, counted and said. */
  private trimDeadLetters(): void {
    const now = this.now();
    if (this.closed || !this.deadLetters.over(now)) return;
    let trim: Trim | undefined;
    if (!this.tryWrite(() => (trim = this.deadLetters.trim(now))) || trim === undefined) return; // next time
    this.deadLetters.apply(trim);
    if (trim.ids.length > 0)
      this.bounds.bit(
        'dead_letter_evicted',
        { evicted: trim.ids.length, bytes: trim.bytes, byBound: trim.byReason, ...this.deadLetters.limits },
        'dead letters evicted (oldest first) to stay within queue.dead_letter bounds',
      );
  }

  /** One group commit: the batch's lines, the pending acks and drop_oldest victims. */
  private flush(): void {
    if (this.closed) return;
    const lines = this.batcher.take();
    if (lines.length === 0 && !this.space.hasPendingAcks) return;
    const result = this.batch.commit(lines);
    if (!result.ok) {
      this.storageError = describeStorageError(result.error);
      this.leaseFrom = 0; // the victims chosen for the failed lines are leasable again
      for (const line of lines) line.reject(result.error);
      if (this.space.hasPendingAcks) this.batcher.arm(1000); // retried, also without new submits
      return;
    }
    this.storageError = null;
    // Keys past their scope's bound are already gone from memory; their rows go now.
    if (result.evicted.length > 0) this.deleteMarkRows(result.evicted);
    for (const line of lines)
      for (const held of line.rows) this.maxWrittenId = Math.max(this.maxWrittenId, held.message.id);
    this.books.drop('dropped_oldest', result.dropped);
    this.books.received += result.inserted;
    for (const line of lines) this.addToRing(line.ring);
    for (const line of lines) line.resolve({ status: 'queued' });
    if (result.inserted > 0) this.notify();
  }

  /**
   * Deletes the rows of forgotten mark keys. A failure is the storage error of stats();
   * the rows are then reloaded at the next start and forgotten again at the next mark.
   */
  private deleteMarkRows(keys: readonly string[]): void {
    try {
      this.write(() => this.batch.deleteMarks(keys));
    } catch {
      // storageError is set by write()
    }
  }

  /** A synchronous commit that also makes the pending acks durable (the PacketStore's writes). */
  private write(work: () => void): void {
    try {
      this.db.transaction(() => {
        this.space.deletePendingAcks();
        work();
      })();
    } catch (error) {
      this.storageError = describeStorageError(error);
      throw error;
    }
    this.space.pendingAcksDeleted();
    this.storageError = null;
    this.leaseFrom = 0; // a deleted packet may have made its row leasable again
  }

  private tryWrite(work: () => void): boolean {
    try {
      this.write(work);
      return true;
    } catch {
      return false;
    }
  }

  /** max_age: at lease time (at most once a second) and on the timer. */
  private expire(force: boolean): void {
    const limit = this.now() - this.options.maxAgeMs;
    if (!this.space.expiryDue(this.now(), force)) return;
    this.trimDeadLetters();
    this.books.drop('expired', this.ring.expire(limit));
    const victims = this.space.expiredRows(limit);
    if (victims.length === 0) return;
    if (this.tryWrite(() => victims.forEach((v) => this.statements.deleteMessage.run(v.id)))) {
      for (const v of victims) {
        this.space.removed(v.size);
        this.notBefore.delete(v.id);
      }
      this.books.drop('expired', victims.length);
    }
  }

  /** Another process (tty2mqtt queue --requeue) may have added rows: re-read the totals. */
  private resync(): void {
    if (this.closed) return;
    try {
      const added = this.space.resync();
      this.deadLetters.load();
      if (added > 0) this.books.received += added;
      else this.books.drop('removed_externally', -added);
      if (added > 0) {
        this.leaseFrom = 0;
        this.maxWrittenId = Math.max(this.maxWrittenId, this.statements.maxId.get()?.id ?? 0);
        this.notify();
      }
    } catch (error) {
      this.storageError = describeStorageError(error);
    }
  }

  private every(ms: number, work: () => void): void {
    const timer = setInterval(work, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
