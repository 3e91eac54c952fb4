// /healthz: 200 only when the queue and the publisher are healthy. Exactly:
//   unhealthy when the gateway has not started (no publisher yet);
//   unhealthy when the queue storage reports an error (disk full, I/O error);
//   unhealthy when the queue is full under `when_full: reject_new` (devices get NAK full);
//   unhealthy when the broker is not connected AND messages are waiting (a backlog) —
//     a broker outage with nothing to send harms no data, so it alone is not a failure;
//   healthy otherwise. Serial ports are not part of it: a device unplugged is that port's
//   state (docs/architecture.md: failures stay inside their port), and restarting the daemon — what a
//   supervisor does on a failing health check — would not bring it back.
import type { QueueStats } from '../queue/outbox.ts';

export interface HealthInput {
  started: boolean;
  queue: QueueStats;
  limits: { maxMessages: number; maxBytes: number; whenFull: 'drop_oldest' | 'reject_new' };
  brokerConnected: boolean;
}

export interface HealthVerdict {
  ok: boolean;
  /** Why not, one stable phrase each (empty when ok). */
  reasons: string[];
}

export function judgeHealth(input: HealthInput): HealthVerdict {
  const { queue, limits } = input;
  const reasons: string[] = [];
  if (!input.started) reasons.push('gateway not started');
  if (queue.storageError !== null) reasons.push(`queue storage failing: ${queue.storageError}`);
  const full = queue.depth >= limits.maxMessages || queue.bytes >= limits.maxBytes;
  if (full && limits.whenFull === 'reject_new')
    reasons.push('queue full (when_full: reject_new): devices are refused');
  if (input.started && !input.brokerConnected && queue.depth > 0)
    reasons.push(`broker not connected with ${queue.depth} message(s) waiting`);
  return { ok: reasons.length === 0, reasons };
}
