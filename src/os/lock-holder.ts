// Who holds a lock on a file, read from /proc/locks (proc(5)) — without opening the file.
// That matters for a tty: opening a free serial port raises DTR and closing it again drops
// DTR (HUPCL), which reboots an Arduino; and serialport's own open rewrites the termios of
// the port (tcsetattr) *before* it tries its flock, so even a failed open disturbs whoever
// holds the port. Reading /proc/locks touches nothing.
//
// The locks that matter here: serialport's `flock(LOCK_EX|LOCK_NB)` on a port it opens with
// `lock: true` (open.ts), and SQLite's fcntl lock on the queue lock file (queue/lock.ts).
// Best effort by design: Linux hides the locks of processes outside our PID namespace (a
// holder in another container), and there is no /proc/locks off Linux; then this finds
// nothing and the caller's real open reports the port busy instead.
import { readFileSync, statSync } from 'node:fs';

export interface LockHolder {
  pid: number;
  /** `FLOCK`, `POSIX` or `OFDLCK` (proc(5)). */
  kind: string;
  /** The holder's command line, shortened; null when /proc/<pid> cannot be read. */
  command: string | null;
}

const MAX_COMMAND_CHARS = 120;

/** One held (not waited-for: those lines carry `->`) lock on a given file. */
const LOCK_LINE =
  /^\d+:\s+(FLOCK|POSIX|OFDLCK|LEASE|DELEG)\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/;

/**
 * The holders of locks on `path` (symlinks followed), other than `exceptPid`. Synchronous on
 * purpose: procfs answers from memory, and an open must not wait behind the libuv thread
 * pool for a check that takes microseconds (a device's first line could be flushed by the
 * open meanwhile).
 */
export function findLockHolders(path: string, exceptPid?: number): LockHolder[] {
  let major: bigint;
  let minor: bigint;
  let inode: bigint;
  let table: string;
  try {
    const st = statSync(path, { bigint: true });
    // glibc's dev_t encoding (gnu_dev_major/minor); /proc/locks prints the filesystem's
    // device as %02x:%02x and the inode in decimal.
    major = ((st.dev >> 8n) & 0xfffn) | ((st.dev >> 32n) & ~0xfffn);
    minor = (st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn);
    inode = st.ino;
    table = readFileSync('/proc/locks', 'utf8');
  } catch {
    return [];
  }
  const holders: LockHolder[] = [];
  for (const line of table.split('\n')) {
    const m = LOCK_LINE.exec(line);
    if (m === null) continue;
    const [, kind = '', pidText = '', maj = '', min = '', ino = ''] = m;
    if (BigInt(`0x${maj}`) !== major || BigInt(`0x${min}`) !== minor || BigInt(ino) !== inode) continue;
    const pid = Number(pidText);
    // pid -1: an OFD lock, which belongs to an open file, not a process.
    if (pid === exceptPid || holders.some((h) => h.pid === pid && pid > 0)) continue;
    holders.push({ pid, kind, command: pid > 0 ? commandOf(pid) : null });
  }
  return holders;
}

function commandOf(pid: number): string | null {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
    const text = argv.join(' ');
    if (text === '') return null;
    return text.length > MAX_COMMAND_CHARS ? `${text.slice(0, MAX_COMMAND_CHARS - 1)}…` : text;
  } catch {
    return null;
  }
}

/** `pid 1234: node …/cli.ts run -c gateway.yaml`, for messages; '' when none is known. */
export function describeHolders(holders: readonly LockHolder[]): string {
  return holders
    .map((h) =>
      h.pid > 0 ? `pid ${h.pid}${h.command === null ? '' : `: ${h.command}`}` : 'an open file description',
    )
    .join('; ');
}
