// /metrics: Prometheus text format from a prom-client Registry of our own (the
// global default registry would mix in whatever else shares the process). Every gauge and
// counter reads the live stats in collect(), on scrape — the same numbers gateway/health
// publishes, never a second copy kept in step. Only publish latency is observed as it
// happens (a Histogram cannot be rebuilt from totals).
// Names follow Prometheus naming (prometheus.io/docs/practices/naming): `tty2mqtt_` prefix on
// our own, `_total` on counters and only on counters, base units `_bytes` and `_seconds`, and
// `tty2mqtt_build_info` as the node exporter has `node_exporter_build_info`. prom-client's
// process and Node.js metrics keep their standard, unprefixed names (`process_cpu_seconds_total`,
// `nodejs_heap_size_used_bytes`), which stock dashboards expect (docs/decisions/0022).
// `promtool check metrics` finds nothing to say (test/integration/http-status.test.ts).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { buildInfo } from '../build-info.ts';
import { discardsByReason, framedInput, queuedMessages } from '../ports/port-view.ts';
import type { PortView } from '../ports/port-view.ts';
import type { OpsSource } from './status-source.ts';

export interface Metrics {
  registry: Registry;
  /** One message the broker acknowledged (QoS 1/2) or the socket took (QoS 0). */
  observeDelivery(qos: 0 | 1 | 2, latencySeconds: number): void;
  /** The text exposition, with its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** From a local broker's ~1 ms to a backlog delivered after an hour-long outage. */
export const LATENCY_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600,
];

/** prom-client default metrics that break `_total only on counters`: left out. */
const DEFAULT_GAUGES_NAMED_TOTAL = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

type Source = Pick<OpsSource, 'ports' | 'queue' | 'broker'> &
  Partial<Pick<OpsSource, 'embeddedBroker' | 'requests' | 'readPauses'>>;
type PortLabels = { port: string; device: string };

const labelsOf = (p: PortView): PortLabels => ({ port: p.name, device: p.device });

/** A counters object's numbers as [key, value] (Object.entries types an interface's values `any`). */
function numbersIn(counters: object | undefined): [string, number][] {
  return Object.entries(counters ?? {}).filter((e): e is [string, number] => typeof e[1] === 'number');
}

export function createMetrics(source: Source, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];

  /**
   * A counter or gauge whose values are read from the live stats at scrape time. A counter is
   * reset and incremented to the total: the same figure a gauge is set to.
   */
  function live<L extends string>(
    kind: 'counter' | 'gauge',
    name: string,
    help: string,
    labelNames: readonly L[],
    read: (set: (labels: Partial<Record<L, string>>, value: number) => void) => void,
  ): void {
    const configuration = {
      name,
      help,
      labelNames,
      registers,
      collect: () => {
        metric.reset();
        read((labels, value) =>
          metric instanceof Counter ? metric.inc(labels, value) : metric.set(labels, value),
        );
      },
    };
    const metric = kind === 'counter' ? new Counter<L>(configuration) : new Gauge<L>(configuration);
  }

  const portLabels = ['port', 'device'] as const;
  const eachPort = (fn: (p: PortView) => void): void => source.ports().forEach(fn);

  live('gauge', 'tty2mqtt_port_open', 'Serial port open (1) or not (0).', portLabels, (set) =>
    eachPort((p) => set(labelsOf(p), p.state === 'open' ? 1 : 0)),
  );
  live(
    'gauge',
    'tty2mqtt_port_available',
    'Port open and its device heard from (the <port>/availability topic).',
    portLabels,
    (set) => eachPort((p) => set(labelsOf(p), p.available ? 1 : 0)),
  );
  live(
    'gauge',
    'tty2mqtt_port_last_seen_timestamp_seconds',
    'When the device last sent anything (Unix time).',
    portLabels,
    (set) =>
      eachPort((p) => {
        if (p.lastSeen !== null) set(labelsOf(p), p.lastSeen / 1000);
      }),
  );
  live('counter', 'tty2mqtt_port_read_bytes_total', 'Bytes read from the serial port.', portLabels, (set) =>
    eachPort((p) => set(labelsOf(p), p.counters.bytes)),
  );
  live('counter', 'tty2mqtt_port_lines_total', 'Complete lines framed (line ports).', portLabels, (set) =>
    eachPort((p) => {
      const framed = framedInput(p);
      if (framed.unit === 'lines') set(labelsOf(p), framed.count);
    }),
  );
  live('counter', 'tty2mqtt_port_frames_total', 'Packets framed (MQTT-SN ports).', portLabels, (set) =>
    eachPort((p) => {
      const framed = framedInput(p);
      if (framed.unit === 'frames') set(labelsOf(p), framed.count);
    }),
  );
  live(
    'counter',
    'tty2mqtt_port_messages_queued_total',
    'Messages from this port handed to the queue.',
    portLabels,
    (set) => eachPort((p) => set(labelsOf(p), queuedMessages(p))),
  );
  live(
    'counter',
    'tty2mqtt_port_discards_total',
    'Input discarded, by reason (overlong, checksum_mismatch, parse_error, queue_full, ...).',
    [...portLabels, 'reason'],
    (set) =>
      eachPort((p) => {
        for (const [reason, n] of Object.entries(discardsByReason(p))) set({ ...labelsOf(p), reason }, n);
      }),
  );
  live('counter', 'tty2mqtt_port_opens_total', 'Times the serial port was opened.', portLabels, (set) =>
    eachPort((p) => set(labelsOf(p), p.opens)),
  );
  live('counter', 'tty2mqtt_port_losses_total', 'Times an open serial port was lost.', portLabels, (set) =>
    eachPort((p) => set(labelsOf(p), p.losses)),
  );
  live(
    'counter',
    'tty2mqtt_port_commands_total',
    'Commands (<port>/<command>/set) by status: received, written, rejected, expired, acked, failed.',
    [...portLabels, 'status'],
    (set) =>
      eachPort((p) => {
        if (p.protocol === 'mqttsn') return;
        for (const [status, n] of numbersIn(p.counters.commands)) set({ ...labelsOf(p), status }, n);
      }),
  );
  live(
    'counter',
    'tty2mqtt_port_mysensors_total',
    'MySensors controller mode by event: idsAssigned, idTableFull, reqAnswered, unpresented, valuesRejected, …',
    [...portLabels, 'event'],
    (set) =>
      eachPort((p) => {
        if (p.protocol === 'mqttsn') return;
        const { mysensors, mysensorsCommands } = p.counters;
        for (const [event, n] of numbersIn(mysensors)) set({ ...labelsOf(p), event }, n);
        for (const [status, n] of numbersIn(mysensorsCommands))
          set({ ...labelsOf(p), event: `command_${status}` }, n);
      }),
  );

  // The queue's unlabelled figures: [name, help, kind, read].
  type QueueStats = ReturnType<Source['queue']>;
  const queueFigures: [string, string, 'gauge' | 'counter', (q: QueueStats) => number][] = [
    ['tty2mqtt_queue_depth', 'Messages waiting in the queue (incl. in flight).', 'gauge', (q) => q.depth],
    ['tty2mqtt_queue_bytes', 'Bytes of the messages waiting in the queue.', 'gauge', (q) => q.bytes],
    [
      'tty2mqtt_queue_inflight',
      'Messages sent to the broker and not yet acknowledged.',
      'gauge',
      (q) => q.inflight,
    ],
    [
      'tty2mqtt_queue_oldest_age_seconds',
      'Age of the oldest waiting message (0 when empty).',
      'gauge',
      (q) => (q.oldestAgeMs ?? 0) / 1000,
    ],
    [
      'tty2mqtt_queue_storage_ok',
      'Queue storage healthy (1) or failing, e.g. disk full (0).',
      'gauge',
      (q) => (q.storageError === null ? 1 : 0),
    ],
    ['tty2mqtt_queue_received_total', 'Messages taken by the queue.', 'counter', (q) => q.received],
    ['tty2mqtt_queue_published_total', 'Messages delivered to the broker.', 'counter', (q) => q.published],
    [
      'tty2mqtt_queue_dead_lettered_total',
      'Messages the broker refused for good.',
      'counter',
      (q) => q.deadLettered,
    ],
    [
      'tty2mqtt_queue_rejected_total',
      'Messages refused because the queue was full (when_full: reject_new).',
      'counter',
      (q) => q.rejected,
    ],
    [
      'tty2mqtt_queue_dead_letters',
      'Dead letters kept (queue.dead_letter bounds).',
      'gauge',
      (q) => q.deadLetters,
    ],
    [
      'tty2mqtt_queue_dead_letter_bytes',
      'Payload and topic bytes of the dead letters kept.',
      'gauge',
      (q) => q.deadLetterBytes ?? 0,
    ],
    [
      'tty2mqtt_queue_staged_written_early_total',
      'Write-behind readings written to disk before their delay because staging reached its byte bound.',
      'counter',
      (q) => q.stagedEarly ?? 0,
    ],
  ];
  for (const [name, help, kind, read] of queueFigures)
    live(kind, name, help, [], (set) => set({}, read(source.queue())));
  live(
    'counter',
    'tty2mqtt_queue_dropped_total',
    'Messages dropped, by reason (dropped_oldest, expired, ring_overflow, qos0_ring_bytes).',
    ['reason'],
    (set) => {
      for (const [reason, n] of Object.entries(source.queue().dropped)) set({ reason }, n);
    },
  );
  live(
    'counter',
    'tty2mqtt_queue_dead_letters_evicted_total',
    'Dead letters removed to stay within queue.dead_letter, by bound (max_messages, max_bytes, max_age).',
    ['reason'],
    (set) => {
      for (const [reason, n] of Object.entries(source.queue().deadLetterEvictions ?? {})) set({ reason }, n);
    },
  );

  live('gauge', 'tty2mqtt_broker_connected', 'Connected to the MQTT broker (1) or not (0).', [], (set) =>
    set({}, source.broker()?.connected === true ? 1 : 0),
  );
  live('counter', 'tty2mqtt_broker_connects_total', 'Successful connections to the broker.', [], (set) =>
    set({}, source.broker()?.connects ?? 0),
  );
  live(
    'gauge',
    'tty2mqtt_publisher_qos0_window_bytes',
    'Bytes of QoS 0 publishes waiting for the broker connection to take them.',
    [],
    (set) => set({}, source.broker()?.qos0Window?.bytes ?? 0),
  );
  live(
    'counter',
    'tty2mqtt_publisher_qos0_window_full_total',
    'Times the QoS 0 send window filled by bytes and publishing waited for the connection to drain.',
    [],
    (set) => set({}, source.broker()?.qos0Window?.fullWaits ?? 0),
  );

  // The embedded broker's refusals (src/broker/embedded.ts stats), one series per kind:
  // refused_logins, refused_publishes, oversize_packets, slow_clients_dropped, …
  live(
    'counter',
    'tty2mqtt_embedded_broker_refusals_total',
    'What the embedded broker refused or cut off, by kind (absent with an external broker).',
    ['kind'],
    (set) => {
      const stats = source.embeddedBroker?.() ?? null;
      if (stats === null) return;
      for (const [key, n] of Object.entries(stats))
        set({ kind: key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) }, n);
    },
  );

  // MQTT 5 Response Topics a request named and the gateway did not answer on (requests/response-topic.ts).
  live(
    'counter',
    'tty2mqtt_request_response_topics_refused_total',
    'Response Topics of gateway requests refused, by reason (outside, subscribed, dollar, wildcard, too_long).',
    ['reason'],
    (set) => {
      const stats = source.requests?.() ?? null;
      if (stats === null) return;
      for (const [reason, n] of Object.entries(stats.refusedByReason)) set({ reason }, n);
    },
  );

  // Firmware updates (docs/firmware.md): every flash request, by how it ended.
  live(
    'counter',
    'tty2mqtt_firmware_flashes_total',
    'Flash requests by result: ok, bad_request, not_allowed, invalid, unsupported, no_sync, wrong_board, verify_failed, flash_failed, failed.',
    ['result'],
    (set) => {
      const stats = source.requests?.() ?? null;
      if (stats === null) return;
      for (const [result, n] of Object.entries(stats.flashes)) set({ result }, n ?? 0);
    },
  );

  // Read flow control (docs/decisions/0018): reading paused while the broker lagged.
  live(
    'counter',
    'tty2mqtt_read_pauses_total',
    'Times the ports stopped reading for a lagging broker (at most 100 ms each).',
    [],
    (set) => {
      const stats = source.readPauses?.() ?? null;
      if (stats !== null) set({}, stats.pauses);
    },
  );
  live(
    'counter',
    'tty2mqtt_read_paused_seconds_total',
    'Time the ports spent not reading because the broker lagged.',
    [],
    (set) => {
      const stats = source.readPauses?.() ?? null;
      if (stats !== null) set({}, stats.pausedMs / 1000);
    },
  );

  const latency = new Histogram<'qos'>({
    name: 'tty2mqtt_publish_latency_seconds',
    help: 'From a reading arriving (queued) to the broker acknowledging it (QoS 1/2) or the socket taking it (QoS 0).',
    labelNames: ['qos'],
    buckets: LATENCY_BUCKETS_S,
    registers,
  });

  const build = buildInfo();
  new Gauge({
    name: 'tty2mqtt_build_info',
    help: 'The running build: its version, the Node.js version and the source commit. Always 1.',
    labelNames: ['version', 'node', 'commit'],
    registers,
  }).set(build, 1);

  if (options.defaultMetrics !== false) {
    // Process CPU/memory and event-loop delay (nodejs_eventloop_lag_*_seconds); 10 ms
    // resolution is plenty for a daemon whose serial reads take microseconds.
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
    // Gauges named like counters; each is the sum of its labelled sibling (nodejs_active_handles
    // by type), so nothing is lost.
    for (const name of DEFAULT_GAUGES_NAMED_TOTAL) registry.removeSingleMetric(name);
  }

  return {
    registry,
    observeDelivery(qos, seconds) {
      latency.observe({ qos: String(qos) }, Math.max(0, seconds));
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
