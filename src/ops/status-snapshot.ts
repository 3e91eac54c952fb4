// /status.json and each Server-Sent Event: everything the status page shows, in one plain
// JSON object built from the live source. Values from devices and config are passed on as
// data; the page puts them into the DOM with textContent only (XSS: they are untrusted).
import type { History } from './history.ts';
import { judgeHealth } from './status-health.ts';
import type { HealthVerdict } from './status-health.ts';
import type { ErrorRecord } from '../log/recent-errors.ts';
import { discardsByReason, framedInput } from '../ports/port-view.ts';
import type { OpsSource } from './status-source.ts';

export interface PortSnapshot {
  name: string;
  device: string;
  description: string;
  path: string;
  format: string;
  state: string;
  available: boolean;
  last_seen: number | null;
  /** Lines (or MQTT-SN frames) per minute over the last minute; null until measurable. */
  rate_per_min: number | null;
  lines: number;
  discards_total: number;
  discards: Record<string, number>;
  values: { field: string; value: string | number | boolean; unit: string | null; at: number }[];
}

export interface StatusSnapshot {
  gateway: string;
  base_topic: string;
  now: number;
  uptime_s: number;
  broker: { connected: boolean; url: string | null; last_error: string | null };
  health: HealthVerdict;
  queue: {
    depth: number;
    bytes: number;
    inflight: number;
    oldest_age_s: number | null;
    published: number;
    dropped_total: number;
    dead_lettered: number;
    storage_error: string | null;
  };
  /** Queue depth over the last hour: [time ms, depth], oldest first, the present last. */
  depth_history: [number, number][];
  ports: PortSnapshot[];
  /** Newest first. */
  errors: ErrorRecord[];
}

export function buildSnapshot(source: OpsSource, history: History, now: number): StatusSnapshot {
  const queue = source.queue();
  const broker = source.broker();
  const ports = source.ports().map((p): PortSnapshot => {
    // Only the reasons that happened: the page lists them.
    const discards = Object.fromEntries(Object.entries(discardsByReason(p)).filter(([, n]) => n > 0));
    const lines = framedInput(p).count;
    return {
      name: p.name,
      device: p.device,
      description: p.description,
      path: p.path,
      format: p.format,
      state: p.state,
      available: p.available,
      last_seen: p.lastSeen,
      rate_per_min: history.ratePerMinute(p.name, lines, now),
      lines,
      discards_total: Object.values(discards).reduce((a, b) => a + b, 0),
      discards,
      values: [...source.readings.of(p.name)].map(([field, last]) => ({
        field,
        value: last.value,
        unit: source.unit(p.name, field) ?? null,
        at: last.at,
      })),
    };
  });
  const depthHistory: [number, number][] = history.samples().map((s) => [s.at, s.depth]);
  depthHistory.push([now, queue.depth]);
  return {
    gateway: source.gatewayId,
    base_topic: source.baseTopic,
    now,
    uptime_s: Math.round((now - source.startedAt) / 1000),
    broker: {
      connected: broker?.connected === true,
      url: broker?.url ?? null,
      last_error: broker?.lastError ?? null,
    },
    health: judgeHealth({
      started: source.started(),
      queue,
      limits: source.queueLimits,
      brokerConnected: broker?.connected === true,
    }),
    queue: {
      depth: queue.depth,
      bytes: queue.bytes,
      inflight: queue.inflight,
      oldest_age_s: queue.oldestAgeMs === null ? null : queue.oldestAgeMs / 1000,
      published: queue.published,
      dropped_total: Object.values(queue.dropped).reduce((a, b) => a + b, 0),
      dead_lettered: queue.deadLettered,
      storage_error: queue.storageError,
    },
    depth_history: depthHistory,
    ports,
    errors: source.errors.list().reverse(),
  };
}
