// Wakes the outbox's listeners when a message released with a retry delay becomes leasable
// again (Outbox.release delayMs): the publisher pumps on onAvailable, and nothing else would
// tell it that a delayed message is due. One timer, for the earliest due time.

export class DueTimer {
  private timer: NodeJS.Timeout | undefined;
  private at = Infinity;

  constructor(
    private readonly now: () => number,
    private readonly fire: () => void,
  ) {}

  /** Fire at `at` (ms since the epoch, on the injected clock), unless something fires earlier. */
  schedule(at: number): void {
    if (at >= this.at) return;
    this.cancel();
    this.at = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.at = Infinity;
        this.fire();
      },
      Math.max(0, at - this.now()),
    );
    this.timer.unref();
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }
}
