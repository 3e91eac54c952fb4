// Logging for the queue's bounds (QoS 0 ring, staging, dead letters, send window): one line
// when a bound starts biting, then at most a summary per minute ("N more suppressed"), so a
// bound biting thousands of times a second neither floods journald nor goes unnoticed. The
// counters in QueueStats count every event; this only says that it is happening.
import { createRateLimitedLog } from './rate-limited-log.ts';
import type { Logger } from './logger.ts';

export interface BoundLog {
  /** One event of bound `key` biting; `fields` should say the bound and what it cost. */
  bit(key: string, fields: Record<string, unknown>, message: string): void;
}

const WINDOW_MS = 60_000;

export function createBoundLog(log: Logger | undefined): BoundLog {
  if (log === undefined) return { bit: () => undefined };
  const limited = createRateLimitedLog(log, { perWindow: 1, windowMs: WINDOW_MS });
  return {
    bit(key, fields, message) {
      limited.warn(key, { reason: key, ...fields }, message);
    },
  };
}
