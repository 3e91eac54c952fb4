// The status page's "recent errors": warn and error log records kept in a
// bounded ring, fed by a pino `hooks.logMethod` so that what goes to stdout is untouched.
// Only a few named, non-secret fields are copied — never the whole log object — so a
// password or token passed to a log call cannot reach the page even if a redact path is
// missing (log.ts redacts the known ones for stdout).
import type { LogFn, Logger } from 'pino';

export interface ErrorRecord {
  /** Milliseconds since the epoch. */
  time: number;
  level: 'warn' | 'error' | 'fatal';
  /** The port the record is about (child logger binding or the `port` field), if any. */
  port: string | null;
  message: string;
  /** err / reason / detail of the record, joined, bounded. */
  detail: string | null;
}

export interface RecentErrors {
  /** Oldest first. */
  list(): ErrorRecord[];
  record(entry: ErrorRecord): void;
  /** How many were ever recorded (the ring keeps the last `capacity`). */
  total(): number;
}

/** pino's numeric levels (pino docs, "levels"). */
const LEVELS = { 40: 'warn', 50: 'error', 60: 'fatal' } as const;
const MAX_TEXT = 300;

export function createRecentErrors(capacity = 50): RecentErrors {
  const ring: ErrorRecord[] = [];
  let total = 0;
  return {
    list: () => ring.slice(),
    total: () => total,
    record(entry) {
      total += 1;
      ring.push(entry);
      if (ring.length > capacity) ring.shift();
    },
  };
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Error) return value.message;
  return null;
}

function bounded(value: string): string {
  return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT - 1)}…` : value;
}

/**
 * Turns the arguments of one pino call (`log.warn(obj, msg)` or `log.warn(msg)`) and the
 * logger's bindings into a record, or null below warn.
 */
export function toErrorRecord(
  level: number,
  args: readonly unknown[],
  bindings: Readonly<Record<string, unknown>>,
  now: number,
): ErrorRecord | null {
  const name = LEVELS[level as keyof typeof LEVELS];
  if (name === undefined) return null;
  const [first, second] = args;
  const fields =
    typeof first === 'object' && first !== null && !(first instanceof Error)
      ? (first as Record<string, unknown>)
      : {};
  const message =
    typeof first === 'string' ? first : (text(second) ?? (first instanceof Error ? first.message : ''));
  const details = [text(fields['err']), text(fields['reason']), text(fields['detail'])].filter(
    (d): d is string => d !== null && d !== '',
  );
  return {
    time: now,
    level: name,
    port: text(fields['port']) ?? text(bindings['port']),
    message: bounded(message),
    detail: details.length === 0 ? null : bounded(details.join(': ')),
  };
}

/** The pino hook: records warn+ calls into `ring`, then logs them exactly as before. */
export type LogMethodHook = (this: Logger, args: Parameters<LogFn>, method: LogFn, level: number) => void;

export function recordingHook(ring: RecentErrors, now: () => number = Date.now): LogMethodHook {
  return function logMethod(this: Logger, args, method, level) {
    if (level >= 40) {
      const entry = toErrorRecord(level, args, this.bindings(), now());
      if (entry !== null) ring.record(entry);
    }
    method.apply(this, args);
  };
}

/** Each root logger's ring (log.ts attaches one); children log into their root's hook. */
const rings = new WeakMap<object, RecentErrors>();

export function attachRecentErrors(logger: Logger, ring: RecentErrors): void {
  rings.set(logger, ring);
}

/** The ring of a logger made by createLogger, or an empty one (silentLogger, tests). */
export function recentErrorsOf(logger: Logger): RecentErrors {
  return rings.get(logger) ?? createRecentErrors();
}
