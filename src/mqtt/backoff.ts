// Reconnect delays: exponential with full jitter (AWS architecture blog, "Exponential
// Backoff And Jitter"), so that many gateways behind one restarted broker do not
// reconnect in lock-step.

export interface Backoff {
  /** The delay before the next attempt; grows with every call until reset(). */
  next(): number;
  reset(): void;
}

export function createBackoff(initialMs: number, maxMs: number, random: () => number = Math.random): Backoff {
  let attempt = 0;
  return {
    next() {
      const ceiling = Math.min(maxMs, initialMs * 2 ** attempt);
      attempt = Math.min(attempt + 1, 30);
      // Half fixed, half random: never hammer (≥ ceiling/2), never all at once.
      return Math.round(ceiling / 2 + (random() * ceiling) / 2);
    },
    reset() {
      attempt = 0;
    },
  };
}
