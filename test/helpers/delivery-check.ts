// The delivery figures the tests report, computed from what an independent subscriber
// received on a power-meter topic and what the device was told ACK: lost (acked but never
// received), duplicates, and per-port order on first delivery (docs/contract.md §6: "order per
// port is preserved on first delivery").
import type { ReceivedMessage } from './mqtt-sub.ts';

export interface DeliveryReport {
  /** Messages on the topic with a readable id. */
  received: number;
  /** Distinct ids among them. */
  unique: number;
  /** received − unique. */
  duplicates: number;
  /** Acknowledged ids never received, ascending. */
  missing: number[];
  /** First deliveries whose id is lower than an earlier first delivery's. */
  outOfOrder: number;
  /** Messages on the topic whose payload held no id (not JSON, field missing). */
  unreadable: number;
  /** Received ids the device never saw acknowledged (fine: an ACK may be lost or late). */
  unacked: number;
}

export interface DeliveryCheckOptions {
  /** Only messages on this topic count (default: all given). */
  topic?: string;
  /** The JSON member holding the reading id (default `energy`, see ack-device.ts). */
  idField?: string;
}

export function readingId(payload: string, idField = 'energy'): number | undefined {
  try {
    const value = (JSON.parse(payload) as Record<string, unknown> | null)?.[idField];
    return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function checkDelivery(
  messages: readonly Pick<ReceivedMessage, 'topic' | 'payload'>[],
  acked: Iterable<number>,
  options: DeliveryCheckOptions = {},
): DeliveryReport {
  const seen = new Set<number>();
  let received = 0;
  let unreadable = 0;
  let outOfOrder = 0;
  let highest = -Infinity;
  for (const m of messages) {
    if (options.topic !== undefined && m.topic !== options.topic) continue;
    const id = readingId(m.payload, options.idField);
    if (id === undefined) {
      unreadable += 1;
      continue;
    }
    received += 1;
    if (seen.has(id)) continue;
    seen.add(id);
    if (id < highest) outOfOrder += 1;
    else highest = id;
  }
  const ackedSet = new Set(acked);
  const missing = [...ackedSet].filter((id) => !seen.has(id)).sort((a, b) => a - b);
  let unacked = 0;
  for (const id of seen) if (!ackedSet.has(id)) unacked += 1;
  return {
    received,
    unique: seen.size,
    duplicates: received - seen.size,
    missing,
    outOfOrder,
    unreadable,
    unacked,
  };
}

/** One line for logs and assertion messages; long id lists are shortened. */
export function formatReport(r: DeliveryReport): string {
  const ids = (xs: number[]): string =>
    xs.length <= 20 ? xs.join(',') : `${xs.slice(0, 20).join(',')},… (${xs.length})`;
  return (
    `received ${r.received}, unique ${r.unique}, duplicates ${r.duplicates}, missing ${r.missing.length}` +
    `${r.missing.length > 0 ? ` [${ids(r.missing)}]` : ''}, out of order ${r.outOfOrder}, ` +
    `unreadable ${r.unreadable}, received but not acked ${r.unacked}`
  );
}

/**
 * Polls until every acknowledged id was received (or the timeout), then returns the report.
 * Polling, not a per-message predicate: a per-message scan of tens of thousands of messages
 * would be quadratic.
 */
export async function waitForDelivery(
  messages: readonly Pick<ReceivedMessage, 'topic' | 'payload'>[],
  acked: ReadonlySet<number>,
  options: DeliveryCheckOptions & { timeoutMs?: number; pollMs?: number } = {},
): Promise<DeliveryReport> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const report = checkDelivery(messages, acked, options);
    if (report.missing.length === 0 || Date.now() >= deadline) return report;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}
