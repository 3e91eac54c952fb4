// Bad input is logged, but at a limited rate (docs/contract.md §3): a device spewing
// garbage at 600 lines/s must not flood journald or wear the SD card. Per key (port +
// reason), the first few messages of each window are logged; the rest are counted and
// summarised in one line when the window ends ("N more suppressed"), so a burst is never
// silent about its size. The counters (ports/port-counters.ts) still count every one.
import type { Logger } from './logger.ts';

export interface RateLimitedLog {
  warn(key: string, fields: Record<string, unknown>, message: string): void;
  /** Writes the pending summaries now (on stop: a burst just before shutdown is not silent). */
  flush(): void;
}

interface Window {
  start: number;
  logged: number;
  suppressed: number;
  message: string;
  fields: Record<string, unknown>;
  timer: NodeJS.Timeout | null;
}

/** Keys are per port × reason; past this many, something is wrong with the keys. */
const MAX_KEYS = 1024;

export function createRateLimitedLog(
  log: Logger,
  options: { perWindow: number; windowMs: number; now?: () => number } = { perWindow: 5, windowMs: 60_000 },
): RateLimitedLog {
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();

  const summarise = (key: string, w: Window): void => {
    if (w.timer !== null) clearTimeout(w.timer);
    w.timer = null;
    if (windows.get(key) === w) windows.delete(key);
    if (w.suppressed === 0) return;
    const seconds = Math.round(options.windowMs / 1000);
    // The first message's reason and field, not its detail: the summary stands for all. (The
    // port, like every binding, comes with the logger: a field would write it twice.)
    const { reason, field } = w.fields;
    log.warn(
      { reason, field, key, suppressed: w.suppressed, windowMs: options.windowMs },
      `${w.message}: ${w.suppressed} more suppressed in the last ${seconds} s`,
    );
  };

  return {
    flush() {
      for (const [key, w] of [...windows]) summarise(key, w);
    },
    warn(key, fields, message) {
      const t = now();
      let w = windows.get(key);
      if (w !== undefined && t - w.start >= options.windowMs) {
        summarise(key, w);
        w = undefined;
      }
      if (w === undefined) {
        if (windows.size >= MAX_KEYS) for (const [k, old] of [...windows]) summarise(k, old);
        w = { start: t, logged: 0, suppressed: 0, message, fields, timer: null };
        windows.set(key, w);
      }
      if (w.logged < options.perWindow) {
        w.logged += 1;
        log.warn(fields, message);
        return;
      }
      w.suppressed += 1;
      if (w.timer === null) {
        // The summary comes when the window ends even if the device goes quiet; unref: it
        // never keeps a stopping daemon alive.
        const current = w;
        current.timer = setTimeout(() => summarise(key, current), current.start + options.windowMs - t);
        current.timer.unref();
      }
    },
  };
}
