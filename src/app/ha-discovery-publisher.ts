// Publishes the Home Assistant discovery configs (ha-discovery.ts) when
// `homeassistant.discovery: true`:
// - all of them, retained, after every broker connect, and again whenever Home Assistant
//   announces itself with `online` on `<prefix>/status` (its birth message: it restarted or
//   reloaded MQTT and now wants the configs);
// - once per run, the clean-up: for a short settle time after the first connect it listens on
//   `<prefix>/+/tty2mqtt_<gateway>/+/config`, where the broker replays every config an earlier
//   run left retained, and clears (empty retained payload) each one this run no longer
//   produces — a port, field or command removed from the config. A topic still produced is
//   never cleared. Then it unsubscribes again;
// - `dynamic` configs (MySensors nodes, known from the queue database at start) count as
//   produced, and go out again when a node changes (publishDynamic).
//
// QoS 0, like the other status messages (status-reporter.ts): the configs are retained and
// sent again on every connect, so they need no place in the persistent session, where at
// QoS 1 a few dozen of them would take in-flight slots beyond the broker's Receive Maximum
// while the queue is draining its backlog (Mosquitto drops the connection then).
import { readFileSync } from 'node:fs';
import type { LoadedConfig } from '../config/load.ts';
import type { Logger } from '../log/logger.ts';
import type { InboundMessage, QoS } from '../mqtt/subscriptions.ts';
import { packagePath } from '../package-root.ts';
import { discoveryFilter } from '../topics/discovery.ts';
import type { DiscoveryMessage } from '../topics/discovery.ts';
import { buildDiscovery, fieldStateTopic } from './ha-discovery.ts';
import type { DiscoveryInput } from './ha-discovery.ts';
import type { StatusSink } from './status-reporter.ts';

export interface HaDiscoveryPublisherOptions {
  input: DiscoveryInput;
  sink: StatusSink;
  /** Adds a broker subscription; returns its removal (mqtt/subscriptions.ts). */
  subscribe: (filter: string, qos: QoS, handler: (m: InboundMessage) => void) => () => void;
  log: Logger;
  /** How long after the first connect earlier runs' configs are looked for. */
  settleMs?: number;
  /** Configs that change at run time (MySensors nodes presenting): asked for on each use. */
  dynamic?: () => DiscoveryMessage[];
}

const DEFAULT_SETTLE_MS = 2000;

/** tty2mqtt's version from package.json. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The discovery input of a loaded config: every port with its profile. */
export function discoveryInput(loaded: LoadedConfig, version = packageVersion()): DiscoveryInput {
  const { config, profiles } = loaded;
  return {
    base: config.gateway.base_topic,
    gatewayId: config.gateway.id,
    prefix: config.homeassistant.prefix,
    version,
    ports: config.ports.flatMap((port) => {
      const profile = profiles.get(port.device);
      return profile === undefined ? [] : [{ name: port.name, vars: port.vars, profile }];
    }),
  };
}

export class HaDiscoveryPublisher {
  private readonly messages: readonly DiscoveryMessage[];
  private readonly produced: ReadonlySet<string>;
  private readonly cleared = new Set<string>();
  private readonly removers: (() => void)[] = [];
  private removeSweep: (() => void) | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private sweepStarted = false;
  private stopped = false;

  constructor(private readonly options: HaDiscoveryPublisherOptions) {
    this.messages = buildDiscovery(options.input);
    this.produced = new Set(this.messages.map((m) => m.topic));
  }

  /** Subscribes `<prefix>/status` and the clean-up filter (sent when the broker connects). */
  start(): void {
    const { input, log } = this.options;
    for (const port of input.ports)
      for (const field of Object.keys(port.profile.fields))
        if (fieldStateTopic(input, port, field) === undefined)
          log
            .child({ port: port.name })
            .info(
              { field },
              'field has no fixed topic (a level the device supplies): no Home Assistant entity',
            );
    this.removers.push(this.options.subscribe(`${input.prefix}/status`, 1, (m) => this.onStatus(m)));
    this.removeSweep = this.options.subscribe(
      discoveryFilter(input.prefix, input.gatewayId),
      0,
      (m) => void this.onExisting(m),
    );
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.settleTimer);
    this.endSweep();
    for (const remove of this.removers.splice(0)) remove();
  }

  /** Every config, retained; after each connect. Resolves with how many were sent. */
  async publishAll(): Promise<number> {
    if (this.stopped) return 0;
    if (!this.sweepStarted) {
      this.sweepStarted = true;
      this.settleTimer = setTimeout(() => this.endSweep(), this.options.settleMs ?? DEFAULT_SETTLE_MS);
      this.settleTimer.unref();
    }
    let sent = 0;
    for (const m of [...this.messages, ...(this.options.dynamic?.() ?? [])]) {
      if (await this.options.sink.publishNow(m.topic, m.payload, { qos: 0, retain: true })) sent += 1;
    }
    this.options.log.debug({ sent, of: this.messages.length }, 'Home Assistant discovery configs published');
    return sent;
  }

  /** The run-time configs only (a MySensors node appeared or changed). Resolves with how many were sent. */
  async publishDynamic(): Promise<number> {
    if (this.stopped) return 0;
    let sent = 0;
    for (const m of this.options.dynamic?.() ?? [])
      if (await this.options.sink.publishNow(m.topic, m.payload, { qos: 0, retain: true })) sent += 1;
    return sent;
  }

  /** Home Assistant's birth message. A retained `online` is old news: the connect covered it. */
  private onStatus(message: InboundMessage): void {
    if (message.retain || message.payload.toString('utf8') !== 'online') return;
    this.options.log.info('Home Assistant came online: publishing discovery configs again');
    void this.publishAll();
  }

  /** A config on our node id: cleared when this run no longer produces it. */
  private async onExisting(message: InboundMessage): Promise<void> {
    if (message.payload.length === 0) return; // already cleared (or our own clearing echoed)
    const { topic } = message;
    if (this.produced.has(topic) || this.cleared.has(topic)) return;
    if (this.options.dynamic?.().some((m) => m.topic === topic) === true) return;
    this.cleared.add(topic);
    const ok = await this.options.sink.publishNow(topic, '', { qos: 0, retain: true });
    if (ok) this.options.log.info({ topic }, 'removed Home Assistant discovery config no longer produced');
    else this.cleared.delete(topic); // not connected: the replay after the reconnect tries again
  }

  private endSweep(): void {
    this.removeSweep?.();
    this.removeSweep = undefined;
  }
}
