// How often the device reports, from when its readings arrived on a live port (a file has no
// clock). Each wire key's arrivals are taken on their own, so a MySensors gateway relaying
// several nodes, or a device printing two kinds of lines, still shows one key's period; the
// interval is the median of all those gaps, rounded to what a person would write.

export interface IntervalGuess {
  /** The profile's `interval:` text (`10s`), or null when it could not be measured. */
  interval: string | null;
  note: string;
}

/** Gaps of less than this are a burst (several lines of one reading), not a period. */
const MIN_GAP_MS = 50;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** `250ms`, `10s`, `5m`: whole seconds from 1 s, whole minutes from 2 min when they are exact. */
export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.max(MIN_GAP_MS, Math.round(ms / 50) * 50)}ms`;
  const s = Math.round(ms / 1000);
  return s >= 120 && s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

/** `arrivals`: per wire key, the times (ms, one monotonic clock) of the readings carrying it. */
export function guessInterval(
  arrivals: ReadonlyMap<string, readonly number[]>,
  listenedMs: number,
): IntervalGuess {
  const gaps: number[] = [];
  for (const times of arrivals.values())
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] ?? 0) - (times[i - 1] ?? 0);
      if (gap >= MIN_GAP_MS) gaps.push(gap);
    }
  if (gaps.length < 2)
    return {
      interval: null,
      note: `interval: fewer than 3 readings of one key in ${durationText(listenedMs)}; not measured — listen longer (--seconds) or set it by hand`,
    };
  const typical = median(gaps);
  const readings = Math.max(...[...arrivals.values()].map((t) => t.length));
  const spread = Math.max(...gaps) / Math.min(...gaps);
  const text = durationText(typical);
  return {
    interval: text,
    note:
      `interval: the median time between two of ${readings} readings` +
      (spread > 2 ? ' (they varied more than twofold: a device reporting on change?)' : ''),
  };
}
