// /metrics text output: parsed line by line — names, labels, HELP/TYPE, and
// that values are read from the live stats on every scrape.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { LineSection, PortView } from '../../../src/ports/port-view.ts';
import { createLinePortCounters } from '../../../src/ports/port-counters.ts';
import type { MqttSnPortCounters } from '../../../src/ports/port-counters.ts';
import { createMetrics } from '../../../src/ops/metrics.ts';
import type { BrokerClientStatus } from '../../../src/mqtt/broker-client.ts';
import type { QueueStats } from '../../../src/queue/outbox.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, enough of it to check ours (no escapes in our labels but quotes). */
function parse(text: string): { samples: Sample[]; help: Map<string, string>; type: Map<string, string> } {
  const samples: Sample[] = [];
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta !== null) {
      (meta[1] === 'HELP' ? help : type).set(meta[2]!, meta[3]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m !== null, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, help, type };
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

function one(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = find(samples, name, labels);
  assert.equal(found.length, 1, `${name} ${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]!.value;
}

function linePort(): PortView<LineSection> {
  const counters = createLinePortCounters();
  return {
    name: 'livingroom',
    path: '/dev/ttyACM0',
    device: 'climate',
    description: 'DHT22',
    format: 'kv',
    state: 'open',
    available: true,
    lastSeen: 1_700_000_000_000,
    opens: 1,
    losses: 0,
    fields: ['temperature'],
    commands: [],
    protocol: 'line',
    counters,
  };
}

function snPort(): PortView {
  return {
    ...linePort(),
    name: 'garden',
    device: 'sn-weather',
    format: 'mqttsn/raw',
    state: 'closed',
    available: false,
    lastSeen: null,
    protocol: 'mqttsn',
    counters: {
      bytes: 10,
      frames: 4,
      discards: { bad_length: 2 },
      packetsIn: 4,
      packetsOut: 3,
      connects: 1,
      published: 3,
      duplicates: 0,
      delivered: 0,
      willsPublished: 0,
      lost: 0,
      drops: { bad_length: 1, unknown_topic_id: 5 },
    } as unknown as MqttSnPortCounters,
  };
}

function queueStats(over: Partial<QueueStats> = {}): QueueStats {
  return {
    depth: 7,
    bytes: 700,
    inflight: 2,
    oldestAgeMs: 1500,
    dropped: { expired: 3 },
    received: 20,
    recovered: 0,
    published: 10,
    deadLettered: 1,
    rejected: 2,
    deadLetters: 1,
    storageError: null,
    ...over,
  };
}

const broker = (connected: boolean): BrokerClientStatus => ({
  connected,
  url: 'mqtt://127.0.0.1:1883',
  connects: 2,
  lastError: null,
  inflight: 0,
  inflightLimit: 20,
  published: 10,
  refusedByBroker: 0,
});

describe('ops metrics (/metrics text)', () => {
  it('exposes per-port, queue and broker metrics with HELP, TYPE and labels', async () => {
    const line = linePort();
    const sn = snPort();
    const metrics = createMetrics(
      {
        ports: () => [line, sn],
        queue: () => queueStats(),
        broker: () => broker(true),
        readPauses: () => ({ pauses: 3, pausedMs: 250 }),
      },
      { defaultMetrics: false },
    );
    const { contentType, body } = await metrics.render();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    const { samples, help, type } = parse(body);

    // Every family has HELP and TYPE, the tty2mqtt_ prefix and Prometheus suffixes.
    for (const [name, t] of type) {
      assert.match(name, /^tty2mqtt_[a-z0-9_]+$/);
      assert.ok((help.get(name) ?? '').length > 10, `HELP of ${name}`);
      if (t === 'counter') assert.match(name, /_total$/, `${name} is a counter`);
      else assert.doesNotMatch(name, /_total$/, `${name} is a ${t}`);
    }
    assert.equal(type.get('tty2mqtt_port_lines_total'), 'counter');
    assert.equal(type.get('tty2mqtt_queue_depth'), 'gauge');
    assert.equal(type.get('tty2mqtt_publish_latency_seconds'), 'histogram');
    assert.equal(one(samples, 'tty2mqtt_read_pauses_total'), 3);
    assert.equal(one(samples, 'tty2mqtt_read_paused_seconds_total'), 0.25);

    assert.equal(one(samples, 'tty2mqtt_port_open', { port: 'livingroom', device: 'climate' }), 1);
    assert.equal(one(samples, 'tty2mqtt_port_open', { port: 'garden', device: 'sn-weather' }), 0);
    assert.equal(one(samples, 'tty2mqtt_port_available', { port: 'livingroom' }), 1);
    assert.equal(
      one(samples, 'tty2mqtt_port_last_seen_timestamp_seconds', { port: 'livingroom' }),
      1_700_000_000,
    );
    assert.equal(find(samples, 'tty2mqtt_port_last_seen_timestamp_seconds', { port: 'garden' }).length, 0);
    // Line ports have lines, MQTT-SN ports frames; neither a made-up zero of the other.
    assert.equal(one(samples, 'tty2mqtt_port_lines_total', { port: 'livingroom' }), 0);
    assert.equal(find(samples, 'tty2mqtt_port_lines_total', { port: 'garden' }).length, 0);
    assert.equal(one(samples, 'tty2mqtt_port_frames_total', { port: 'garden' }), 4);
    assert.equal(one(samples, 'tty2mqtt_port_messages_queued_total', { port: 'garden' }), 3);
    // Framing discards and protocol drops of one reason are one series.
    assert.equal(one(samples, 'tty2mqtt_port_discards_total', { port: 'garden', reason: 'bad_length' }), 3);
    assert.equal(
      one(samples, 'tty2mqtt_port_discards_total', { port: 'garden', reason: 'unknown_topic_id' }),
      5,
    );

    assert.equal(one(samples, 'tty2mqtt_queue_depth'), 7);
    assert.equal(one(samples, 'tty2mqtt_queue_bytes'), 700);
    assert.equal(one(samples, 'tty2mqtt_queue_oldest_age_seconds'), 1.5);
    assert.equal(one(samples, 'tty2mqtt_queue_storage_ok'), 1);
    assert.equal(one(samples, 'tty2mqtt_queue_dropped_total', { reason: 'expired' }), 3);
    assert.equal(one(samples, 'tty2mqtt_queue_rejected_total'), 2);
    assert.equal(one(samples, 'tty2mqtt_broker_connected'), 1);
    assert.equal(one(samples, 'tty2mqtt_broker_connects_total'), 2);
  });

  it('reads the live stats on every scrape (no second source of truth)', async () => {
    const line = linePort();
    let connected = true;
    let depth = 1;
    const metrics = createMetrics(
      { ports: () => [line], queue: () => queueStats({ depth }), broker: () => broker(connected) },
      { defaultMetrics: false },
    );
    const first = parse((await metrics.render()).body).samples;
    assert.equal(one(first, 'tty2mqtt_port_lines_total', { port: 'livingroom' }), 0);
    const counters = line.counters;
    counters.lines = 41;
    counters.discards.checksum_mismatch = 2;
    connected = false;
    depth = 9;
    const second = parse((await metrics.render()).body).samples;
    assert.equal(one(second, 'tty2mqtt_port_lines_total', { port: 'livingroom' }), 41);
    assert.equal(
      one(second, 'tty2mqtt_port_discards_total', { port: 'livingroom', reason: 'checksum_mismatch' }),
      2,
    );
    assert.equal(one(second, 'tty2mqtt_broker_connected'), 0);
    assert.equal(one(second, 'tty2mqtt_queue_depth'), 9);
  });

  it('exposes the byte bounds: ring drops by reason, dead-letter evictions, early writes, QoS 0 window', async () => {
    const metrics = createMetrics(
      {
        ports: () => [],
        queue: () =>
          queueStats({
            dropped: { qos0_ring_bytes: 85, ring_overflow: 2 },
            deadLetters: 5,
            deadLetterBytes: 163_850,
            deadLetterEvictions: { max_messages: 6, max_bytes: 3, max_age: 2 },
            stagedEarly: 33,
          }),
        broker: () => ({
          ...broker(true),
          qos0Window: { messages: 62, bytes: 1_032_858, maxBytes: 1_048_576, fullWaits: 4 },
        }),
      },
      { defaultMetrics: false },
    );
    const { samples, type } = parse((await metrics.render()).body);
    assert.equal(one(samples, 'tty2mqtt_queue_dropped_total', { reason: 'qos0_ring_bytes' }), 85);
    assert.equal(one(samples, 'tty2mqtt_queue_dead_letters'), 5);
    assert.equal(one(samples, 'tty2mqtt_queue_dead_letter_bytes'), 163_850);
    assert.equal(type.get('tty2mqtt_queue_dead_letters_evicted_total'), 'counter');
    assert.equal(one(samples, 'tty2mqtt_queue_dead_letters_evicted_total', { reason: 'max_bytes' }), 3);
    assert.equal(one(samples, 'tty2mqtt_queue_dead_letters_evicted_total', { reason: 'max_age' }), 2);
    assert.equal(one(samples, 'tty2mqtt_queue_staged_written_early_total'), 33);
    assert.equal(one(samples, 'tty2mqtt_publisher_qos0_window_bytes'), 1_032_858);
    assert.equal(one(samples, 'tty2mqtt_publisher_qos0_window_full_total'), 4);
  });

  it("counts the embedded broker's refusals by kind, and none with an external broker", async () => {
    let stats: Record<string, number> | null = {
      refusedLogins: 3,
      oversizePackets: 1,
      slowClientsDropped: 0,
    };
    const metrics = createMetrics(
      { ports: () => [], queue: () => queueStats(), broker: () => null, embeddedBroker: () => stats },
      { defaultMetrics: false },
    );
    const { samples } = parse((await metrics.render()).body);
    assert.equal(one(samples, 'tty2mqtt_embedded_broker_refusals_total', { kind: 'refused_logins' }), 3);
    assert.equal(one(samples, 'tty2mqtt_embedded_broker_refusals_total', { kind: 'oversize_packets' }), 1);
    assert.equal(
      one(samples, 'tty2mqtt_embedded_broker_refusals_total', { kind: 'slow_clients_dropped' }),
      0,
    );
    stats = null;
    const external = parse((await metrics.render()).body).samples;
    assert.equal(external.filter((x) => x.name === 'tty2mqtt_embedded_broker_refusals_total').length, 0);
  });

  it('records publish latency in a histogram in seconds, by QoS', async () => {
    const metrics = createMetrics(
      { ports: () => [], queue: () => queueStats(), broker: () => null },
      { defaultMetrics: false },
    );
    metrics.observeDelivery(1, 0.004);
    metrics.observeDelivery(1, 0.2);
    metrics.observeDelivery(0, 0.0005);
    const { samples } = parse((await metrics.render()).body);
    assert.equal(one(samples, 'tty2mqtt_publish_latency_seconds_count', { qos: '1' }), 2);
    assert.ok(Math.abs(one(samples, 'tty2mqtt_publish_latency_seconds_sum', { qos: '1' }) - 0.204) < 1e-9);
    assert.equal(one(samples, 'tty2mqtt_publish_latency_seconds_bucket', { qos: '1', le: '0.005' }), 1);
    assert.equal(one(samples, 'tty2mqtt_publish_latency_seconds_bucket', { qos: '1', le: '0.25' }), 2);
    assert.equal(one(samples, 'tty2mqtt_publish_latency_seconds_bucket', { qos: '1', le: '+Inf' }), 2);
    assert.equal(one(samples, 'tty2mqtt_publish_latency_seconds_count', { qos: '0' }), 1);
    // No broker yet: disconnected, not missing.
    assert.equal(one(samples, 'tty2mqtt_broker_connected'), 0);
  });

  it("adds prom-client's process and Node.js metrics under their standard names", async () => {
    const metrics = createMetrics({ ports: () => [], queue: () => queueStats(), broker: () => null });
    const { samples, type } = parse((await metrics.render()).body);
    // Unprefixed, as stock dashboards query them (docs/decisions/0022).
    assert.equal(type.get('process_cpu_seconds_total'), 'counter');
    assert.equal(type.get('nodejs_eventloop_lag_p99_seconds'), 'gauge');
    assert.equal(find(samples, 'nodejs_eventloop_lag_p99_seconds').length, 1);
    assert.equal(find(samples, 'process_resident_memory_bytes').length, 1);
    assert.equal(type.get('nodejs_active_handles'), 'gauge');
    // `_total` only on counters, for prom-client's too; ours alone carry the prefix.
    for (const [name, t] of type) {
      if (t !== 'counter') assert.doesNotMatch(name, /_total$/, `${name} is a ${t}`);
      assert.doesNotMatch(name, /^tty2mqtt_(process|nodejs)_/);
    }
  });

  it('says which build runs: tty2mqtt_build_info{version,node,commit} 1', async () => {
    const metrics = createMetrics(
      { ports: () => [], queue: () => queueStats(), broker: () => null },
      { defaultMetrics: false },
    );
    const { samples, type } = parse((await metrics.render()).body);
    assert.equal(type.get('tty2mqtt_build_info'), 'gauge');
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    assert.deepEqual(find(samples, 'tty2mqtt_build_info'), [
      {
        name: 'tty2mqtt_build_info',
        labels: { version: pkg.version, node: process.version, commit: 'unknown' },
        value: 1,
      },
    ]);
  });
});
