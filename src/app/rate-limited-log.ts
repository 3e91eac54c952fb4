// Bad input is logged, but at a limited rate (PRODUCT.md §3): a device spewing garbage at
// 600 lines/s must not flood journald or wear the SD card. Per key (port + reason), the
// first few messages of each window are logged; the rest are summarised when it ends.
import type { Logger } from '../log.ts';

export interface RateLimitedLog {
  warn(key: string, fields: Record<string, unknown>, message: string): void;
}

export function createRateLimitedLog(
  log: Logger,
  options: { perWindow: number; windowMs: number; now?: () => number } = { perWindow: 5, windowMs: 60_000 },
): RateLimitedLog {
  const now = options.now ?? Date.now;
  const windows = new Map<string, { start: number; logged: number; suppressed: number }>();
  return {
    warn(key, fields, message) {
      const t = now();
      let w = windows.get(key);
      if (w === undefined || t - w.start >= options.windowMs) {
        if (w !== undefined && w.suppressed > 0)
          log.warn(
            { key, suppressed: w.suppressed, windowMs: options.windowMs },
            'more like this were not logged',
          );
        w = { start: t, logged: 0, suppressed: 0 };
        windows.set(key, w);
        if (windows.size > 1024) windows.clear(); // bounded: keys are per port × reason
      }
      if (w.logged < options.perWindow) {
        w.logged += 1;
        log.warn(fields, message);
      } else {
        w.suppressed += 1;
      }
    },
  };
}
