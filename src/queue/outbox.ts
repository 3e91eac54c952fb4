// The wall between the two halves of the daemon (docs/architecture.md "The one idea"): the
// serial half submits messages here and never waits for the network; the publisher leases
// from here and never blocks a serial port. The in-memory implementation (memory-outbox.ts)
// is the reference; the durable SQLite one implements the same contract and runs the same
// test suite.

import type { MySensorsStore } from '../mysensors/store.ts';
import type { OutMessage, QoS, SeqMark, SubmitResult } from '../pipeline/message.ts';

// What the serial half hands over; defined with the pure code that makes it.
export type { OutMessage, QoS, SeqMark, SubmitResult };
import type { PacketStore } from './packet-store.ts';

export interface QueuedMessage extends OutMessage {
  /** Unique, increasing in submission order (across restarts, for the durable store). */
  id: number;
  /**
   * Per-port sequence number, increasing, never reused (across restarts for the durable
   * store): the stable message id `<gateway>/<port>/<portSeq>` consumers de-duplicate on.
   */
  portSeq: number;
  /** How many times delivery was attempted before this lease. */
  attempts: number;
}

/**
 * A line's `#seq` mark (docs/contract.md §4.1). Committed in the same transaction as the line's
 * messages, so a line resent by the device after a gateway crash is recognised as a
 * duplicate and acknowledged, not published twice.
 */
export interface SubmitOptions {
  seq?: SeqMark;
}

/** A message the broker refused for good, kept for `tty2mqtt queue`. */
export interface DeadLetter extends OutMessage {
  id: number;
  failedAt: number;
  reason: string;
  attempts: number;
}

/**
 * Counters since this process opened the queue. They reconcile exactly:
 *   received = published + deadLettered + rejected + dropped(total) + depth
 * where `received` includes the backlog recovered from disk at start (`recovered`).
 */
export interface QueueStats {
  depth: number;
  bytes: number;
  inflight: number;
  oldestAgeMs: number | null;
  /**
   * Drops by reason: dropped_oldest, expired, ring_overflow and qos0_ring_bytes (the QoS 0
   * ring full by count, by bytes).
   */
  dropped: Readonly<Record<string, number>>;
  received: number;
  recovered: number;
  published: number;
  deadLettered: number;
  /** Refused at submit under when_full: reject_new (the device was told NAK full). */
  rejected: number;
  deadLetters: number;
  /** Bytes (payload + topic) of the dead letters kept; absent where none are kept. */
  deadLetterBytes?: number;
  /**
   * Dead letters removed by the table's bounds (max_messages, max_bytes, max_age). Not part
   * of the books above: a message left them when it was dead-lettered.
   */
  deadLetterEvictions?: Readonly<Record<string, number>>;
  /** Write-behind rows written before their delay because staging reached its byte bound. */
  stagedEarly?: number;
  /** The last storage error (disk full, I/O error), cleared by the next successful commit. */
  storageError: string | null;
}

export interface Outbox {
  /**
   * Takes all messages of one line together. Resolves once they are stored as their QoS
   * requires (docs/contract.md §6): only then may a device be told ACK. `full` means nothing was
   * taken (when_full: reject_new) and the device is told `NAK <seq> full`.
   */
  submit(messages: readonly OutMessage[], options?: SubmitOptions): Promise<SubmitResult>;
  /** The committed `#seq` marks of a port, oldest first (at most the last 256). */
  seqMarks(port: string): readonly SeqMark[];
  /** Deletes every mark under `key`, in memory and on disk (a session that ended for good). */
  forgetSeqMarks(key: string): void;
  /** Up to `max` messages that are not leased and not waiting for a retry, oldest first. */
  lease(max: number): QueuedMessage[];
  /** The broker confirmed delivery: forget the message. */
  ack(id: number): void;
  /**
   * Delivery did not complete: make the message leasable again, in id order, not before
   * `delayMs` from now (retry backoff). `attempted` counts it as a failed attempt.
   */
  release(id: number, options?: { delayMs?: number; attempted?: boolean }): void;
  /** The broker refused it for good: move it to the dead letters with the reason. */
  deadLetter(id: number, reason: string): void;
  /**
   * The publisher reports whether the broker is connected. A durable outbox may then hold
   * QoS 1 messages in memory for a short write delay (write-behind, staged-rows.ts).
   */
  setWriteBehind?(active: boolean): void;
  /** Called whenever new messages become leasable. Returns an unsubscribe function. */
  onAvailable(listener: () => void): () => void;
  /**
   * Messages read while the broker was connected that still wait for it: held in memory
   * (write-behind staging and the QoS 0 ring), or written to disk by write-behind for having
   * waited past its delay. For read flow control (src/app/read-gate.ts). Absent: nothing is
   * held that way.
   */
  readBacklog?(): number;
  stats(): QueueStats;
  close(): Promise<void>;
}

/** An outbox that also keeps the MQTT session's in-flight packets (the durable one does). */
export interface SessionOutbox extends Outbox {
  readonly packets: PacketStore;
  /** MySensors controllers' nodes and last values, in the same database (the durable one). */
  readonly mysensors?: MySensorsStore;
}
