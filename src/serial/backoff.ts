// Reopen delays for a serial port (ISSUE: "reopened with backoff when it comes back").
// Exponential with "equal jitter": the delay is drawn from [base/2, base], so the first retry
// after an unplug comes quickly (250–500 ms with the 500 ms default: a replug resumes fast)
// while a port that stays away settles at one attempt every 15–30 s, and several ports that
// vanished together (a USB hub unplugged) do not retry in lockstep.

export interface BackoffOptions {
  /** The ceiling of the first delay. */
  initialMs: number;
  /** The ceiling of every later delay. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

export interface Backoff {
  /** The delay before the next attempt; each call counts one more failure. */
  next(): number;
  /** Back to the first, short delay (after the port was open and stable). */
  reset(): void;
  /** Failures counted since the last reset. */
  readonly attempts: number;
}

/** `random` returns a number in [0, 1) (injected so tests are deterministic). */
export function createBackoff(options: BackoffOptions, random: () => number = Math.random): Backoff {
  const initial = Math.max(1, options.initialMs);
  const max = Math.max(initial, options.maxMs);
  let attempts = 0;
  return {
    next(): number {
      // 2^attempts overflows to Infinity long after it passed `max`; Math.min keeps it finite.
      const base = Math.min(max, initial * 2 ** attempts);
      attempts += 1;
      const jittered = base / 2 + random() * (base / 2);
      return Math.round(Math.min(base, Math.max(base / 2, jittered)));
    },
    reset(): void {
      attempts = 0;
    },
    get attempts(): number {
      return attempts;
    },
  };
}
