// The queue's limits (docs/contract.md §2 `queue:` keys, §6 "Limits by count, bytes and age, with
// the when_full policy; every drop is counted") and the books that make every message
// accountable: received = published + deadLettered + rejected + dropped + depth.
import type { OutMessage, QueueStats } from './outbox.ts';

export type WhenFull = 'drop_oldest' | 'reject_new';

export interface QueueLimits {
  maxMessages: number;
  /** Payload + topic bytes of all queued messages. */
  maxBytes: number;
  maxAgeMs: number;
  whenFull: WhenFull;
}

/** The bytes a message costs against max_bytes: payload and topic. */
export function sizeOf(m: Pick<OutMessage, 'payload' | 'topic'>): number {
  return m.payload.length + Buffer.byteLength(m.topic);
}

/** A queued message that drop_oldest may drop (not in flight), with its cost against max_bytes. */
export interface Droppable<K> {
  key: K;
  size: number;
}

/**
 * Room for `incoming` messages beside `held` ones under `when_full` (docs/contract.md §2/§6):
 * the messages that must be dropped for them (none when they fit), or undefined when the
 * new ones are refused — bigger than the limits on their own, full under reject_new, or
 * full of messages in flight, which are never dropped. `droppable` gives the messages that
 * may go, oldest first, and is read only as far as needed.
 */
export function roomFor<K>(
  limits: Pick<QueueLimits, 'maxMessages' | 'maxBytes' | 'whenFull'>,
  held: { count: number; bytes: number },
  incoming: { count: number; bytes: number },
  droppable: Iterable<Droppable<K>>,
): Droppable<K>[] | undefined {
  const { maxMessages, maxBytes, whenFull } = limits;
  if (incoming.count > maxMessages || incoming.bytes > maxBytes) return undefined;
  let count = held.count + incoming.count;
  let bytes = held.bytes + incoming.bytes;
  const fits = (): boolean => count <= maxMessages && bytes <= maxBytes;
  if (fits()) return [];
  if (whenFull === 'reject_new') return undefined;
  const victims: Droppable<K>[] = [];
  for (const candidate of droppable) {
    if (fits()) break;
    victims.push(candidate);
    count -= 1;
    bytes -= candidate.size;
  }
  return fits() ? victims : undefined;
}

/**
 * What one message held in memory costs beyond its payload and topic: the JS objects around
 * it (message, entry, map slot, Buffer header). An estimate, on the high side, so a bound
 * in bytes also holds for many tiny messages, where the overhead is most of the cost.
 */
export const MESSAGE_OVERHEAD_BYTES = 256;

/** The bytes a message costs against an in-memory bound (QoS 0 ring, staging, send window). */
export function memoryCostOf(m: Pick<OutMessage, 'payload' | 'topic'>): number {
  return sizeOf(m) + MESSAGE_OVERHEAD_BYTES;
}

/**
 * Drop reasons of QueueStats.dropped. ring_overflow: the QoS 0 ring was full by count;
 * qos0_ring_bytes: by bytes.
 */
export type DropReason =
  'dropped_oldest' | 'expired' | 'ring_overflow' | 'qos0_ring_bytes' | 'removed_externally';

/** Counters since the queue was opened; `depth` comes from the owner. */
export class QueueBooks {
  received = 0;
  recovered = 0;
  published = 0;
  deadLettered = 0;
  rejected = 0;
  private readonly drops: Record<string, number> = {};

  drop(reason: DropReason, n: number): void {
    if (n > 0) this.drops[reason] = (this.drops[reason] ?? 0) + n;
  }

  get dropped(): Readonly<Record<string, number>> {
    return { ...this.drops };
  }

  get droppedTotal(): number {
    return Object.values(this.drops).reduce((a, b) => a + b, 0);
  }

  /** The counter part of QueueStats. */
  snapshot(): Pick<
    QueueStats,
    'dropped' | 'received' | 'recovered' | 'published' | 'deadLettered' | 'rejected'
  > {
    return {
      dropped: this.dropped,
      received: this.received,
      recovered: this.recovered,
      published: this.published,
      deadLettered: this.deadLettered,
      rejected: this.rejected,
    };
  }
}

/** Whether the books balance; tests assert it after every operation. */
export function reconciles(s: QueueStats): boolean {
  const dropped = Object.values(s.dropped).reduce((a, b) => a + b, 0);
  return s.received === s.published + s.deadLettered + s.rejected + dropped + s.depth;
}
