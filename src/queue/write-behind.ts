// When staged rows go to disk (what and why: staged-rows.ts). Rows are written
// once they have waited `delayMs` on the real clock without the broker's acknowledgement,
// and all at once when the broker goes away or the queue closes. (They were also written at
// the end of the turn once more than a batch of 512 waited; at saturation that sent ~1 KB
// per message to disk. Read flow control, src/app/read-gate.ts, now bounds what waits.)
// A failed write leaves them staged and is retried a second later. The outbox owns the database; this class only decides and calls `write`.
//
// Staging is bounded by count (STAGED_CAP) and by bytes (`maxBytes`). Over the byte bound
// the OLDEST staged rows are written to disk at once, before their delay, to make room:
// never dropped, since a staged row is a reading whose device may already be told ACK
// (durability normal) — dropping it would lose it. Writing early only costs the disk write
// that write-behind usually saves; the oldest go first because they are the likeliest to
// be still waiting for an acknowledgement when their delay ends anyway.
import { memoryCostOf } from './limits.ts';
import { StagedRows } from './staged-rows.ts';
import type { StagedLine } from './staged-rows.ts';
import type { Held } from './sqlite-rows.ts';

/** At most this many messages wait in memory; beyond it lines go straight to disk. */
export const STAGED_CAP = 16_384;
/** Default byte bound of the staged rows (sizes plus per-message overhead, limits.ts). */
export const STAGED_MAX_BYTES = 8 * 1024 * 1024;
const RETRY_AFTER_FAILURE_MS = 1000;

export interface WriteBehindOptions {
  delayMs: number;
  /** Bytes the staged rows may hold in memory (default STAGED_MAX_BYTES). */
  maxBytes?: number;
  /** Rows were written early because staging reached maxBytes (for the log). */
  onWrittenEarly?: (rows: number, bytes: number) => void;
  /** Inserts the rows in one transaction; false when storage failed. */
  write(rows: readonly Held[]): boolean;
  /** The last write failed and has not been followed by a good one. */
  storageFailing(): boolean;
}

export class WriteBehind {
  readonly staged = new StagedRows();
  private active = false;
  private timer: NodeJS.Timeout | undefined;
  /** Rows written before their delay because staging reached its byte bound. */
  writtenEarly = 0;

  constructor(private readonly options: WriteBehindOptions) {}

  /** Whether the broker is connected (setActive): what is written now was staged while it was. */
  get isActive(): boolean {
    return this.active;
  }

  /** The broker is connected (true), or not: then everything staged is written now. */
  setActive(active: boolean): void {
    this.active = active;
    if (!active) this.flush(true);
  }

  /**
   * Whether a line's rows may be staged. `roomTaken`: drop_oldest chose victims for this
   * line, and only a batch commit deletes them (with the rows that need their room).
   */
  accepts(rows: readonly Held[], roomTaken: boolean): boolean {
    return (
      this.active &&
      this.options.delayMs > 0 &&
      !this.options.storageFailing() &&
      !roomTaken &&
      this.staged.size + rows.length <= STAGED_CAP &&
      rows.every((h) => h.message.qos === 1)
    );
  }

  /**
   * Room in memory for `rows`: writes the oldest staged rows now until they fit the byte
   * bound. False when they cannot be staged (a line alone over the bound, or the early
   * write failed): the caller then writes them before the submit resolves, as without
   * write-behind.
   */
  makeRoom(rows: readonly Held[]): boolean {
    const maxBytes = this.options.maxBytes ?? STAGED_MAX_BYTES;
    const incoming = rows.reduce((n, h) => n + memoryCostOf(h.message), 0);
    if (incoming > maxBytes) return false;
    const excess = this.staged.memoryBytes + incoming - maxBytes;
    if (excess <= 0) return true;
    const early = this.staged.oldestFreeing(excess);
    if (!this.options.write(early)) return false;
    this.staged.written(early);
    this.writtenEarly += early.length;
    this.options.onWrittenEarly?.(
      early.length,
      early.reduce((n, h) => n + h.size, 0),
    );
    return true;
  }

  stage(rows: readonly Held[], line: StagedLine): void {
    const now = performance.now(); // the delay runs on real time, not the queue's clock
    for (const held of rows) this.staged.add(held, line, now);
    this.arm();
  }

  /** Writes the rows that are due (all of them when `all`) in one transaction. */
  flush(all: boolean): void {
    if (this.staged.size === 0) return;
    const dueBefore = all ? Number.POSITIVE_INFINITY : performance.now() - this.options.delayMs;
    const rows = this.staged.due(dueBefore);
    if (rows.length === 0) return;
    if (this.options.write(rows)) this.staged.written(rows);
  }

  /** A crash (simulated) or close: no timer left behind. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.staged.size === 0 || this.timer !== undefined) return;
    const failing = this.options.storageFailing();
    const oldest = this.staged.oldestStagedAt() ?? performance.now();
    const delayMs = failing ? RETRY_AFTER_FAILURE_MS : this.options.delayMs;
    const wait = Math.max(0, oldest + delayMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush(false);
      this.arm();
    }, wait);
  }
}
