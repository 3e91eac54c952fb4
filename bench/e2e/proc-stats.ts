// What the kernel accounts to a contender, read from /proc the same way for a C program
// and for Node: CPU time (utime+stime, the process and its descendants), resident memory
// (VmRSS now, VmHWM peak) and bytes sent to the storage layer (write_bytes, accounted when
// pages are dirtied, so WAL and checkpoint writes count, socket writes do not).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface ProcSample {
  cpuS: number;
  rssMb: number;
  peakRssMb: number;
  diskWriteBytes: number;
}

/** The pids and every live descendant of them. */
export function processTree(roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat === undefined) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const all = new Set<number>();
  const visit = (pid: number): void => {
    if (all.has(pid)) return;
    all.add(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  for (const pid of roots) visit(pid);
  return [...all];
}

/** Sums over the process trees of `roots` (memory: the sum of each process's figures). */
export function sample(roots: number[]): ProcSample {
  let ticks = 0;
  let rssKb = 0;
  let peakKb = 0;
  let disk = 0;
  for (const pid of processTree(roots)) {
    const stat = readStat(pid);
    if (stat === undefined) continue;
    ticks += stat.utime + stat.stime;
    const status = readOr(`/proc/${pid}/status`);
    rssKb += kb(status, 'VmRSS');
    peakKb += kb(status, 'VmHWM');
    const io = readOr(`/proc/${pid}/io`);
    disk += Number(/^write_bytes:\s+(\d+)/m.exec(io)?.[1] ?? 0);
  }
  return { cpuS: ticks / TICKS_PER_S, rssMb: rssKb / 1024, peakRssMb: peakKb / 1024, diskWriteBytes: disk };
}

function readStat(pid: number): { ppid: number; utime: number; stime: number } | undefined {
  const text = readOr(`/proc/${pid}/stat`);
  // The command name is in parentheses and may contain spaces: parse after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (rest.length < 13) return undefined;
  // Fields from 3 (state): ppid is field 4, utime 14, stime 15 (proc(5)).
  return { ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]) };
}

function kb(status: string, key: string): number {
  return Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** CPU ticks per thread (name from /proc/<pid>/task/<tid>/comm), for finding where time goes. */
export function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const text = readOr(`/proc/${pid}/task/${tid}/stat`);
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const name = readOr(`/proc/${pid}/task/${tid}/comm`).trim();
    out.set(`${name}#${tid}`, Number(rest[11]) + Number(rest[12]));
  }
  return out;
}
