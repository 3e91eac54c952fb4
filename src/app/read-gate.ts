// Read flow control. When devices deliver faster than the broker acknowledges (a USB CDC or
// pty link saturated, a slow remote broker), messages pile up in memory: write-behind then
// writes them to disk after its delay and the QoS 0 ring drops the oldest. Instead, while the
// broker is connected and more than HIGH_WATER messages wait in memory, the ports stop
// reading for a moment: bytes wait in the kernel's tty buffer (and, over USB, in the device),
// the broker catches up, and reading resumes below LOW_WATER.
//
// What counts is every message read while the broker is connected that still waits for it,
// including those write-behind has written to disk for waiting past its delay. Counting only
// memory let the gate reopen as those were written: with a broker slower than HIGH_WATER over
// the delay (~10,000 messages/s), everything read went to disk, ~2.7 KB per message measured
// at a window of 4 (docs/performance.md). The backlog left from an outage does not count.
// Lines read while it drains do once written: past HIGH_WATER of them reading slows to one
// read per port every MAX_PAUSE_MS until the drain reaches them, instead of filling the disk.
//
// A pause never lasts more than MAX_PAUSE_MS, so a UART without flow control cannot overrun
// the kernel's buffer (100 ms at 1 Mbaud is 12.5 KB of the tty layer's 64 KiB), and a broker
// that stops answering only slows reading down to one read per port every 100 ms: what is
// read then is queued (and written to disk) as before. While the broker is away nothing is
// paused — the durable queue takes everything.

export const HIGH_WATER = 1024;
export const LOW_WATER = 256;
export const MAX_PAUSE_MS = 100;
/** How often a pause looks whether it may end. */
const POLL_MS = 1;

export interface ReadGateOptions {
  /** Messages read while connected that wait for the broker (Outbox.readBacklog). */
  backlog: () => number;
  connected: () => boolean;
  pause: () => void;
  resume: () => void;
  highWater?: number;
  lowWater?: number;
  maxPauseMs?: number;
}

export interface ReadGateStatus {
  /** Times reading was paused, and how long it was paused in all. */
  pauses: number;
  pausedMs: number;
  paused: boolean;
}

export class ReadGate {
  private pausedAt: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private pauses = 0;
  private pausedMs = 0;
  private readonly high: number;
  private readonly low: number;
  private readonly maxPauseMs: number;

  constructor(private readonly options: ReadGateOptions) {
    this.high = options.highWater ?? HIGH_WATER;
    this.low = options.lowWater ?? LOW_WATER;
    this.maxPauseMs = options.maxPauseMs ?? MAX_PAUSE_MS;
  }

  /** After messages were queued: pause reading when too many wait in memory. */
  check(): void {
    if (this.pausedAt !== null || !this.options.connected()) return;
    if (this.options.backlog() <= this.high) return;
    this.pausedAt = performance.now();
    this.pauses += 1;
    this.options.pause();
    this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  status(): ReadGateStatus {
    const current = this.pausedAt === null ? 0 : performance.now() - this.pausedAt;
    return {
      pauses: this.pauses,
      pausedMs: Math.round(this.pausedMs + current),
      paused: this.pausedAt !== null,
    };
  }

  /** Reading goes on (shutdown, or the gateway stops): no timer is left behind. */
  stop(): void {
    if (this.pausedAt !== null) this.end();
  }

  private poll(): void {
    if (this.pausedAt === null) return;
    const long = performance.now() - this.pausedAt >= this.maxPauseMs;
    if (long || !this.options.connected() || this.options.backlog() <= this.low) this.end();
    else this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  private end(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pausedAt !== null) this.pausedMs += performance.now() - this.pausedAt;
    this.pausedAt = null;
    this.options.resume();
  }
}
