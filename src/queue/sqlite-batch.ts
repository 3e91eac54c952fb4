// One group commit (docs/contract.md §6): in a single transaction, the drop_oldest victims and
// acked rows are deleted, the batch's QoS 1/2 rows inserted, and each line's `#seq` mark
// written (pruned to the last 256 per port). Either all of it is durable, or none is.
import type { Database } from 'better-sqlite3';
import type { SeqMark, SubmitResult } from './outbox.ts';
import { SEQ_MARKS_KEPT } from './seq-marks.ts';
import type { SeqMarks } from './seq-marks.ts';
import { insertRow } from './sqlite-rows.ts';
import type { Held } from './sqlite-rows.ts';
import type { SqliteSpace } from './sqlite-space.ts';
import type { Statements } from './sqlite-statements.ts';
import { asError } from '../errors.ts';

/** A submitted line waiting for the batch's commit. */
export interface PendingLine {
  rows: Held[];
  /** Its QoS 0 messages: they join the ring only once the line is committed. */
  ring: Held[];
  mark: SeqMark | undefined;
  resolve: (result: SubmitResult) => void;
  reject: (error: Error) => void;
}

export type CommitResult =
  /** `evicted`: keys whose marks were forgotten to keep their scope bounded (seq-marks.ts). */
  { ok: true; inserted: number; dropped: number; evicted: string[] } | { ok: false; error: Error };

export class SqliteBatch {
  /** The `n` of the last mark committed per port (seq_marks rows are ordered by it). */
  private readonly lastMarkN = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly statements: Statements,
    private readonly space: SqliteSpace,
    private readonly marks: SeqMarks,
  ) {}

  loadMarks(): void {
    for (const row of this.statements.allMarks.all()) {
      this.marks.add({ port: row.port, seq: row.seq, hash: row.hash });
      this.lastMarkN.set(row.port, row.n);
    }
  }

  commit(lines: readonly PendingLine[]): CommitResult {
    let inserted = 0;
    let insertedBytes = 0;
    let dropped = 0;
    const marksN = new Map(this.lastMarkN);
    try {
      this.db.transaction(() => {
        dropped = this.space.deleteDoomed();
        this.space.deletePendingAcks();
        for (const line of lines) {
          for (const held of line.rows) {
            insertRow(this.statements, held);
            inserted += 1;
            insertedBytes += held.size;
          }
          if (line.mark !== undefined) {
            const n = (marksN.get(line.mark.port) ?? 0) + 1;
            marksN.set(line.mark.port, n);
            this.statements.insertMark.run(line.mark.port, n, line.mark.seq, line.mark.hash);
            this.statements.pruneMarks.run(line.mark.port, n - SEQ_MARKS_KEPT);
          }
        }
      })();
    } catch (error) {
      this.space.forgetDoomed();
      return { ok: false, error: asError(error) };
    }
    this.space.committed(inserted, insertedBytes);
    for (const [port, n] of marksN) this.lastMarkN.set(port, n);
    const evicted: string[] = [];
    for (const line of lines) if (line.mark !== undefined) evicted.push(...this.marks.add(line.mark));
    for (const key of evicted) this.lastMarkN.delete(key);
    return { ok: true, inserted, dropped, evicted };
  }

  /** Deletes the rows of keys forgotten in memory (seq-marks.ts); the caller's transaction. */
  deleteMarks(keys: readonly string[]): void {
    for (const key of keys) {
      this.statements.deleteMarks.run(key);
      this.lastMarkN.delete(key);
    }
  }
}
