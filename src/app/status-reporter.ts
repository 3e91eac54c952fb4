// The gateway's own topics (docs/contract.md §5): gateway/state (retained, also the will),
// <port>/availability (retained), gateway/devices (retained) and gateway/health (every
// 30 s). These describe the present, so they are published directly, not queued, and
// all retained ones are republished on every reconnect (zigbee2mqtt once shipped a bug
// where state stayed `offline` after a broker restart).
import type { Logger } from '../log/logger.ts';
import {
  availabilityTopic,
  gatewayDevicesTopic,
  gatewayHealthTopic,
  gatewayStateTopic,
} from '../topics/gateway-owned.ts';
import type { QueueStats } from '../queue/outbox.ts';
import type { BrokerClientStatus } from '../mqtt/broker-client.ts';
import type { ReadGateStatus } from './read-gate.ts';
import type { PortView } from '../ports/port-view.ts';

export interface StatusSink {
  publishNow(topic: string, payload: string, opts: { qos: 0 | 1 | 2; retain: boolean }): Promise<boolean>;
}

export interface StatusReporterOptions {
  base: string;
  gatewayId: string;
  sink: StatusSink;
  ports: () => PortView[];
  queue: () => QueueStats;
  /** The queue's books: received = published + dead-lettered + rejected + dropped + queued. */
  reconcile: (q: QueueStats) => Record<string, unknown>;
  broker: () => BrokerClientStatus;
  /** Read flow control (read-gate.ts): how often and how long reading waited for the broker. */
  readPauses?: () => ReadGateStatus;
  log: Logger;
  healthIntervalMs?: number;
  now?: () => number;
}

export class StatusReporter {
  private readonly startedAt: number;
  private readonly now: () => number;
  private readonly lastAvailability = new Map<string, boolean>();
  /** MySensors nodes' availability as last published, by `<port>/<node>`. */
  private readonly lastNodeAvailability = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: StatusReporterOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  start(): void {
    this.timer = setInterval(() => void this.publishHealth(), this.options.healthIntervalMs ?? 30_000);
    this.timer.unref();
    // A device falling silent changes availability without any event: look every second.
    this.silenceTimer = setInterval(() => void this.portChanged(), 1000);
    this.silenceTimer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.silenceTimer);
  }

  /** After every (re)connect: everything retained, then a health report. */
  async republishAll(): Promise<void> {
    await this.publish(gatewayStateTopic(this.options.base), 'online', true);
    for (const port of this.options.ports()) await this.publishAvailability(port, true);
    await this.publishDevices();
    await this.publishHealth();
  }

  /** A port opened, closed or was first heard from. */
  async portChanged(): Promise<void> {
    let changed = false;
    for (const port of this.options.ports())
      changed = (await this.publishAvailability(port, false)) || changed;
    if (changed) await this.publishDevices();
  }

  /** What gateway/devices shows changed (a MySensors node appeared or changed). */
  async devicesChanged(): Promise<void> {
    await this.publishDevices();
  }

  /** Graceful stop: the same `offline` the will would have said. */
  async publishOffline(): Promise<void> {
    for (const port of this.options.ports())
      await this.publish(availabilityTopic(this.options.base, port.name), 'offline', true);
    await this.publish(gatewayStateTopic(this.options.base), 'offline', true);
  }

  health(): Record<string, unknown> {
    const ports: Record<string, unknown> = {};
    for (const p of this.options.ports())
      ports[p.name] = {
        state: p.state,
        available: p.available,
        last_seen: iso(p.lastSeen),
        opens: p.opens,
        losses: p.losses,
        ...p.counters,
      };
    const q = this.options.queue();
    const pauses = this.options.readPauses?.();
    return {
      gateway: this.options.gatewayId,
      uptime_s: Math.round((this.now() - this.startedAt) / 1000),
      broker: this.options.broker(),
      queue: {
        depth: q.depth,
        bytes: q.bytes,
        inflight: q.inflight,
        oldest_age_ms: q.oldestAgeMs,
        dropped: q.dropped,
      },
      ...(pauses === undefined ? {} : { read_pauses: { count: pauses.pauses, paused_ms: pauses.pausedMs } }),
      ports,
    };
  }

  async publishHealth(): Promise<void> {
    await this.publish(gatewayHealthTopic(this.options.base), JSON.stringify(this.health()), false);
  }

  private async publishDevices(): Promise<void> {
    const list = this.options.ports().map((p) => ({
      port: p.name,
      path: p.path,
      device: p.device,
      description: p.description,
      format: p.format,
      state: p.state,
      available: p.available,
      last_seen: iso(p.lastSeen),
      fields: p.fields,
      commands: p.commands,
      ...(p.protocol === 'mysensors' ? { nodes: p.nodes } : {}),
    }));
    await this.publish(gatewayDevicesTopic(this.options.base), JSON.stringify(list), true);
  }

  /** Publishes a port's availability when it changed (or always when `force`); true if it did. */
  private async publishAvailability(port: PortView, force: boolean): Promise<boolean> {
    await this.publishNodeAvailability(port, force);
    if (!force && this.lastAvailability.get(port.name) === port.available) return false;
    this.lastAvailability.set(port.name, port.available);
    await this.publish(
      availabilityTopic(this.options.base, port.name),
      port.available ? 'online' : 'offline',
      true,
    );
    return true;
  }

  /**
   * MySensors controller mode: `<port>/<node>/availability` (retained) for each known node,
   * `online` while it is heard from within mysensors.node_timeout; published on change.
   */
  private async publishNodeAvailability(port: PortView, force: boolean): Promise<void> {
    for (const node of port.protocol === 'mysensors' ? port.nodes : []) {
      const key = `${port.name}/${node.node}`;
      if (!force && this.lastNodeAvailability.get(key) === node.available) continue;
      this.lastNodeAvailability.set(key, node.available);
      await this.publish(
        availabilityTopic(this.options.base, key),
        node.available ? 'online' : 'offline',
        true,
      );
    }
  }

  private async publish(topic: string, payload: string, retain: boolean): Promise<boolean> {
    // QoS 0: status describes the present and is republished on every reconnect, so it
    // needs no place in the persistent session — where, at QoS 1, it would take in-flight
    // slots the queue's messages count on and, replayed after a crash, push the session past
    // the broker's Receive Maximum (Mosquitto then drops the connection, 0x93).
    const ok = await this.options.sink.publishNow(topic, payload, { qos: 0, retain });
    if (!ok)
      this.options.log.debug(
        { topic },
        'status not published (broker not connected); sent again on reconnect',
      );
    return ok;
  }
}

function iso(t: number | null): string | null {
  return t === null ? null : new Date(t).toISOString();
}
