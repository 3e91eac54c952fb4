// Every SQL statement of the durable outbox, prepared once per connection.
import type { Statement } from 'better-sqlite3';
import type { Db } from './sqlite-schema.ts';

/** A row of the messages table as SQLite returns it. */
export interface MessageRow {
  id: number;
  port: string;
  port_seq: number;
  topic: string;
  payload: Buffer;
  qos: number;
  retain: number;
  created_at: number;
  attempts: number;
  size: number;
}

/**
 * The columns the messages and dead_letters tables share (sqlite-schema.ts), in the order
 * MessageColumns holds their values (sqlite-rows.ts messageColumns).
 */
const MESSAGE_COLUMNS = 'id, port, port_seq, topic, payload, qos, retain, created_at';

/** id, port, port_seq, topic, payload, qos, retain (0/1), created_at. */
export type MessageColumns = [number, string, number, string, Buffer, number, number, number];

export interface Statements {
  insertMessage: Statement<[...MessageColumns, attempts: number, size: number]>;
  deleteMessage: Statement<[number]>;
  messageById: Statement<[number], MessageRow>;
  /** The oldest rows, id order: lease() and drop_oldest filter the ones they may not touch. */
  oldest: Statement<[number], MessageRow>;
  /** Rows from an id on, id order: lease() reads them lazily and stops when it has enough. */
  leaseScan: Statement<[number], MessageRow>;
  oldestIds: Statement<[], { id: number; size: number }>;
  olderThan: Statement<[number], { id: number; size: number }>;
  oldestCreatedAt: Statement<[], { id: number; created_at: number }>;
  totals: Statement<[], { n: number; bytes: number }>;
  maxId: Statement<[], { id: number | null }>;
  addAttempt: Statement<[number]>;
  deadLetterRow: Statement<[number, string, number, number]>;
  deadLetterValues: Statement<[...MessageColumns, failedAt: number, reason: string, attempts: number]>;
  insertMark: Statement<[string, number, number, number]>;
  pruneMarks: Statement<[string, number]>;
  deleteMarks: Statement<[string]>;
  allMarks: Statement<[], { port: string; n: number; seq: number; hash: number }>;
  reserve: Statement<[{ name: string; block: number }], { value: number }>;
}

export function prepareStatements(db: Db): Statements {
  return {
    insertMessage: db.prepare(
      `INSERT INTO messages (${MESSAGE_COLUMNS}, attempts, size)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    deleteMessage: db.prepare('DELETE FROM messages WHERE id = ?'),
    messageById: db.prepare('SELECT * FROM messages WHERE id = ?'),
    oldest: db.prepare('SELECT * FROM messages ORDER BY id LIMIT ?'),
    leaseScan: db.prepare('SELECT * FROM messages WHERE id >= ? ORDER BY id'),
    oldestIds: db.prepare('SELECT id, size FROM messages ORDER BY id'),
    olderThan: db.prepare('SELECT id, size FROM messages WHERE created_at < ? ORDER BY id'),
    oldestCreatedAt: db.prepare('SELECT id, created_at FROM messages ORDER BY id'),
    totals: db.prepare('SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM messages'),
    maxId: db.prepare('SELECT max(id) AS id FROM messages'),
    addAttempt: db.prepare('UPDATE messages SET attempts = attempts + 1 WHERE id = ?'),
    deadLetterRow: db.prepare(
      `INSERT OR REPLACE INTO dead_letters
         (${MESSAGE_COLUMNS}, failed_at, reason, attempts)
       SELECT ${MESSAGE_COLUMNS}, ?, ?, ?
       FROM messages WHERE id = ?`,
    ),
    deadLetterValues: db.prepare(
      `INSERT OR REPLACE INTO dead_letters
         (${MESSAGE_COLUMNS}, failed_at, reason, attempts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertMark: db.prepare('INSERT OR REPLACE INTO seq_marks (port, n, seq, hash) VALUES (?, ?, ?, ?)'),
    pruneMarks: db.prepare('DELETE FROM seq_marks WHERE port = ? AND n <= ?'),
    deleteMarks: db.prepare('DELETE FROM seq_marks WHERE port = ?'),
    allMarks: db.prepare('SELECT port, n, seq, hash FROM seq_marks ORDER BY port, n'),
    reserve: db.prepare(
      `INSERT INTO counters (name, value) VALUES (@name, @block)
       ON CONFLICT (name) DO UPDATE SET value = value + @block RETURNING value`,
    ),
  };
}
