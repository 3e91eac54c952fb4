// When the publisher refills its in-flight window: sender-side silly-window avoidance, the
// rule TCP senders follow for the same reason (RFC 1122 §4.2.3.4): with most of the window
// still awaiting acknowledgement, wait for more acknowledgements before refilling, so that
// one socket write carries many PUBLISHes instead of one write per PUBACK.
//
// Without it a saturated link settles into one PUBLISH per write: Mosquitto handles one
// packet per turn of its loop and answers each with a PUBACK at once, and the gateway
// answered each PUBACK with one PUBLISH. Every message then cost a write and a wake-up on
// both sides (profiled: the socket write was 28 % of the gateway's CPU at saturation).
//
// The wait is bounded in time: a broker that leaves Nagle's algorithm on (Mosquitto's
// default) holds its later PUBACKs until the gateway's TCP acknowledges the first, and that
// acknowledgement rides on the gateway's next write. Waiting for acknowledgements that only
// come after our own write would wait for the kernel's delayed ACK instead; so after
// REFILL_HOLD_MS the free slots are refilled whatever their number (docs/performance.md).

/**
 * Smaller windows are refilled at once. With Mosquitto's default Receive Maximum of 20 a
 * hold turned one PUBLISH per PUBACK into rounds paced by REFILL_HOLD_MS and the broker's
 * Nagle: half the CPU per message, but ~20 % fewer messages per second (docs/performance.md).
 */
export const REFILL_HOLD_MIN_WINDOW = 32;
/** Refill once at least this share of the window is free… */
export const REFILL_FREE_SHARE = 1 / 4;
/** …or once this long has passed since the refill was first held back. */
export const REFILL_HOLD_MS = 1;

export class RefillHold {
  private timer: NodeJS.Timeout | undefined;
  /** The bound has passed: the next refill goes out, whatever it holds. */
  private expired = false;

  /** `wake` runs the publisher's pump when a hold ends by time. */
  constructor(
    private readonly wake: () => void,
    private readonly holdMs: number = REFILL_HOLD_MS,
  ) {}

  /**
   * Whether to wait before refilling `free` slots of a window of `limit`, while `awaiting`
   * messages wait for their acknowledgement (PUBACK, PUBREC or PUBCOMP).
   */
  holds(free: number, limit: number, awaiting: number): boolean {
    if (
      limit < REFILL_HOLD_MIN_WINDOW ||
      awaiting === 0 ||
      this.expired ||
      free >= Math.ceil(limit * REFILL_FREE_SHARE)
    )
      return false;
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.expired = true;
        this.wake();
      }, this.holdMs);
      this.timer.unref();
    }
    return true;
  }

  /** A refill was written: the next hold starts afresh. */
  refilled(): void {
    this.expired = false;
    this.stop();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
