// The client's requests, one at a time in order (MQTT-SN 1.2 §6.5, §7: one REGISTER and one
// QoS 1/2 PUBLISH outstanding), behind a bounded queue: beyond `max` waiting, add() rejects
// with `queue_full` instead of growing without limit.
import { MqttSnClientError } from './exchange.ts';

interface Queued {
  run(): Promise<void>;
  fail(error: Error): void;
}

export class RequestQueue {
  readonly #max: number;
  readonly #waiting: Queued[] = [];
  #running = false;
  #closed: Error | undefined;

  constructor(max: number) {
    this.#max = max;
  }

  /** Nothing running and nothing waiting. */
  get idle(): boolean {
    return !this.#running && this.#waiting.length === 0;
  }

  /** Runs `run` after every request added before it; settles as it does. */
  add<T>(run: () => Promise<T>): Promise<T> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    if (this.#waiting.length >= this.#max)
      return Promise.reject(
        new MqttSnClientError('queue_full', `${this.#waiting.length} requests already queued (maxQueued)`),
      );
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ run: () => Promise.resolve().then(run).then(resolve, reject), fail: reject });
      void this.#pump();
    });
  }

  /** Rejects every waiting request, and every later one, with `error`. */
  close(error: Error): void {
    this.#closed = error;
    for (const request of this.#waiting.splice(0)) request.fail(error);
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (let next = this.#waiting.shift(); next !== undefined; next = this.#waiting.shift())
        await next.run();
    } finally {
      this.#running = false;
    }
  }
}
