// What `tty2mqtt queue` does: opens the queue file directly — beside a running
// daemon, thanks to WAL and busy_timeout — to summarise it and to requeue or purge dead
// letters. The daemon notices requeued rows within a few seconds (SqliteOutbox resync).
import { SequenceReserver } from './sequence-reserver.ts';
import { openQueueDatabase } from './sqlite-schema.ts';
import type { Db } from './sqlite-schema.ts';
import { prepareStatements } from './sqlite-statements.ts';

export interface DeadLetterSummary {
  id: number;
  port: string;
  topic: string;
  reason: string;
  attempts: number;
  failedAt: number;
}

export interface QueueSummary {
  depth: number;
  bytes: number;
  oldestAgeMs: number | null;
  ports: { port: string; depth: number }[];
  deadLetters: DeadLetterSummary[];
}

function withQueue<T>(path: string, work: (db: Db) => T): T {
  const db = openQueueDatabase(path, { durability: 'normal', mustExist: true });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

export function queueSummary(path: string, now: number = Date.now()): QueueSummary {
  return withQueue(path, (db) => {
    const totals = db
      .prepare<[], { n: number; bytes: number; oldest: number | null }>(
        'SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes, min(created_at) AS oldest FROM messages',
      )
      .get() ?? { n: 0, bytes: 0, oldest: null };
    const ports = db
      .prepare<[], { port: string; depth: number }>(
        'SELECT port, count(*) AS depth FROM messages GROUP BY port ORDER BY port',
      )
      .all();
    const deadLetters = db
      .prepare<
        [],
        { id: number; port: string; topic: string; reason: string; attempts: number; failed_at: number }
      >('SELECT id, port, topic, reason, attempts, failed_at FROM dead_letters ORDER BY id')
      .all()
      .map(({ failed_at, ...rest }) => ({ ...rest, failedAt: failed_at }));
    return {
      depth: totals.n,
      bytes: totals.bytes,
      oldestAgeMs: totals.oldest === null ? null : Math.max(0, now - totals.oldest),
      ports,
      deadLetters,
    };
  });
}

/** Dead letter ids to act on: the given ones that exist, or all when `ids` is omitted. */
function selectIds(db: Db, ids: readonly number[] | undefined): number[] {
  const all = db.prepare<[], { id: number }>('SELECT id FROM dead_letters ORDER BY id').all();
  const wanted = ids === undefined ? undefined : new Set(ids);
  return all.map((r) => r.id).filter((id) => wanted === undefined || wanted.has(id));
}

/**
 * Moves dead letters back into the queue as new messages at its end (new ids, attempts
 * reset, created now so max_age counts from the requeue; the port sequence is kept: it is
 * the message's stable id). Returns the dead letter ids moved.
 */
export function requeueDeadLetters(
  path: string,
  ids?: readonly number[],
  now: number = Date.now(),
): number[] {
  return withQueue(path, (db) => {
    const reserver = new SequenceReserver(prepareStatements(db), 64);
    const move = db.prepare<[number, number, number]>(
      `INSERT INTO messages (id, port, port_seq, topic, payload, qos, retain, created_at, attempts, size)
       SELECT ?, port, port_seq, topic, payload, qos, retain, ?, 0, length(payload) + length(CAST(topic AS BLOB))
       FROM dead_letters WHERE id = ?`,
    );
    const remove = db.prepare<[number]>('DELETE FROM dead_letters WHERE id = ?');
    return db
      .transaction(() => {
        const chosen = selectIds(db, ids);
        for (const id of chosen) {
          move.run(reserver.take(SequenceReserver.ID), now, id);
          remove.run(id);
        }
        return chosen;
      })
      .immediate();
  });
}

/** Deletes dead letters for good. Returns the ids deleted. */
export function purgeDeadLetters(path: string, ids?: readonly number[]): number[] {
  return withQueue(path, (db) => {
    const remove = db.prepare<[number]>('DELETE FROM dead_letters WHERE id = ?');
    return db
      .transaction(() => {
        const chosen = selectIds(db, ids);
        for (const id of chosen) remove.run(id);
        return chosen;
      })
      .immediate();
  });
}

/** SQLite's own consistency check of the file: 'ok' when it is sound. */
export function integrityCheck(path: string): string {
  return withQueue(path, (db) =>
    db
      .prepare<[], { integrity_check: string }>('PRAGMA integrity_check')
      .all()
      .map((r) => r.integrity_check)
      .join('\n'),
  );
}
