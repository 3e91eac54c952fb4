// The queue database: opening, pragmas and the versioned schema (PRAGMA user_version).
// WAL lets `tty2mqtt queue` read and write beside the daemon; busy_timeout makes the two
// wait for each other instead of failing. synchronous=NORMAL (durability: normal) survives
// a process crash — a commit is in the WAL before it returns; FULL (durability: full) also
// fsyncs the WAL on every commit, so it survives power loss too (docs/contract.md §2).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type DatabaseClass from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { requireCjs } from '../require-cjs.ts';

// require(), not import: src/require-cjs.ts.
const Database = requireCjs('better-sqlite3') as typeof DatabaseClass;

export type Durability = 'normal' | 'full';
export type { Db };

/** How long one connection waits for the other's write lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/** Migrations by version: MIGRATIONS[i] takes user_version i to i + 1. Never edit a shipped one. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE messages (
     id INTEGER PRIMARY KEY,
     port TEXT NOT NULL,
     port_seq INTEGER NOT NULL,
     topic TEXT NOT NULL,
     payload BLOB NOT NULL,
     qos INTEGER NOT NULL,
     retain INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     size INTEGER NOT NULL
   );
   CREATE TABLE dead_letters (
     id INTEGER PRIMARY KEY,
     port TEXT NOT NULL,
     port_seq INTEGER NOT NULL,
     topic TEXT NOT NULL,
     payload BLOB NOT NULL,
     qos INTEGER NOT NULL,
     retain INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     failed_at INTEGER NOT NULL,
     reason TEXT NOT NULL,
     attempts INTEGER NOT NULL
   );
   CREATE TABLE seq_marks (
     port TEXT NOT NULL,
     n INTEGER NOT NULL,
     seq INTEGER NOT NULL,
     hash INTEGER NOT NULL,
     PRIMARY KEY (port, n)
   ) WITHOUT ROWID;
   CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE session_packets (
     message_id INTEGER PRIMARY KEY,
     queue_id INTEGER,
     packet BLOB NOT NULL,
     put_order INTEGER NOT NULL
   );`,
  // MySensors controller mode: the nodes a port knows (ids never reused while known) and
  // each child's last value (C_REQ answers). `info` is the node's record as JSON.
  `CREATE TABLE mysensors_nodes (
     port TEXT NOT NULL,
     node INTEGER NOT NULL,
     info TEXT NOT NULL,
     PRIMARY KEY (port, node)
   ) WITHOUT ROWID;
   CREATE TABLE mysensors_values (
     port TEXT NOT NULL,
     node INTEGER NOT NULL,
     child INTEGER NOT NULL,
     type INTEGER NOT NULL,
     payload TEXT NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (port, node, child, type)
   ) WITHOUT ROWID;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface OpenOptions {
  durability: Durability;
  /** Only open an existing queue file (tty2mqtt queue); never create one. */
  mustExist?: boolean;
}

export function openQueueDatabase(path: string, options: OpenOptions): Db {
  if (options.mustExist !== true) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path, { fileMustExist: options.mustExist === true, timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function migrate(db: Db): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION)
      throw new Error(`queue database schema ${version} is newer than this tty2mqtt (${SCHEMA_VERSION})`);
    for (let v = version; v < SCHEMA_VERSION; v += 1) db.exec(MIGRATIONS[v] ?? '');
    if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
