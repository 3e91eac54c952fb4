// What the HTTP endpoints read, all live (collect on scrape, no second source
// of truth). The gateway supplies it; /metrics, /healthz, /status.json and the status page
// are views of the same numbers gateway/health publishes.
import type { GatewayRequestsStats } from '../requests/gateway-requests.ts';
import type { PortView } from '../ports/port-view.ts';
import type { BrokerClientStatus } from '../mqtt/broker-client.ts';
import type { QueueStats } from '../queue/outbox.ts';
import type { RecentErrors } from '../log/recent-errors.ts';
import type { LastReadings } from './status-readings.ts';

export interface OpsSource {
  gatewayId: string;
  baseTopic: string;
  /** Milliseconds since the epoch when the daemon started. */
  startedAt: number;
  ports(): PortView[];
  queue(): QueueStats;
  queueLimits: { maxMessages: number; maxBytes: number; whenFull: 'drop_oldest' | 'reject_new' };
  /** null before the publisher exists. */
  broker(): BrokerClientStatus | null;
  started(): boolean;
  readings: LastReadings;
  errors: RecentErrors;
  /** The embedded broker's refusal counters; null with an external broker. */
  embeddedBroker(): Readonly<Record<string, number>> | null;
  /** Requests on gateway/request/…: what was refused (null before they start). */
  requests?(): GatewayRequestsStats | null;
  /** Read flow control (app/read-gate.ts): times reading waited for the broker, and for how long. */
  readPauses?(): { pauses: number; pausedMs: number } | null;
  /** The unit a port's profile declares for a field, if any. */
  unit(port: string, field: string): string | undefined;
}
