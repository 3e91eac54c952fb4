// The in-memory Outbox: the queue boundary of the daemon before the durable SQLite store
// (issue 3) replaces it for QoS 1/2. Bounded by count and bytes with the `when_full`
// policy of PRODUCT.md §2/§6; every drop is counted by reason. Nothing here survives a
// restart — which is exactly why the durable store exists.
import { Fifo } from './fifo.ts';
import type { OutMessage, Outbox, QueuedMessage, QueueStats, SubmitResult } from './outbox.ts';

export interface MemoryOutboxOptions {
  maxMessages: number;
  maxBytes: number;
  maxAgeMs: number;
  whenFull: 'drop_oldest' | 'reject_new';
  now?: () => number;
}

function sizeOf(m: OutMessage): number {
  return m.payload.length + Buffer.byteLength(m.topic);
}

export class MemoryOutbox implements Outbox {
  private readonly pending = new Fifo<QueuedMessage>();
  private readonly leased = new Map<number, QueuedMessage>();
  private readonly listeners = new Set<() => void>();
  private readonly dropped: Record<string, number> = {};
  private readonly now: () => number;
  private nextId = 1;
  private bytes = 0;
  private closed = false;

  constructor(private readonly options: MemoryOutboxOptions) {
    this.now = options.now ?? Date.now;
  }

  submit(messages: readonly OutMessage[]): Promise<SubmitResult> {
    if (this.closed) return Promise.reject(new Error('outbox is closed'));
    const incomingBytes = messages.reduce((n, m) => n + sizeOf(m), 0);
    if (!this.makeRoom(messages.length, incomingBytes)) {
      this.count('rejected_full', messages.length);
      return Promise.resolve({ status: 'full' });
    }
    for (const m of messages) {
      this.pending.push({ ...m, id: this.nextId++, attempts: 0 });
      this.bytes += sizeOf(m);
    }
    if (messages.length > 0) for (const l of this.listeners) l();
    return Promise.resolve({ status: 'queued' });
  }

  lease(max: number): QueuedMessage[] {
    this.expire();
    const out: QueuedMessage[] = [];
    while (out.length < max) {
      const m = this.pending.shift();
      if (m === undefined) break;
      this.leased.set(m.id, m);
      out.push(m);
    }
    return out;
  }

  ack(id: number): void {
    const m = this.leased.get(id);
    if (m === undefined) return;
    this.leased.delete(id);
    this.bytes -= sizeOf(m);
  }

  release(id: number): void {
    const m = this.leased.get(id);
    if (m === undefined) return;
    this.leased.delete(id);
    // Back in id order at the front, so first delivery order per port is kept.
    this.pending.insertOrdered({ ...m, attempts: m.attempts + 1 }, (a, b) => a.id < b.id);
    for (const l of this.listeners) l();
  }

  onAvailable(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): QueueStats {
    const oldest = this.oldestCreatedAt();
    return {
      depth: this.pending.length + this.leased.size,
      bytes: this.bytes,
      inflight: this.leased.size,
      oldestAgeMs: oldest === undefined ? null : Math.max(0, this.now() - oldest),
      dropped: { ...this.dropped },
    };
  }

  close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    return Promise.resolve();
  }

  /** Frees space for `count` messages of `bytes` under the when_full policy; false if it may not. */
  private makeRoom(count: number, bytes: number): boolean {
    const { maxMessages, maxBytes, whenFull } = this.options;
    if (count > maxMessages || bytes > maxBytes) return false;
    const fits = (): boolean =>
      this.pending.length + this.leased.size + count <= maxMessages && this.bytes + bytes <= maxBytes;
    if (fits()) return true;
    if (whenFull === 'reject_new') return false;
    while (!fits()) {
      const victim = this.pending.shift();
      if (victim === undefined) return false; // only leased messages left: never drop those
      this.bytes -= sizeOf(victim);
      this.count('dropped_oldest', 1);
    }
    return true;
  }

  private expire(): void {
    const limit = this.now() - this.options.maxAgeMs;
    for (let m = this.pending.peek(); m !== undefined && m.createdAt < limit; m = this.pending.peek()) {
      this.pending.shift();
      this.bytes -= sizeOf(m);
      this.count('expired', 1);
    }
  }

  private oldestCreatedAt(): number | undefined {
    let oldest: number | undefined;
    for (const m of this.leased.values())
      if (oldest === undefined || m.createdAt < oldest) oldest = m.createdAt;
    const head = this.pending.peek();
    if (head !== undefined && (oldest === undefined || head.createdAt < oldest)) oldest = head.createdAt;
    return oldest;
  }

  private count(reason: string, n: number): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + n;
  }
}
