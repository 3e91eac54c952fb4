// Runs password verifications a few at a time with a bounded waiting line (a flood of
// bad CONNECTs must not pin the CPU). A PBKDF2 check costs up to ~100 ms of a thread-pool
// thread; without a bound, a thousand CONNECTs would queue a thousand of them. Past the bound
// a CONNECT is refused at once (CONNACK 3, server unavailable) instead of queued.

export class BoundedRunner {
  readonly #concurrency: number;
  readonly #maxWaiting: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(concurrency: number, maxWaiting: number) {
    this.#concurrency = concurrency;
    this.#maxWaiting = maxWaiting;
  }

  /** The task's result, or undefined at once when too many tasks are already waiting. */
  run<T>(task: () => Promise<T>): Promise<T> | undefined {
    if (this.#running >= this.#concurrency && this.#waiting.length >= this.#maxWaiting) return undefined;
    return this.#slot().then(async () => {
      try {
        return await task();
      } finally {
        this.#running--;
        this.#waiting.shift()?.();
      }
    });
  }

  #slot(): Promise<void> {
    if (this.#running < this.#concurrency) {
      this.#running++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.#waiting.push(() => {
        this.#running++;
        resolve();
      }),
    );
  }
}
