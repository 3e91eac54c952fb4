// The wall between the two halves of the daemon (ARCHITECTURE.md "The one idea"): the
// serial half submits messages here and never waits for the network; the publisher leases
// from here and never blocks a serial port. Issue 2 ships an in-memory implementation; the
// durable SQLite one (issue 3) implements the same contract and runs the same test suite.

export type QoS = 0 | 1 | 2;

/** A message ready for the broker: topic fully rendered and checked, payload encoded. */
export interface OutMessage {
  /** The port it came from, or `gateway` for the gateway's own status messages. */
  port: string;
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** Milliseconds since the epoch when the reading arrived. */
  createdAt: number;
}

export interface QueuedMessage extends OutMessage {
  /** Unique, increasing in submission order. */
  id: number;
  /** How many times it has been leased before. */
  attempts: number;
}

export type SubmitResult = { status: 'queued' } | { status: 'full' };

export interface QueueStats {
  depth: number;
  bytes: number;
  inflight: number;
  oldestAgeMs: number | null;
  dropped: Readonly<Record<string, number>>;
}

export interface Outbox {
  /**
   * Takes all messages of one line together. Resolves once they are stored as their QoS
   * requires (PRODUCT.md §6): only then may a device be told ACK. `full` means nothing was
   * taken (when_full: reject_new) and the device is told `NAK <seq> full`.
   */
  submit(messages: readonly OutMessage[]): Promise<SubmitResult>;
  /** Up to `max` messages that are not leased, oldest first (per-port order kept). */
  lease(max: number): QueuedMessage[];
  /** The broker confirmed delivery: forget the message. */
  ack(id: number): void;
  /** Delivery did not complete (connection lost): make the message leasable again, in order. */
  release(id: number): void;
  /** Called whenever new messages become leasable. Returns an unsubscribe function. */
  onAvailable(listener: () => void): () => void;
  stats(): QueueStats;
  close(): Promise<void>;
}
