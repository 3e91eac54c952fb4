// The status page's hour of history ("queue depth over the last hour as a
// sparkline", "rates"): one sample every 10 s, 360 of them, oldest dropped first. A
// sample holds the queue depth and each port's running total of lines (or MQTT-SN frames),
// so a rate is the difference of two samples — no second set of counters to keep in step.

export interface HistorySample {
  /** Milliseconds since the epoch. */
  at: number;
  depth: number;
  /** Port name → lines (line ports) or frames (MQTT-SN ports) read so far. */
  lines: Readonly<Record<string, number>>;
}

export interface History {
  /** Takes a sample now (the timer calls this; so may a caller that needs one at once). */
  sample(): void;
  /** Oldest first; at most `capacity`. */
  samples(): readonly HistorySample[];
  /**
   * Lines per minute of `port` over the last minute (less right after start), from the
   * oldest sample within the window to `current`; null with no sample to compare with.
   */
  ratePerMinute(port: string, current: number, now: number): number | null;
  start(): void;
  stop(): void;
}

export interface HistoryOptions {
  take: () => Omit<HistorySample, 'at'>;
  intervalMs?: number;
  capacity?: number;
  now?: () => number;
}

const RATE_WINDOW_MS = 60_000;

export function createHistory(options: HistoryOptions): History {
  const intervalMs = options.intervalMs ?? 10_000;
  const capacity = options.capacity ?? 360;
  const now = options.now ?? Date.now;
  const ring: HistorySample[] = [];
  let timer: NodeJS.Timeout | undefined;
  const sample = (): void => {
    ring.push({ at: now(), ...options.take() });
    if (ring.length > capacity) ring.shift();
  };
  return {
    sample,
    samples: () => ring,
    ratePerMinute(port, current, at) {
      const from = ring.find((s) => at - s.at <= RATE_WINDOW_MS && s.lines[port] !== undefined);
      if (from === undefined) return null;
      const elapsedMs = at - from.at;
      // Under a second apart, a rate would be mostly noise.
      if (elapsedMs < 1000) return null;
      return ((current - (from.lines[port] ?? 0)) * 60_000) / elapsedMs;
    },
    start() {
      sample();
      timer = setInterval(sample, intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
