// One gateway per queue. SQLite's own locking lets two writers take turns on
// one queue.db — two daemons would each lease, publish and delete the other's messages —
// so the daemon holds an exclusive lock on `<queue>.lock` for its whole life, taken in
// Gateway.open before anything starts. The lock is an SQLite EXCLUSIVE transaction on that
// small side file (a kernel fcntl lock, as SQLite takes them): it is released by the kernel
// when the process dies, so a kill -9 never leaves a stale lock behind, and a pid written
// in a file could not tell a live holder from a reused pid. `tty2mqtt queue` does not take
// it: it is meant to work beside the running daemon (cli/queue.ts).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type DatabaseClass from 'better-sqlite3';
import { requireCjs } from '../require-cjs.ts';

// require(), not import: src/require-cjs.ts.
const Database = requireCjs('better-sqlite3') as typeof DatabaseClass;
import { ErrorCodes, GatewayError } from '../errors.ts';
import { describeHolders, findLockHolders } from '../os/lock-holder.ts';

export interface QueueLock {
  path: string;
  release(): void;
}

export function queueLockPath(queuePath: string): string {
  return `${queuePath}.lock`;
}

/** Takes the lock now or throws QUEUE_IN_USE (never waits: a second gateway must fail fast). */
export function lockQueue(queuePath: string): QueueLock {
  const path = queueLockPath(queuePath);
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 0 });
  try {
    // The lock is taken at BEGIN EXCLUSIVE; nothing is ever written, the file stays empty.
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    const holders = describeHolders(findLockHolders(path, process.pid));
    throw new GatewayError(
      ErrorCodes.QUEUE_IN_USE,
      `queue ${queuePath} is in use by another gateway (${holders === '' ? `lock ${path} is held` : holders}); ` +
        'two gateways must not share one queue: stop the other one or set a different queue.path',
      { cause: error },
    );
  }
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      db.close(); // rolls the empty transaction back: the lock is free
    },
  };
}
