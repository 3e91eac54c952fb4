// The single source of truth for gateway.yaml and device profiles: zod gives the types
// (z.infer), the defaults, every error at once, and the JSON schema for editors.
// Keys are snake_case and unknown keys are errors (z.strictObject) so typos are caught.
import * as z from 'zod';
import { patternProblem } from './pattern-check.ts';
import { GATEWAY_LEVEL } from '../topics/gateway-owned.ts';
import { areTopicLevels, LEVEL_MESSAGE, LEVEL_PATTERN, LEVELS_MESSAGE } from '../topics/level.ts';
import { parseDuration, parseSize } from './units.ts';
import { MAX_TRANSFORM_STEPS, transformProblems, transformStepSchema } from './transform-schema.ts';

/** docs/contract.md §5: every level a device or the config contributes is exactly one level. */
export const level = z.string().regex(LEVEL_PATTERN, LEVEL_MESSAGE);

/** A multi-level topic prefix such as `iot/home1`: levels joined by `/`, each one a level. */
export const topicPrefix = z.string().refine(areTopicLevels, { message: LEVELS_MESSAGE });

export const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (e.g. 250ms, 30s, 5m, 2h, 7d)` });
    return z.NEVER;
  }
  return ms;
});

export const size = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const bytes = parseSize(v);
  if (bytes === undefined || bytes <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size (e.g. 4096, 64KiB, 256MiB, 1GB)` });
    return z.NEVER;
  }
  return bytes;
});

/** `host:port`, `[::1]:port`. */
export const listenAddress = z
  .string()
  .regex(
    /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/,
    'must be host:port, e.g. 127.0.0.1:1883 or [::1]:1883',
  );

// ---------------------------------------------------------------- gateway.yaml

const tlsSchema = z.strictObject({
  ca: z.string().nullable().default(null),
  cert: z.string().nullable().default(null),
  key: z.string().nullable().default(null),
  /** Accept any server certificate. Only with this explicit key; never a default. */
  insecure: z.boolean().default(false),
});

const mqttSchema = z
  .strictObject({
    broker: z.enum(['embedded', 'external']).default('embedded'),
    url: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, 'must be an mqtt://, mqtts://, ws:// or wss:// URL')
      .optional(),
    client_id: z.string().min(1).max(128).optional(),
    username: z.string().min(1).optional(),
    /** Resolved by the loader from `password_file` or `${ENV}`; never written inline in examples. */
    password: z.string().optional(),
    password_file: z.string().optional(),
    protocol_version: z.union([z.literal(4), z.literal(5)]).default(5),
    keepalive: duration.default(30_000),
    tls: tlsSchema.nullable().default(null),
  })
  .superRefine((m, ctx) => {
    if (m.broker === 'external' && m.url === undefined)
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required when broker is external' });
    if (m.password !== undefined && m.password_file !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'give password or password_file, not both',
      });
  });

/** MQTT over TLS on the embedded broker; `ca` given = clients must present a certificate it signed. */
const embeddedTlsSchema = z.strictObject({
  listen: listenAddress.default('127.0.0.1:8883'),
  cert: z.string().min(1),
  key: z.string().min(1),
  ca: z.string().min(1).nullable().default(null),
});

/** An origin as browsers serialize it (RFC 6454 §6.2): no path, no trailing slash, lower case. */
const websocketOrigin = z.string().refine(
  (o) => {
    try {
      return new URL(o).origin === o;
    } catch {
      return false;
    }
  },
  { message: 'must be an origin like http://localhost:3000 (scheme://host[:port], no path)' },
);

const embeddedBrokerSchema = z.strictObject({
  listen: listenAddress.default('127.0.0.1:1883'),
  websocket: listenAddress.nullable().default(null),
  /**
   * Browser origins (`scheme://host[:port]`, exactly as a browser sends them) that may open
   * the WebSocket listener; a request with any other Origin gets 403 (src/broker/websocket-origin.ts).
   */
  websocket_origins: z.array(websocketOrigin).default([]),
  tls: embeddedTlsSchema.nullable().default(null),
  /** Larger packets are cut off from their first bytes (src/broker/packet-size.ts). */
  max_packet_size: size.default(1024 * 1024),
  /** Levels of a PUBLISH topic or SUBSCRIBE filter; aedes cannot match more than 100. */
  max_topic_levels: z.number().int().min(1).max(100).default(32),
  users: z.array(z.strictObject({ username: z.string().min(1), password_file: z.string() })).default([]),
  acl: z
    .array(
      z.strictObject({
        username: z.string().min(1),
        publish: z.array(z.string()).default([]),
        subscribe: z.array(z.string()).default([]),
      }),
    )
    .default([]),
});

const queueSchema = z.strictObject({
  path: z.string().optional(),
  durability: z.enum(['normal', 'full']).default('normal'),
  max_messages: z.number().int().positive().default(1_000_000),
  max_bytes: size.default(256 * 1024 * 1024),
  max_age: duration.default(7 * 86_400_000),
  when_full: z.enum(['drop_oldest', 'reject_new']).default('drop_oldest'),
  inflight: z.number().int().min(1).max(65535).default(32),
  /**
   * durability normal: a QoS 1 reading from a device without `#seq` is written to disk only
   * if the broker has not acknowledged it within this delay (write-behind). 0: always.
   */
  write_delay: duration.default(100),
  /** QoS 0 readings wait in a memory ring, bounded by messages and bytes; oldest dropped first. */
  qos0_ring: z
    .strictObject({
      max_messages: z.number().int().positive().default(10_000),
      max_bytes: size.default(16 * 1024 * 1024),
    })
    .default({ max_messages: 10_000, max_bytes: 16 * 1024 * 1024 }),
  /** Dead letters kept for `tty2mqtt queue`; past any bound the oldest are removed. */
  dead_letter: z
    .strictObject({
      max_messages: z.number().int().positive().default(10_000),
      max_bytes: size.default(64 * 1024 * 1024),
      max_age: duration.default(30 * 86_400_000),
    })
    .default({ max_messages: 10_000, max_bytes: 64 * 1024 * 1024, max_age: 30 * 86_400_000 }),
});

export const portSchema = z.strictObject({
  name: level.refine((n) => n !== GATEWAY_LEVEL, {
    message: `"${GATEWAY_LEVEL}" is reserved for the gateway's own topics`,
  }),
  path: z.string().min(1),
  baud_rate: z.number().int().positive().default(115200),
  device: z.string().min(1),
  vars: z.record(level, level).default({}),
  reset_on_open: z.boolean().default(false),
  /**
   * Reopen after this long without a byte; 0 = never. Default: several of the profile's
   * `interval` (src/config/idle-timeout.ts), off when the profile states none (event-driven).
   */
  idle_timeout: duration.optional(),
});

export const gatewayConfigSchema = z
  .strictObject({
    version: z.literal(1).default(1),
    gateway: z
      .strictObject({
        id: level.optional(),
        base_topic: topicPrefix.default('tty2mqtt'),
      })
      .default({ base_topic: 'tty2mqtt' }),
    mqtt: mqttSchema.default({ broker: 'embedded', protocol_version: 5, keepalive: 30_000, tls: null }),
    embedded_broker: embeddedBrokerSchema.default({
      listen: '127.0.0.1:1883',
      websocket: null,
      websocket_origins: [],
      tls: null,
      max_packet_size: 1024 * 1024,
      max_topic_levels: 32,
      users: [],
      acl: [],
    }),
    queue: queueSchema.default({
      durability: 'normal',
      max_messages: 1_000_000,
      max_bytes: 256 * 1024 * 1024,
      max_age: 7 * 86_400_000,
      when_full: 'drop_oldest',
      inflight: 32,
      write_delay: 100,
      qos0_ring: { max_messages: 10_000, max_bytes: 16 * 1024 * 1024 },
      dead_letter: { max_messages: 10_000, max_bytes: 64 * 1024 * 1024, max_age: 30 * 86_400_000 },
    }),
    devices_dir: z.string().default('./devices'),
    ports: z.array(portSchema).min(1, 'must list at least one port'),
    homeassistant: z
      .strictObject({ discovery: z.boolean().default(false), prefix: topicPrefix.default('homeassistant') })
      .default({ discovery: false, prefix: 'homeassistant' }),
    http: z
      .strictObject({
        listen: listenAddress.nullable().default(null),
        /** Host names served besides the listen address and localhost (DNS rebinding, ops/host-check.ts). */
        allowed_hosts: z
          .array(
            z
              .string()
              .regex(
                /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$/,
                'must be a host name or address, e.g. gateway.lan',
              ),
          )
          .max(64)
          .default([]),
      })
      .default({ listen: null, allowed_hosts: [] }),
    log: z
      .strictObject({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
        /** auto: JSON lines when stdout is not a TTY (journald), pretty when it is. */
        format: z.enum(['auto', 'json', 'pretty']).default('auto'),
      })
      .default({ level: 'info', format: 'auto' }),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.ports.forEach((p, i) => {
      const first = seen.get(p.name);
      if (first !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['ports', i, 'name'],
          message: `"${p.name}" is already the name of ports[${first}]; port names must be unique`,
        });
      else seen.set(p.name, i);
    });
  });

/** gateway.yaml as written (before defaults). */
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
/** gateway.yaml after validation and defaults, as the daemon uses it. */
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type PortConfig = z.output<typeof portSchema>;

// ---------------------------------------------------------------- device profiles

const fieldCommon = {
  /** The name on the wire; default: the field's own name. For mysensors: `<child>/<V_TYPE>`. */
  key: z.string().min(1).optional(),
  unit: z.string().optional(),
  device_class: z.string().optional(),
  state_class: z.enum(['measurement', 'total', 'total_increasing']).optional(),
  description: z.string().optional(),
  /** Applied in order after the value is parsed and before min/max and the type's checks. */
  transform: z.array(transformStepSchema).max(MAX_TRANSFORM_STEPS).optional(),
};

/**
 * How a number or integer field reads text (pipeline/number-format.ts has the grammars).
 * Absent means `strict`, today's rule; optional rather than defaulted so that command
 * payloads, which share the validator, need not carry it.
 */
const numberFormat = z.enum(['strict', 'lenient', 'decimal_comma']).optional();

export const fieldSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...fieldCommon,
    type: z.literal('number'),
    min: z.number().optional(),
    max: z.number().optional(),
    number_format: numberFormat,
  }),
  z.strictObject({
    ...fieldCommon,
    type: z.literal('integer'),
    min: z.number().int().optional(),
    max: z.number().int().optional(),
    number_format: numberFormat,
  }),
  z.strictObject({ ...fieldCommon, type: z.literal('boolean') }),
  z.strictObject({
    ...fieldCommon,
    type: z.literal('string'),
    max_length: z.number().int().positive().default(256),
    pattern: z.string().optional(),
  }),
  z.strictObject({ ...fieldCommon, type: z.literal('enum'), values: z.array(z.string()).min(1) }),
]);
export type FieldSpec = z.output<typeof fieldSchema>;
export type { TransformStep } from './transform-schema.ts';

/** A command's payload schema: the same kinds as fields, without the wire-name and HA keys. */
export const commandPayloadSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('number'), min: z.number().optional(), max: z.number().optional() }),
  z.strictObject({
    type: z.literal('integer'),
    min: z.number().int().optional(),
    max: z.number().int().optional(),
  }),
  z.strictObject({ type: z.literal('boolean') }),
  z.strictObject({
    type: z.literal('string'),
    max_length: z.number().int().positive().default(32),
    pattern: z.string().optional(),
  }),
  z.strictObject({ type: z.literal('enum'), values: z.array(z.string()).min(1) }),
  /** A command without a value (a button): the template has no {value}. */
  z.strictObject({ type: z.literal('none') }),
]);

/**
 * How a device answers a command: a line matching `ok` → `acked`, one matching
 * `error` → `failed` (a named group `reason` becomes the reason); neither within `timeout`
 * → `failed` with reason `timeout`. The patterns are JavaScript regular expressions.
 */
export const commandReplySchema = z.strictObject({
  ok: z.string().min(1),
  error: z.string().min(1).optional(),
  timeout: duration.default(2000),
});

export const commandSchema = z.strictObject({
  payload: commandPayloadSchema,
  /** Written to the device with a newline appended; `{value}` is the validated payload. */
  write: z.string().min(1),
  reply: commandReplySchema.optional(),
  description: z.string().optional(),
});

/** Command handling of a profile, with the defaults an Arduino Uno needs. */
export const commandOptionsSchema = z.strictObject({
  /** Longest command line, newline included: an Uno's serial receive buffer is 64 bytes. */
  max_bytes: z.number().int().min(2).max(65536).default(63),
  /** Pause after each command so a burst cannot overflow the device's buffer. */
  gap: duration.default(10),
  /** A command not written within this long after it arrived is dropped (`expired`). */
  ttl: duration.default(30_000),
  /** Commands waiting per port (e.g. while it is closed); more are rejected. */
  max_pending: z.number().int().min(1).max(10_000).default(100),
  /** Retained `…/set` messages are ignored by default: no ghost switching after a broker restart. */
  accept_retained: z.boolean().default(false),
});

export const lineSchema = z.strictObject({
  format: z.enum(['kv', 'json', 'csv', 'mysensors', 'regex']),
  checksum: z.enum(['none', 'optional', 'required']).default('none'),
  ack: z.boolean().default(false),
  max_bytes: z.number().int().min(8).max(65536).default(256),
  /** csv: the wire key of each column, in order. */
  columns: z.array(z.string().min(1)).optional(),
  /** csv: the separator between values. */
  delimiter: z.string().length(1).default(','),
  /** regex: a JavaScript regular expression with named groups; each group is a wire key. */
  pattern: z.string().optional(),
});

/**
 * MySensors controller mode (line format mysensors): the gateway answers the nodes the way
 * a MySensors controller does — ids, time, config, C_REQ — and publishes what they present.
 */
export const mysensorsSchema = z.strictObject({
  controller: z.boolean().default(false),
  /** The I_CONFIG answer: M (metric) or I (imperial). */
  config: z.enum(['M', 'I']).default('M'),
  /** Children one node may present (MySensors child ids are 0–254); more are refused. */
  max_children: z.number().int().min(1).max(255).default(32),
  /** A generic command's wait for the node's echo before `failed: timeout`. */
  ack_timeout: duration.default(2000),
  /** A node not heard from (readings, heartbeats, anything) for this long is offline. */
  node_timeout: duration.default(3_600_000),
  /** How long a command for a sleeping node is held for its next wake-up. */
  sleep_ttl: duration.default(3_600_000),
});

/**
 * A topic id of MQTT-SN 1.2 §5.3.11: 0x0000 and 0xFFFF are reserved. YAML map keys are
 * strings, so predefined ids arrive as "1", "0x10" — decimal only, to stay unambiguous.
 */
const topicIdKey = z
  .string()
  .regex(/^[1-9][0-9]{0,4}$/, 'must be a topic id: 1 to 65534')
  .refine((s) => Number(s) <= 0xfffe, 'must be a topic id: 1 to 65534');

/** A device topic relative to `base_topic/<port>/`: one or more levels (as topicPrefix), no wildcards. */
export const deviceTopic = topicPrefix;

/** docs/contract.md §4.2: how MQTT-SN v1.2 packets travel on the serial line, and the gateway's limits. */
export const mqttsnSchema = z.strictObject({
  framing: z.enum(['raw', 'slip', 'cobs']).default('raw'),
  /** Largest packet accepted or sent, in octets (the MQTT-SN length field allows 65535). */
  max_packet: z.number().int().min(16).max(65535).default(1024),
  /** raw framing: the silence that ends a framing error and drops a stale partial packet. */
  idle: duration.default(100),
  /** GwId in GWINFO (MQTT-SN 1.2 §5.3.5). */
  gateway_id: z.number().int().min(0).max(255).default(1),
  /** Predefined topic ids (§6.9): id → topic relative to `base_topic/<port>/`. */
  predefined: z.record(topicIdKey, deviceTopic).default({}),
  /** Messages kept for a sleeping client (§6.14); the oldest goes first when full. */
  sleep_buffer: z.number().int().min(0).max(10_000).default(50),
  /** The same buffer bounded in octets (payloads and topic names), per client. */
  sleep_buffer_bytes: z
    .number()
    .int()
    .min(256)
    .max(64 * 1024 * 1024)
    .default(64 * 1024),
  /** Clients per port (more than one only behind a forwarder, §5.5). */
  max_clients: z.number().int().min(1).max(1000).default(16),
  /** Topic ids a client may register (§6.5); bounds the per-client table. */
  max_topics: z.number().int().min(1).max(65_534).default(256),
  /**
   * Subscriptions one client may hold (§6.9). Each is a broker subscription every message
   * from the broker is matched against: bounded so one client cannot slow the port down.
   */
  max_subscriptions: z.number().int().min(1).max(10_000).default(64),
  /** Subscriptions all clients of the port may hold together (16 clients × 64). */
  max_port_subscriptions: z.number().int().min(1).max(100_000).default(1024),
  /**
   * ClientIds whose de-duplication marks the queue database keeps for this port; the least
   * recently marked beyond it are deleted (devices choose ClientIds: without a bound each
   * new one would leave rows for good). Up to 256 marks each.
   */
  max_dedup_clients: z.number().int().min(1).max(100_000).default(256),
  /** T_retry and N_retry (§6.13) for the gateway's REGISTER and QoS 1/2 PUBLISH to a client. */
  retry: duration.default(10_000),
  retries: z.number().int().min(0).max(20).default(3),
  /** A topic without a field in `fields:` is published as sent (true) or refused (false). */
  undeclared_topics: z.boolean().default(true),
});

export const publishSchema = z.strictObject({
  /** Relative to base_topic; must start with `{port}`. Placeholders: {port} {field} {gateway} {node} + port vars. */
  topic: z.string().min(1).optional(),
  mode: z.enum(['per_field', 'json']).default('per_field'),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
  retain: z.boolean().default(true),
});

export const profileSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lowercase letters, digits, _ or -'),
    description: z.string().default(''),
    protocol: z.enum(['line', 'mqttsn']).default('line'),
    line: lineSchema.optional(),
    mqttsn: mqttsnSchema.optional(),
    /** Expected seconds between readings; availability and the simulator use it. */
    interval: duration.default(10_000),
    fields: z.record(level, fieldSchema).default({}),
    publish: publishSchema.default({ mode: 'per_field', qos: 1, retain: true }),
    commands: z.record(level, commandSchema).default({}),
    command_options: commandOptionsSchema.default({
      max_bytes: 63,
      gap: 10,
      ttl: 30_000,
      max_pending: 100,
      accept_retained: false,
    }),
    /**
     * Silence after which the device counts as unavailable. Default: 3× the
     * profile's `interval` when it states one, else 120 s.
     */
    availability_timeout: duration.optional(),
    mysensors: mysensorsSchema.optional(),
    /** Line keys the profile does not want: neither read nor counted as unknown. */
    ignore: z.array(z.string().min(1)).max(256).optional(),
    /** Keys neither declared nor ignored: `count` (default), `ignore` them, or `reject` the line. */
    unknown_keys: z.enum(['ignore', 'count', 'reject']).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.protocol === 'line' && p.line === undefined)
      ctx.addIssue({ code: 'custom', path: ['line'], message: 'is required when protocol is line' });
    if (p.protocol === 'mqttsn' && p.line !== undefined)
      ctx.addIssue({ code: 'custom', path: ['line'], message: 'is only for protocol: line' });
    if (p.protocol === 'line' && p.mqttsn !== undefined)
      ctx.addIssue({ code: 'custom', path: ['mqttsn'], message: 'is only for protocol: mqttsn' });
    if (p.mysensors !== undefined && p.line?.format !== 'mysensors')
      ctx.addIssue({ code: 'custom', path: ['mysensors'], message: 'is only for line format mysensors' });
    if (p.line?.format === 'csv' && (p.line.columns === undefined || p.line.columns.length === 0))
      ctx.addIssue({ code: 'custom', path: ['line', 'columns'], message: 'is required when format is csv' });
    if (p.line?.format === 'regex') {
      if (p.line.pattern === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['line', 'pattern'],
          message: 'is required when format is regex',
        });
      else {
        const problem = patternProblem(p.line.pattern);
        if (problem !== undefined)
          ctx.addIssue({ code: 'custom', path: ['line', 'pattern'], message: problem });
        else if (!/\(\?<[A-Za-z_]/.test(p.line.pattern))
          ctx.addIssue({
            code: 'custom',
            path: ['line', 'pattern'],
            message: 'needs at least one named group (?<key>...)',
          });
      }
    }
    if (p.protocol === 'mqttsn')
      for (const key of ['ignore', 'unknown_keys'] as const)
        if (p[key] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'is only for protocol: line (MQTT-SN profiles have mqttsn.undeclared_topics)',
          });
    const wireKeys = new Map(Object.entries(p.fields).map(([name, f]) => [f.key ?? name, name]));
    (p.ignore ?? []).forEach((key, i) => {
      const field = wireKeys.get(key);
      if (field !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['ignore', i],
          message: `"${key}" is the wire key of field ${field}; a key is either read or ignored`,
        });
      if (p.line?.format === 'csv' && p.line.columns !== undefined && !p.line.columns.includes(key))
        ctx.addIssue({
          code: 'custom',
          path: ['ignore', i],
          message: `"${key}" is not one of line.columns (${p.line.columns.join(', ')})`,
        });
    });
    for (const [name, f] of Object.entries(p.fields)) {
      // An MQTT-SN PUBLISH is checked against its field and forwarded byte for byte: a
      // transform or a lenient reading would check one value and publish another.
      if (p.protocol === 'mqttsn')
        for (const key of ['transform', 'number_format'] as const)
          if ((f as { transform?: unknown; number_format?: unknown })[key] !== undefined)
            ctx.addIssue({
              code: 'custom',
              path: ['fields', name, key],
              message: 'is only for protocol: line (MQTT-SN payloads are published as sent)',
            });
      for (const problem of transformProblems(f))
        ctx.addIssue({ code: 'custom', path: ['fields', name, ...problem.path], message: problem.message });
      if (f.type === 'string' && f.pattern !== undefined) {
        const problem = patternProblem(f.pattern);
        if (problem !== undefined)
          ctx.addIssue({ code: 'custom', path: ['fields', name, 'pattern'], message: problem });
      }
      if (
        (f.type === 'number' || f.type === 'integer') &&
        f.min !== undefined &&
        f.max !== undefined &&
        f.min > f.max
      )
        ctx.addIssue({
          code: 'custom',
          path: ['fields', name, 'min'],
          message: `must not exceed max (${f.max})`,
        });
    }
  });

export type DeviceProfile = z.output<typeof profileSchema>;
export type LineSpec = z.output<typeof lineSchema>;
export type MqttSnSpec = z.output<typeof mqttsnSchema>;
export type MySensorsSpec = z.output<typeof mysensorsSchema>;
export type CommandSpec = z.output<typeof commandSchema>;
export type CommandOptions = z.output<typeof commandOptionsSchema>;
