// A publisher's drain() at shutdown: wait until the outbox is empty and nothing is in flight,
// or a deadline. The publisher calls check() after each pump (the only time that changes).

export class IdleWait {
  private readonly waiters = new Set<() => void>();

  constructor(private readonly isIdle: () => boolean) {}

  /** Resolves true once idle, false at the deadline. */
  until(timeoutMs: number): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(false);
      }, timeoutMs);
      const check = (): void => {
        if (!this.isIdle()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(true);
      };
      this.waiters.add(check);
    });
  }

  check(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
