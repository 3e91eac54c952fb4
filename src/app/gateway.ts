// The composition root (docs/architecture.md): the loaded config becomes wired services,
// started in order — embedded broker, queue, publisher, status, ports — and stopped in
// reverse with one deadline (docs/contract.md §6: stop reading, flush, publish `offline`, exit
// within 5 s). The only place that knows every folder.
import { resolve as resolvePath } from 'node:path';
import type { BindingInterface } from '../serial/binding.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { EmbeddedBroker } from '../broker/embedded.ts';
import type { Logger } from '../log/logger.ts';
import type { BrokerLink } from '../mqtt/connect-options.ts';
import { BrokerClient } from '../mqtt/broker-client.ts';
import type { Publisher } from '../mqtt/publisher.ts';
import type { ServiceSnapshot } from '../ops/liveness.ts';
import type { QueueStats, SessionOutbox } from '../queue/outbox.ts';
import { lockQueue } from '../queue/lock.ts';
import type { QueueLock } from '../queue/lock.ts';
import { openSqliteOutbox } from '../queue/sqlite-outbox.ts';
import { assertPortsFree } from '../serial/port-in-use.ts';
import { HaDiscoveryPublisher, discoveryInput, packageVersion } from './ha-discovery-publisher.ts';
import type { DiscoveryMessage } from '../topics/discovery.ts';
import { buildNodeDiscovery } from '../mysensors/ha-entities.ts';
import { listPorts } from '../serial/list.ts';
import { GatewayRequests } from '../requests/gateway-requests.ts';
import type { FirmwareFlasher, FlashTarget } from './firmware-flash.ts';
import { platformBinding } from '../serial/binding.ts';
import { createLinePort } from '../ports/line-part.ts';
import { createMqttSnPort } from '../ports/mqttsn-part.ts';
import type { PortHost } from '../ports/port-host.ts';
import type { Subscribe } from '../mqtt/subscriptions.ts';
import { StatusReporter } from './status-reporter.ts';
import { gatewayStateTopic } from '../topics/gateway-owned.ts';
import type { OpsServer } from '../ops/http.ts';
import { recentErrorsOf } from '../log/recent-errors.ts';
import { ReadGate } from './read-gate.ts';
import { createLastReadings } from '../ops/status-readings.ts';
import type { OpsSource } from '../ops/status-source.ts';

export interface GatewayOptions {
  loaded: LoadedConfig;
  log: Logger;
  /** Serial bindings; the demo passes MockBinding-based ones. Default: the real ones. */
  binding?: BindingInterface;
  healthIntervalMs?: number;
}

export interface GatewayStopReport {
  drained: boolean;
  queued: number;
  elapsedMs: number;
}

export class Gateway {
  readonly ports: PortHost[];
  private broker: EmbeddedBroker | undefined;
  /** Read flow control while the broker is slower than the devices (read-gate.ts). */
  private readGate: ReadGate | undefined;
  private unsubscribeGate: (() => void) | undefined;
  private brokerClient: Publisher | undefined;
  private status: StatusReporter | undefined;
  private discovery: HaDiscoveryPublisher | undefined;
  /** A MySensors node changed: gateway/devices and its HA configs go out once it settles. */
  private nodesTimer: NodeJS.Timeout | undefined;
  private requests: GatewayRequests | undefined;
  /** Made at the first flash request: most gateways never flash, and idle memory counts. */
  private flasher: Promise<FirmwareFlasher> | undefined;
  private started = false;
  private storageWatch: NodeJS.Timeout | undefined;
  private lastStorageError: string | null = null;
  /** `http.listen`: /metrics, /healthz and the status page. */
  private http: OpsServer | undefined;
  private readonly readings = createLastReadings();
  private readonly startedAt = Date.now();

  /**
   * Locks first: the queue, then a look at every port, so a second gateway
   * fails fast before it starts a broker, publishes `gateway/state` or touches a port. Then
   * opens the durable queue (recovering what a previous run left) and wires the ports.
   */
  static async open(options: GatewayOptions): Promise<Gateway> {
    const q = options.loaded.config.queue;
    const queueLock = lockQueue(q.path ?? 'data/queue.db');
    try {
      // Mock bindings (the demo) have no real ports to look at.
      if (options.binding === undefined) assertPortsFree(options.loaded.config.ports);
      return await Gateway.openLocked(options, queueLock);
    } catch (error) {
      queueLock.release();
      throw error;
    }
  }

  private static async openLocked(options: GatewayOptions, queueLock: QueueLock): Promise<Gateway> {
    const q = options.loaded.config.queue;
    const outbox = await openSqliteOutbox({
      path: q.path ?? 'data/queue.db',
      durability: q.durability,
      maxMessages: q.max_messages,
      maxBytes: q.max_bytes,
      maxAgeMs: q.max_age,
      whenFull: q.when_full,
      // durability full means on disk before anything else: no write-behind.
      writeDelayMs: q.durability === 'full' ? 0 : q.write_delay,
      ring: { maxMessages: q.qos0_ring.max_messages, maxBytes: q.qos0_ring.max_bytes },
      deadLetter: {
        maxMessages: q.dead_letter.max_messages,
        maxBytes: q.dead_letter.max_bytes,
        maxAgeMs: q.dead_letter.max_age,
      },
      log: options.log.child({ service: 'queue' }),
    });
    const recovered = outbox.stats();
    if (recovered.depth > 0 || outbox.packets.all().length > 0)
      options.log.info(
        {
          queued: recovered.depth,
          bytes: recovered.bytes,
          inSession: outbox.packets.all().length,
          path: q.path,
        },
        'recovered queued messages from a previous run',
      );
    return new Gateway(options, outbox, queueLock);
  }

  private constructor(
    private readonly options: GatewayOptions,
    readonly outbox: SessionOutbox,
    private readonly queueLock: QueueLock,
  ) {
    const { config, profiles } = options.loaded;
    // The publisher exists once start() runs, before any port starts.
    const subscribe: Subscribe = (filter, qos, handler) => {
      if (this.brokerClient === undefined) throw new Error('subscribe before the publisher started');
      return this.brokerClient.subscriptions.add(filter, qos, handler);
    };
    this.ports = config.ports.map((port) => {
      const profile = profiles.get(port.device);
      if (profile === undefined)
        throw new Error(`no profile ${port.device} (config loader should have said so)`);
      if (profile.protocol === 'mqttsn')
        return createMqttSnPort({
          port,
          profile,
          base: config.gateway.base_topic,
          outbox: this.outbox,
          subscribe,
          log: options.log.child({ port: port.name }),
          binding: options.binding,
          onChange: () => void this.status?.portChanged(),
          onReading: (values, at) => this.readings.record(port.name, values, at),
        });
      return createLinePort({
        port,
        profile,
        subscribe,
        base: config.gateway.base_topic,
        gatewayId: config.gateway.id,
        outbox: this.outbox,
        log: options.log.child({ port: port.name }),
        binding: options.binding,
        onChange: () => void this.status?.portChanged(),
        onReading: (values, at) => this.readings.record(port.name, values, at),
        ...(this.outbox.mysensors === undefined ? {} : { mysensorsStore: this.outbox.mysensors }),
        onDevicesChanged: () => this.nodesChanged(),
      });
    });
  }

  /**
   * A MySensors node appeared or changed. A node presents in a burst of lines at start-up:
   * gateway/devices and the nodes' discovery configs go out once, 500 ms after the last one.
   */
  private nodesChanged(): void {
    clearTimeout(this.nodesTimer);
    this.nodesTimer = setTimeout(() => {
      this.nodesTimer = undefined;
      void this.status?.devicesChanged();
      void this.discovery?.publishDynamic();
    }, 500);
    this.nodesTimer.unref();
  }

  /** Home Assistant configs of every MySensors node the controller ports know. */
  private nodeDiscovery(): DiscoveryMessage[] {
    const { config, profiles } = this.options.loaded;
    return config.ports.flatMap((port, i) => {
      const view = this.ports[i]?.view();
      if (view?.protocol !== 'mysensors') return [];
      return buildNodeDiscovery({
        base: config.gateway.base_topic,
        gatewayId: config.gateway.id,
        prefix: config.homeassistant.prefix,
        version: packageVersion(),
        port: port.name,
        config: profiles.get(port.device)?.mysensors?.config ?? 'M',
        nodes: view.nodes,
        fixedChildren: fixedMySensorsChildren(profiles.get(port.device)?.fields ?? {}),
      });
    });
  }

  /** Where the embedded broker listens (after start), for the demo and tests. */
  brokerAddress(): { host: string; port: number } | undefined {
    return this.broker?.address();
  }

  async start(signal: AbortSignal): Promise<void> {
    const { config } = this.options.loaded;
    const log = this.options.log;
    // prom-client and the status page are loaded only when http.listen is set (idle memory,
    // docs/performance.md); the load starts here, alongside the broker's.
    const opsModule = config.http.listen === null ? undefined : import('../ops/http.ts');
    if (config.mqtt.broker === 'embedded') {
      const b = config.embedded_broker;
      const dir = this.options.loaded.dir;
      // Without mqtt.username the gateway acts as the broker's internal per-run login, allowed
      // exactly its own roots; with it, as that user (its publishes pass the same checks).
      const roots = [
        `${config.gateway.base_topic}/#`,
        ...(config.homeassistant.discovery ? [`${config.homeassistant.prefix}/#`] : []),
      ];
      // Loaded only when configured (aedes, ws): an external-broker site never pays for them
      // in start-up time or memory (idle RSS, docs/performance.md).
      const { EmbeddedBroker } = await import('../broker/embedded.ts');
      this.broker = new EmbeddedBroker({
        listen: b.listen,
        websocket: b.websocket,
        websocketOrigins: b.websocket_origins,
        tls:
          b.tls === null
            ? null
            : {
                listen: b.tls.listen,
                cert: resolvePath(dir, b.tls.cert),
                key: resolvePath(dir, b.tls.key),
                ca: b.tls.ca === null ? null : resolvePath(dir, b.tls.ca),
              },
        users: b.users.map((u) => ({
          username: u.username,
          password: (u as { password?: string }).password ?? '',
        })),
        acl: b.acl,
        maxPacketSize: b.max_packet_size,
        maxTopicLevels: b.max_topic_levels,
        gatewayRoots: config.mqtt.username === undefined ? roots : null,
        // Nobody else may connect as the gateway's client id (who reads the broker's clients
        // must not be misled; decision 0013).
        gatewayClientId: config.mqtt.client_id,
        gatewayUsername: config.mqtt.username ?? null,
        log: log.child({ service: 'embedded-broker' }),
      });
      await this.broker.start(signal);
    }
    const base = config.gateway.base_topic;
    const onConnect = (): void => {
      void this.status?.republishAll();
      void this.discovery?.publishAll();
    };
    const onDelivered = (qos: 0 | 1 | 2, ms: number): void =>
      this.http?.metrics.observeDelivery(qos, ms / 1000);
    let brokerClient: Publisher;
    if (this.broker !== undefined) {
      // The embedded broker takes the gateway's messages in the process (local-publisher.ts).
      const { LocalPublisher } = await import('../broker/local-publisher.ts');
      brokerClient = new LocalPublisher({
        broker: this.broker,
        outbox: this.outbox,
        inflight: config.queue.inflight,
        log: log.child({ service: 'publisher' }),
        onConnect,
        onDelivered,
      });
    } else {
      const link: BrokerLink = {
        url: config.mqtt.url ?? '',
        clientId: config.mqtt.client_id,
        username: config.mqtt.username,
        password: config.mqtt.password,
        protocolVersion: config.mqtt.protocol_version,
        keepaliveMs: config.mqtt.keepalive,
        tls: config.mqtt.tls,
        will: { topic: gatewayStateTopic(base), payload: 'offline', qos: 1, retain: true },
      };
      brokerClient = new BrokerClient({
        link,
        outbox: this.outbox,
        inflight: config.queue.inflight,
        gatewayId: config.gateway.id,
        log: log.child({ service: 'publisher' }),
        onConnect,
        onDelivered,
      });
    }
    this.brokerClient = brokerClient;
    const backlog = this.outbox.readBacklog?.bind(this.outbox);
    const gate =
      backlog === undefined
        ? undefined
        : new ReadGate({
            backlog,
            connected: () => brokerClient.connected,
            pause: () => this.ports.forEach((p) => p.pauseReading()),
            resume: () => this.ports.forEach((p) => p.resumeReading()),
          });
    this.readGate = gate;
    if (gate !== undefined) this.unsubscribeGate = this.outbox.onAvailable(() => gate.check());
    this.status = new StatusReporter({
      base,
      gatewayId: config.gateway.id,
      sink: brokerClient,
      ports: () => this.ports.map((p) => p.view()),
      queue: () => this.outbox.stats(),
      reconcile: reconciliation,
      broker: () => brokerClient.status(),
      ...(gate === undefined ? {} : { readPauses: () => gate.status() }),
      log,
      ...(this.options.healthIntervalMs === undefined
        ? {}
        : { healthIntervalMs: this.options.healthIntervalMs }),
    });
    if (config.homeassistant.discovery) {
      this.discovery = new HaDiscoveryPublisher({
        input: discoveryInput(this.options.loaded),
        sink: brokerClient,
        subscribe: (filter, qos, handler) => brokerClient.subscriptions.add(filter, qos, handler),
        log: log.child({ service: 'ha-discovery' }),
        dynamic: () => this.nodeDiscovery(),
      });
      this.discovery.start();
    }
    this.requests = new GatewayRequests({
      base,
      flash: async (request, onProgress) => (await this.firmwareFlasher()).flash(request, onProgress),
      subscribe: (filter, qos, handler) => brokerClient.subscriptions.add(filter, qos, handler),
      isSubscribed: (topic) => brokerClient.subscriptions.covers(topic),
      sink: brokerClient,
      health: () => this.health(),
      ports: () => this.ports.map((p) => ({ name: p.view().name, restart: () => p.restart() })),
      listPorts: async () => ({
        configured: this.ports.map((p) => {
          const v = p.view();
          return { name: v.name, path: v.path, device: v.device, state: v.state, available: v.available };
        }),
        serial: await listPorts(),
      }),
      log: log.child({ service: 'requests' }),
    });
    this.requests.start();
    // Listening before the broker connects: whoever sees the gateway online can ask it.
    if (config.http.listen !== null && opsModule !== undefined) {
      const { startOpsServer } = await opsModule;
      this.http = await startOpsServer({
        listen: config.http.listen,
        allowedHosts: config.http.allowed_hosts,
        source: this.opsSource(),
        log: log.child({ service: 'http' }),
      });
    }
    await brokerClient.start(signal);
    this.status.start();
    for (const port of this.ports) await port.start(signal);
    this.storageWatch = setInterval(() => this.watchStorage(), 1000);
    this.storageWatch.unref();
    this.started = true;
    log.info(
      { ports: this.ports.length, broker: config.mqtt.broker, base },
      `tty2mqtt running: ${this.ports.length} port(s), publishing under ${base}/`,
    );
  }

  /** The firmware flasher (firmware-flash.ts) and its programmers, loaded on first use. */
  private firmwareFlasher(): Promise<FirmwareFlasher> {
    this.flasher ??= this.makeFlasher();
    return this.flasher;
  }

  private async makeFlasher(): Promise<FirmwareFlasher> {
    const { FirmwareFlasher } = await import('./firmware-flash.ts');
    const { config } = this.options.loaded;
    const log = this.options.log.child({ service: 'flash' });
    const binding = this.options.binding ?? platformBinding();
    return new FirmwareFlasher({
      allow: config.flash.allow,
      targets: () => this.ports.map(flashTarget),
      programmer: async () => {
        const { selectProgrammer } = await import('../firmware/select-programmer.ts');
        const { openProgrammingLink } = await import('../serial/programming-link.ts');
        const selected = await selectProgrammer(config.flash.programmer, {
          openLink: (path, baudRate) => openProgrammingLink(binding, path, baudRate),
        });
        if (selected.fallbackReason !== undefined)
          log.info(
            { reason: selected.fallbackReason },
            `flash: avrdude not used (${selected.fallbackReason}); using the built-in STK500v1 programmer`,
          );
        return selected.programmer;
      },
      log,
    });
  }

  /** Graceful stop within `deadlineMs`: stop reading, flush, publish offline, disconnect. */
  async stop(deadlineMs = 5000): Promise<GatewayStopReport> {
    const startedAt = Date.now();
    const remaining = (): number => Math.max(0, deadlineMs - (Date.now() - startedAt));
    const log = this.options.log;
    clearInterval(this.storageWatch);
    clearTimeout(this.nodesTimer);
    await this.http?.close();
    this.unsubscribeGate?.();
    this.readGate?.stop();
    void this.flasher?.then((f) => f.stop());
    await Promise.allSettled(this.ports.map((p) => p.stop()));
    this.status?.stop();
    this.discovery?.stop();
    this.requests?.stop();
    let drained = false;
    if (this.brokerClient !== undefined) {
      drained = await this.brokerClient.drain(Math.max(0, remaining() - 1500));
      await this.status?.publishOffline();
      await this.brokerClient.stop();
    }
    await this.broker?.stop();
    await this.outbox.close();
    this.queueLock.release();
    const q = this.outbox.stats();
    const report = { drained, queued: q.depth, elapsedMs: Date.now() - startedAt };
    const counters = Object.fromEntries(this.ports.map((p) => [p.view().name, p.counters]));
    log.info(
      {
        ...report,
        started: this.started,
        queue: reconciliation(q),
        ports: counters,
        // How often (and how long in all) reading waited for the broker (read-gate.ts).
        ...(this.readGate === undefined ? {} : { readPauses: this.readGate.status() }),
      },
      'tty2mqtt stopped',
    );
    return report;
  }

  /** The outbox reports storage trouble (disk full) in its stats; say it once, and its end. */
  private watchStorage(): void {
    const error = this.outbox.stats().storageError;
    if (error === this.lastStorageError) return;
    if (error !== null)
      this.options.log.error(
        { err: error },
        'queue storage failing: devices are told NAK full until it recovers',
      );
    else this.options.log.info({ was: this.lastStorageError }, 'queue storage recovered');
    this.lastStorageError = error;
  }

  /** Read-only progress figures for the systemd watchdog and STATUS= (src/ops/watchdog.ts). */
  liveness(): ServiceSnapshot {
    return {
      ports: this.started ? this.ports.map((p) => p.supervision()) : [],
      publisher: this.brokerClient?.progress() ?? null,
      configuredPorts: this.ports.length,
      queued: this.outbox.stats().depth,
    };
  }

  /** What /metrics, /healthz and the status page read: the live objects, no copies. */
  private opsSource(): OpsSource {
    const { config, profiles } = this.options.loaded;
    return {
      gatewayId: config.gateway.id,
      baseTopic: config.gateway.base_topic,
      startedAt: this.startedAt,
      ports: () => this.ports.map((p) => p.view()),
      queue: () => this.outbox.stats(),
      embeddedBroker: () => this.broker?.stats() ?? null,
      requests: () => this.requests?.stats() ?? null,
      readPauses: () => this.readGate?.status() ?? null,
      queueLimits: {
        maxMessages: config.queue.max_messages,
        maxBytes: config.queue.max_bytes,
        whenFull: config.queue.when_full,
      },
      broker: () => this.brokerClient?.status() ?? null,
      started: () => this.brokerClient !== undefined,
      readings: this.readings,
      errors: recentErrorsOf(this.options.log),
      unit: (port, field) => {
        const device = config.ports.find((p) => p.name === port)?.device;
        return device === undefined ? undefined : profiles.get(device)?.fields[field]?.unit;
      },
    };
  }

  health(): Record<string, unknown> | undefined {
    return this.status?.health();
  }
}

/**
 * The queue's books: received = published + dead-lettered + rejected +
 * dropped + queued, where received includes the backlog recovered at start.
 */
export function reconciliation(q: QueueStats): Record<string, unknown> {
  const dropped = Object.values(q.dropped).reduce((a, b) => a + b, 0);
  const accounted = q.published + q.deadLettered + q.rejected + dropped + q.depth;
  return {
    received: q.received,
    recovered: q.recovered,
    published: q.published,
    dead_lettered: q.deadLettered,
    rejected: q.rejected,
    dropped,
    queued: q.depth,
    balanced: accounted === q.received,
  };
}

/** The `<child>` of every fixed field's wire key `<child>/<V_TYPE>` (the key defaults to the field name). */
function fixedMySensorsChildren(fields: Readonly<Record<string, { key?: string | undefined }>>): Set<string> {
  const children = new Set<string>();
  for (const [name, field] of Object.entries(fields)) {
    const key = field.key ?? name;
    const slash = key.indexOf('/');
    if (slash > 0) children.add(key.slice(0, slash));
  }
  return children;
}

/** What the firmware flasher needs of a port. */
function flashTarget(port: PortHost): FlashTarget {
  const { port: config, profile } = port.config;
  return {
    name: config.name,
    path: config.path,
    mcu: profile.mcu,
    device: profile.id,
    hold: (reason) => port.hold(reason),
    observe: (listener) => port.observe(listener),
  };
}
