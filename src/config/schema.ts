// The single source of truth for gateway.yaml and device profiles: zod gives the types
// (z.infer), the defaults, every error at once, and the JSON schema for editors.
// Keys are snake_case and unknown keys are errors (z.strictObject) so typos are caught.
// Every key carries its one-line description (`.describe()`): the key reference in
// docs/reference/ and the JSON Schemas in schema/ are generated from it (npm run docs:reference).
// Defaults in human units are prefaults (`.prefault('30s')`): parsed like what a user writes,
// and shown to users in that form.
import * as z from 'zod';
import { patternProblem } from './pattern-check.ts';
import { GATEWAY_LEVEL } from '../topics/gateway-owned.ts';
import { areTopicLevels, LEVEL_MESSAGE, LEVEL_PATTERN, LEVELS_MESSAGE } from '../topics/level.ts';
import { DURATION_TEXT, parseDuration, parseSize, SIZE_TEXT } from './units.ts';
import { MAX_TRANSFORM_STEPS, transformProblems, transformStepSchema } from './transform-schema.ts';
import { HA_STATE_CLASSES } from './home-assistant-classes.ts';
import { MCU_NAMES } from '../firmware/mcu.ts';
import { PROGRAMMER_CHOICES } from '../firmware/programmer.ts';
import { isLoopbackHost, parseListenAddress } from '../net/listen-address.ts';

/**
 * zod skips an object's refinement once anything in the object failed to parse, so `check`
 * reported in rounds: the type errors first, the cross-key rules on the next run. A
 * refinement given this runs whenever the keys it reads parsed (issues the refinements below
 * them raise do not abort: zod marks them `continue`).
 */
function whenParsed(...keys: string[]): { when: (payload: z.core.ParsePayload) => boolean } {
  return {
    when: (payload) =>
      payload.issues.every((issue) => issue.continue === true || !keys.includes(String(issue.path?.[0]))),
  };
}

/** docs/contract.md §5: every level a device or the config contributes is exactly one level. */
export const level = z.string().regex(LEVEL_PATTERN, LEVEL_MESSAGE);

/** A multi-level topic prefix such as `iot/home1`: levels joined by `/`, each one a level. */
export const topicPrefix = z.string().refine(areTopicLevels, { message: LEVELS_MESSAGE });

// The `pattern` meta is for the JSON Schema only (editors underline `10 sec`); zod checks the
// text with parseDuration/parseSize, whose messages `check` prints.
export const duration = z
  .union([z.number().nonnegative(), z.string().meta({ pattern: DURATION_TEXT })])
  .transform((v, ctx) => {
    if (typeof v === 'number') return v;
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (e.g. 250ms, 30s, 5m, 2h, 7d)` });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ id: 'duration', description: 'a duration: 250ms, 30s, 5m, 2h, 7d, or a number of milliseconds' });

export const size = z
  .union([z.number().int().positive(), z.string().meta({ pattern: SIZE_TEXT })])
  .transform((v, ctx) => {
    if (typeof v === 'number') return v;
    const bytes = parseSize(v);
    if (bytes === undefined || bytes <= 0) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a size (e.g. 4096, 64KiB, 256MiB, 1GB)` });
      return z.NEVER;
    }
    return bytes;
  })
  .meta({ id: 'size', description: 'a size: 4096, 64KiB, 256MiB, 1GB, or a number of bytes' });

/** `host:port`, `[::1]:port`. */
export const listenAddress = z
  .string()
  .regex(
    /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/,
    'must be host:port, e.g. 127.0.0.1:1883 or [::1]:1883',
  );

// ---------------------------------------------------------------- gateway.yaml

const tlsSchema = z.strictObject({
  ca: z.string().nullable().default(null).describe('CA certificate file (PEM) the broker is checked against'),
  cert: z
    .string()
    .nullable()
    .default(null)
    .describe('client certificate file (PEM), for brokers that ask for one'),
  key: z
    .string()
    .nullable()
    .default(null)
    .describe('private key of `cert` (PEM); must not be readable by group or others'),
  /** Accept any server certificate. Only with this explicit key; never a default. */
  insecure: z.boolean().default(false).describe('accept any server certificate (testing only)'),
});

const mqttSchema = z
  .strictObject({
    broker: z
      .enum(['embedded', 'external'])
      .default('embedded')
      .describe('`embedded`: the broker built into tty2mqtt (aedes); `external`: connect to `url`'),
    url: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, 'must be an mqtt://, mqtts://, ws:// or wss:// URL')
      .optional()
      .describe(
        'the external broker (`mqtt://`, `mqtts://`, `ws://`, `wss://`); required with, and only for, `broker: external`',
      ),
    client_id: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe('MQTT client id; default `tty2mqtt-<gateway id>`'),
    username: z.string().min(1).optional().describe('login at the broker'),
    /** Resolved by the loader from `password_file` or `${ENV}`; never written inline in examples. */
    password: z
      .string()
      .optional()
      .describe('password at the broker: only as `${ENV_VAR}`; not together with `password_file`'),
    password_file: z
      .string()
      .optional()
      .describe(
        'file holding the password (mode 600, relative to gateway.yaml), or `credential:NAME` under systemd',
      ),
    protocol_version: z
      .union([z.literal(4), z.literal(5)])
      .default(5)
      .describe(
        "MQTT 5, or 4 (3.1.1); external broker only (the embedded one takes the gateway's messages in the process)",
      ),
    keepalive: duration.prefault('30s').describe('MQTT keep-alive interval'),
    tls: tlsSchema
      .nullable()
      .default(null)
      .describe('TLS to the external broker (needs an `mqtts://` or `wss://` url); `null`: the url decides'),
  })
  .superRefine(
    (m, ctx) => {
      if (m.broker === 'external' && m.url === undefined)
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required when broker is external' });
      if (m.password !== undefined && m.password_file !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['password'],
          message: 'give password or password_file, not both',
        });
    },
    whenParsed('broker', 'url', 'password', 'password_file'),
  );

/** MQTT over TLS on the embedded broker; `ca` given = clients must present a certificate it signed. */
const embeddedTlsSchema = z.strictObject({
  listen: listenAddress.default('127.0.0.1:8883').describe('address of the MQTT over TLS listener'),
  cert: z.string().min(1).describe('server certificate file (PEM)'),
  key: z.string().min(1).describe('private key of `cert` (PEM); must not be readable by group or others'),
  ca: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .describe('CA file: when given, clients must present a certificate it signed'),
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
  listen: listenAddress
    .default('127.0.0.1:1883')
    .describe('address of the MQTT listener; loopback unless you open it'),
  websocket: listenAddress
    .nullable()
    .default(null)
    .describe('address of an MQTT over WebSocket listener, e.g. `127.0.0.1:8080`; `null`: none'),
  /** src/broker/websocket-origin.ts */
  websocket_origins: z
    .array(websocketOrigin)
    .default([])
    .describe(
      'browser origins (`scheme://host[:port]`) allowed on the WebSocket listener; other origins get 403',
    ),
  tls: embeddedTlsSchema.nullable().default(null).describe('an MQTT over TLS listener; `null`: none'),
  /** src/broker/packet-size.ts */
  max_packet_size: size.prefault('1MiB').describe('larger packets drop the client from their first bytes'),
  /** aedes cannot match more than 100 levels. */
  max_topic_levels: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(32)
    .describe('most levels in a PUBLISH topic or SUBSCRIBE filter'),
  users: z
    .array(
      z.strictObject({
        username: z.string().min(1).describe('login name'),
        password_file: z.string().describe('file holding the password or a `mosquitto_passwd` hash'),
      }),
    )
    .default([])
    .describe('broker logins; non-empty: every client must log in'),
  acl: z
    .array(
      z.strictObject({
        username: z.string().min(1).describe('the user this entry is for'),
        publish: z.array(z.string()).default([]).describe('topic filters the user may publish to'),
        subscribe: z.array(z.string()).default([]).describe('topic filters the user may subscribe to'),
      }),
    )
    .default([])
    .describe('what each user may publish and subscribe to'),
});

const queueSchema = z.strictObject({
  path: z
    .string()
    .optional()
    .describe(
      'the SQLite queue file; default `$STATE_DIRECTORY/queue.db`, else `data/queue.db` beside gateway.yaml',
    ),
  durability: z
    .enum(['normal', 'full'])
    .default('normal')
    .describe('`normal` survives a crash of the process; `full` (fsync every commit) also a power cut'),
  max_messages: z.number().int().positive().default(1_000_000).describe('most messages queued'),
  max_bytes: size.prefault('256MiB').describe('most bytes queued'),
  max_age: duration.prefault('7d').describe('queued messages older than this are dropped'),
  when_full: z
    .enum(['drop_oldest', 'reject_new'])
    .default('drop_oldest')
    .describe(
      'at a limit: drop the oldest message, or refuse the new one (line devices get `NAK <seq> full`)',
    ),
  inflight: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(32)
    .describe("QoS 1/2 messages in flight, never above the broker's Receive Maximum"),
  write_delay: duration
    .prefault('100ms')
    .describe(
      'durability normal: how long a QoS 1 reading without `#seq` may wait for its PUBACK in memory before it is written to disk; 0: always written first',
    ),
  qos0_ring: z
    .strictObject({
      max_messages: z.number().int().positive().default(10_000).describe('most QoS 0 readings kept'),
      max_bytes: size.prefault('16MiB').describe('most bytes of QoS 0 readings kept'),
    })
    .default({ max_messages: 10_000, max_bytes: 16 * 1024 * 1024 })
    .describe('the memory ring of QoS 0 readings; past a bound the oldest are dropped'),
  dead_letter: z
    .strictObject({
      max_messages: z.number().int().positive().default(10_000).describe('most dead letters kept'),
      max_bytes: size.prefault('64MiB').describe('most bytes of dead letters kept'),
      max_age: duration.prefault('30d').describe('dead letters older than this are removed'),
    })
    .default({ max_messages: 10_000, max_bytes: 64 * 1024 * 1024, max_age: 30 * 86_400_000 })
    .describe('dead letters kept for `tty2mqtt queue`; past any bound the oldest are removed'),
});

export const portSchema = z.strictObject({
  name: level
    .refine((n) => n !== GATEWAY_LEVEL, {
      message: `"${GATEWAY_LEVEL}" is reserved for the gateway's own topics`,
    })
    .describe('one topic level naming the port; unique; `gateway` is reserved'),
  path: z.string().min(1).describe('the serial device; prefer `/dev/serial/by-id/…`'),
  baud_rate: z
    .number()
    .int()
    .positive()
    .default(115200)
    .describe('must match `Serial.begin()` in the firmware'),
  device: z.string().min(1).describe('the profile id: `<devices_dir>/<id>/profile.yaml` or a shipped one'),
  vars: z
    .record(level.meta({ title: 'name' }), level.describe('its value: one topic level'))
    .default({})
    .describe("extra placeholders for the profile's topic template, each one topic level"),
  reset_on_open: z
    .boolean()
    .default(false)
    .describe(
      '`false` clears HUPCL so opening the port does not reboot an Arduino; `true` pulses DTR to reset it',
    ),
  /** src/config/idle-timeout.ts */
  idle_timeout: duration
    .optional()
    .describe(
      "reopen a port silent this long (0: never); default 5 × the profile's `interval`, at least 60s, or 0 when the profile states none",
    ),
});

export const gatewayConfigSchema = z
  .strictObject({
    version: z.literal(1).default(1).describe('file format version'),
    gateway: z
      .strictObject({
        id: level.optional().describe('one topic level naming this gateway; default: the host name'),
        base_topic: topicPrefix.default('tty2mqtt').describe('every topic of this gateway lives under it'),
      })
      .default({ base_topic: 'tty2mqtt' })
      .describe('this gateway'),
    mqtt: mqttSchema
      .default({ broker: 'embedded', protocol_version: 5, keepalive: 30_000, tls: null })
      .describe('the broker the gateway publishes to'),
    embedded_broker: embeddedBrokerSchema
      .default({
        listen: '127.0.0.1:1883',
        websocket: null,
        websocket_origins: [],
        tls: null,
        max_packet_size: 1024 * 1024,
        max_topic_levels: 32,
        users: [],
        acl: [],
      })
      .describe('the broker built into tty2mqtt (with `mqtt.broker: embedded`)'),
    queue: queueSchema
      .default({
        durability: 'normal',
        max_messages: 1_000_000,
        max_bytes: 256 * 1024 * 1024,
        max_age: 7 * 86_400_000,
        when_full: 'drop_oldest',
        inflight: 32,
        write_delay: 100,
        qos0_ring: { max_messages: 10_000, max_bytes: 16 * 1024 * 1024 },
        dead_letter: { max_messages: 10_000, max_bytes: 64 * 1024 * 1024, max_age: 30 * 86_400_000 },
      })
      .describe('the durable queue between the devices and the broker'),
    devices_dir: z
      .string()
      .default('./devices')
      .describe('where profiles are looked up (relative to gateway.yaml), before the shipped ones'),
    ports: z
      .array(portSchema)
      .min(1, 'must list at least one port')
      .describe('the serial ports, at least one'),
    homeassistant: z
      .strictObject({
        discovery: z.boolean().default(false).describe('publish Home Assistant MQTT discovery messages'),
        prefix: topicPrefix.default('homeassistant').describe("Home Assistant's discovery prefix"),
      })
      .default({ discovery: false, prefix: 'homeassistant' })
      .describe('Home Assistant MQTT discovery'),
    http: z
      .strictObject({
        listen: listenAddress
          .nullable()
          .default(null)
          .describe(
            'address of `/metrics`, `/healthz` and the status page, e.g. `127.0.0.1:9464`; `null`: off',
          ),
        /** DNS rebinding: ops/host-check.ts */
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
          .default([])
          .describe(
            'host names served besides the listen address and localhost; other `Host` headers get 421',
          ),
      })
      .default({ listen: null, allowed_hosts: [] })
      .describe('the HTTP server'),
    /** src/app/firmware-flash.ts; docs/firmware.md */
    flash: z
      .strictObject({
        allow: z
          .boolean()
          .default(false)
          .describe(
            "accept `gateway/request/flash` (and `tty2mqtt flash`): whoever may publish that topic may replace a board's firmware",
          ),
        programmer: z
          .enum(PROGRAMMER_CHOICES)
          .default('auto')
          .describe(
            '`auto`: avrdude when installed (6.3 or newer), else the built-in STK500v1 programmer; `avrdude` or `builtin`: that one only',
          ),
      })
      .default({ allow: false, programmer: 'auto' })
      .describe('firmware updates of the boards on the ports (Arduino bootloaders)'),
    log: z
      .strictObject({
        level: z
          .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
          .default('info')
          .describe('least severe level logged'),
        format: z
          .enum(['auto', 'json', 'pretty'])
          .default('auto')
          .describe(
            '`auto`: JSON lines when stdout is not a terminal (journald), readable lines on one; readable lines need pino-pretty (a development dependency): without it JSON lines and a note',
          ),
      })
      .default({ level: 'info', format: 'auto' })
      .describe('logging'),
  })
  .superRefine((c, ctx) => {
    const flashOpen = flashOpenToAnyone(c);
    if (flashOpen !== null)
      ctx.addIssue({
        code: 'custom',
        path: ['flash', 'allow'],
        message: `firmware updates need embedded_broker.users here: ${flashOpen}, so anyone reaching it could replace a board's firmware`,
      });
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

/**
 * Why `flash.allow` would let strangers flash a board: the embedded broker without `users`
 * reachable beyond loopback, or on a WebSocket (web pages of the allowed origins publish
 * there). Null when it would not. An external broker's ACL is its own business (docs/firmware.md).
 */
function flashOpenToAnyone(c: {
  flash: { allow: boolean };
  mqtt: { broker: string };
  embedded_broker: {
    listen: string;
    websocket: string | null;
    tls: { listen: string } | null;
    users: readonly unknown[];
  };
}): string | null {
  const b = c.embedded_broker;
  if (!c.flash.allow || c.mqtt.broker !== 'embedded' || b.users.length > 0) return null;
  for (const at of [b.listen, b.tls?.listen]) {
    const address = at === undefined ? undefined : parseListenAddress(at);
    if (address !== undefined && !isLoopbackHost(address.host))
      return `the embedded broker listens on ${at} without logins`;
  }
  if (b.websocket !== null) return 'the embedded broker has a WebSocket listener without logins';
  return null;
}

/** gateway.yaml as written (before defaults). */
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
/** gateway.yaml after validation and defaults, as the daemon uses it. */
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type PortConfig = z.output<typeof portSchema>;

// ---------------------------------------------------------------- device profiles

const fieldCommon = {
  key: z
    .string()
    .min(1)
    .optional()
    .describe("the field's name on the wire; default: the field's own name (mysensors: `<child>/<V_TYPE>`)"),
  unit: z
    .string()
    .optional()
    .describe(
      'unit of the value, e.g. `°C` (shown by `check` and Home Assistant; with a `device_class`, one Home Assistant accepts for it)',
    ),
  device_class: z
    .string()
    .optional()
    .describe(
      "Home Assistant device class, e.g. `temperature`; `check` refuses a misspelt one and warns about one Home Assistant's list lacks",
    ),
  state_class: z.enum(HA_STATE_CLASSES).optional().describe('Home Assistant state class'),
  description: z.string().optional().describe('what the field is, for people'),
  transform: z
    .array(transformStepSchema)
    .max(MAX_TRANSFORM_STEPS)
    .optional()
    .describe('steps applied in order after the value is parsed and before min/max and the type checks'),
};

/**
 * How a number or integer field reads text (pipeline/number-format.ts has the grammars).
 * Absent means `strict`, today's rule; optional rather than defaulted so that command
 * payloads, which share the validator, need not carry it.
 */
const numberFormat = z
  .enum(['strict', 'lenient', 'decimal_comma'])
  .optional()
  .describe(
    'how the number is read: `strict` (default), `lenient` (sign padding, 1,234.5, a unit word) or `decimal_comma`',
  );

const fieldType = 'the kind of value, which decides the checks that apply';

export const fieldSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      ...fieldCommon,
      type: z.literal('number').describe(fieldType),
      min: z.number().optional().describe('smallest value accepted'),
      max: z.number().optional().describe('largest value accepted'),
      number_format: numberFormat,
    }),
    z.strictObject({
      ...fieldCommon,
      type: z.literal('integer').describe(fieldType),
      min: z.number().int().optional().describe('smallest value accepted'),
      max: z.number().int().optional().describe('largest value accepted'),
      number_format: numberFormat,
    }),
    z.strictObject({ ...fieldCommon, type: z.literal('boolean').describe(fieldType) }),
    z.strictObject({
      ...fieldCommon,
      type: z.literal('string').describe(fieldType),
      max_length: z.number().int().positive().default(256).describe('longest value accepted, in characters'),
      pattern: z.string().optional().describe('a JavaScript regular expression the value must match'),
    }),
    z.strictObject({
      ...fieldCommon,
      type: z.literal('enum').describe(fieldType),
      values: z.array(z.string()).min(1).describe('the values accepted'),
    }),
  ])
  // On the field, not the profile: zod runs a refinement only when its own value parsed, so
  // a type error in one field (or anywhere else in the profile) no longer hides min > max or
  // a bad pattern of another field until the next run of `check`.
  .superRefine((f, ctx) => {
    for (const problem of transformProblems(f))
      ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    if (f.type === 'string' && f.pattern !== undefined) {
      const problem = patternProblem(f.pattern);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['pattern'], message: problem });
    }
    if (
      (f.type === 'number' || f.type === 'integer') &&
      f.min !== undefined &&
      f.max !== undefined &&
      f.min > f.max
    )
      ctx.addIssue({ code: 'custom', path: ['min'], message: `must not exceed max (${f.max})` });
  });
export type FieldSpec = z.output<typeof fieldSchema>;
export type { TransformStep } from './transform-schema.ts';

const payloadType = 'the kind of value the command takes; `none`: a command without a value (a button)';

/** A command's payload schema: the same kinds as fields, without the wire-name and HA keys. */
export const commandPayloadSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('number').describe(payloadType),
    min: z.number().optional().describe('smallest value accepted'),
    max: z.number().optional().describe('largest value accepted'),
  }),
  z.strictObject({
    type: z.literal('integer').describe(payloadType),
    min: z.number().int().optional().describe('smallest value accepted'),
    max: z.number().int().optional().describe('largest value accepted'),
  }),
  z.strictObject({ type: z.literal('boolean').describe(payloadType) }),
  z.strictObject({
    type: z.literal('string').describe(payloadType),
    max_length: z.number().int().positive().default(32).describe('longest value accepted, in characters'),
    pattern: z.string().optional().describe('a JavaScript regular expression the value must match'),
  }),
  z.strictObject({
    type: z.literal('enum').describe(payloadType),
    values: z.array(z.string()).min(1).describe('the values accepted'),
  }),
  /** A command without a value (a button): the template has no {value}. */
  z.strictObject({ type: z.literal('none').describe(payloadType) }),
]);

/**
 * How a device answers a command: a line matching `ok` → `acked`, one matching
 * `error` → `failed` (a named group `reason` becomes the reason); neither within `timeout`
 * → `failed` with reason `timeout`. The patterns are JavaScript regular expressions.
 */
export const commandReplySchema = z.strictObject({
  ok: z.string().min(1).describe('a regular expression: a device line matching it makes the command `acked`'),
  error: z
    .string()
    .min(1)
    .optional()
    .describe(
      'a regular expression: a line matching it makes the command `failed` (a group `reason` is the reason)',
    ),
  timeout: duration.prefault('2s').describe('no matching line within this long: `failed: timeout`'),
});

export const commandSchema = z.strictObject({
  payload: commandPayloadSchema.describe('the schema the value published to `…/<command>/set` must pass'),
  write: z
    .string()
    .min(1)
    .describe('the line written to the device (a newline is appended); `{value}` is the value'),
  reply: commandReplySchema
    .optional()
    .describe('how the device answers; without it the command ends `written`'),
  description: z.string().optional().describe('what the command does, for people'),
});

/** Command handling of a profile, with the defaults an Arduino Uno needs. */
export const commandOptionsSchema = z.strictObject({
  max_bytes: z
    .number()
    .int()
    .min(2)
    .max(65536)
    .default(63)
    .describe("longest command line, newline included (an Uno's serial receive buffer is 64 bytes)"),
  gap: duration
    .prefault('10ms')
    .describe("pause after each command, so a burst cannot overflow the device's buffer"),
  ttl: duration
    .prefault('30s')
    .describe('a command not written within this long after it arrived is dropped (`expired`)'),
  max_pending: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(100)
    .describe('commands waiting per port (e.g. while it is closed); more are rejected'),
  accept_retained: z
    .boolean()
    .default(false)
    .describe(
      'act on retained `…/set` messages too (by default ignored: no ghost switching after a broker restart)',
    ),
});

export const lineSchema = z.strictObject({
  format: z
    .enum(['kv', 'json', 'csv', 'mysensors', 'regex'])
    .describe('how a line is split into keys and values'),
  checksum: z
    .enum(['none', 'optional', 'required'])
    .default('none')
    .describe('the `<body>*HH` XOR checksum: not used, checked when present, or required'),
  ack: z
    .boolean()
    .default(false)
    .describe('lines carry `#<seq> ` and get `ACK <seq>` / `NAK <seq> <reason>` replies'),
  max_bytes: z
    .number()
    .int()
    .min(8)
    .max(65536)
    .default(256)
    .describe('longest line; longer input is discarded up to the next newline'),
  columns: z
    .array(z.string().min(1))
    .optional()
    .describe('csv (required there): the wire key of each column, in order'),
  delimiter: z.string().length(1).default(',').describe('csv: the separator between values'),
  pattern: z
    .string()
    .optional()
    .describe('regex (required there): a JavaScript regular expression whose named groups are the wire keys'),
});

/**
 * MySensors controller mode (line format mysensors): the gateway answers the nodes the way
 * a MySensors controller does — ids, time, config, C_REQ — and publishes what they present.
 */
export const mysensorsSchema = z.strictObject({
  controller: z
    .boolean()
    .default(false)
    .describe('answer the nodes as their controller and publish presented children'),
  config: z.enum(['M', 'I']).default('M').describe('the `I_CONFIG` answer: `M` (metric) or `I` (imperial)'),
  /** MySensors child ids are 0–254. */
  max_children: z
    .number()
    .int()
    .min(1)
    .max(255)
    .default(32)
    .describe('children one node may present; more are refused'),
  ack_timeout: duration
    .prefault('2s')
    .describe("a generic command's wait for the node's echo before `failed: timeout`"),
  node_timeout: duration
    .prefault('1h')
    .describe('a node not heard from (readings, heartbeats, anything) for this long is offline'),
  sleep_ttl: duration
    .prefault('1h')
    .describe('how long a command for a sleeping node is held for its next wake-up'),
});

/**
 * A topic id of MQTT-SN 1.2 §5.3.11: 0x0000 and 0xFFFF are reserved. YAML map keys are
 * strings, so predefined ids arrive as "1", "0x10" — decimal only, to stay unambiguous.
 */
const topicIdKey = z
  .string()
  .regex(/^[1-9][0-9]{0,4}$/, 'must be a topic id: 1 to 65534')
  .refine((s) => Number(s) <= 0xfffe, 'must be a topic id: 1 to 65534')
  .meta({ title: 'topic id' });

/** A device topic relative to `base_topic/<port>/`: one or more levels (as topicPrefix), no wildcards. */
export const deviceTopic = topicPrefix;

/** docs/contract.md §4.2: how MQTT-SN v1.2 packets travel on the serial line, and the gateway's limits. */
export const mqttsnSchema = z.strictObject({
  framing: z
    .enum(['raw', 'slip', 'cobs'])
    .default('raw')
    .describe('packets on the line: bare (`raw`), or SLIP / COBS frames with a CRC-16'),
  /** The MQTT-SN length field allows 65535. */
  max_packet: z
    .number()
    .int()
    .min(16)
    .max(65535)
    .default(1024)
    .describe('largest packet accepted or sent, in octets'),
  idle: duration
    .prefault('100ms')
    .describe('raw framing: the silence that ends a framing error and drops a stale partial packet'),
  gateway_id: z.number().int().min(0).max(255).default(1).describe('GwId in GWINFO (MQTT-SN 1.2 §5.3.5)'),
  predefined: z
    .record(topicIdKey, deviceTopic.describe('the topic of this id, relative to `<base_topic>/<port>/`'))
    .default({})
    .describe('predefined topic ids (§6.9): id → topic relative to `<base_topic>/<port>/`'),
  sleep_buffer: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(50)
    .describe('messages kept for a sleeping client (§6.14); the oldest goes first when full'),
  sleep_buffer_bytes: z
    .number()
    .int()
    .min(256)
    .max(64 * 1024 * 1024)
    .default(64 * 1024)
    .describe('the same buffer bounded in octets (payloads and topic names), per client'),
  max_clients: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(16)
    .describe('clients per port (more than one only behind a forwarder, §5.5)'),
  max_topics: z
    .number()
    .int()
    .min(1)
    .max(65_534)
    .default(256)
    .describe('topic ids a client may register (§6.5)'),
  /** Each subscription is a broker subscription every message from the broker is matched against. */
  max_subscriptions: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(64)
    .describe('subscriptions one client may hold (§6.9); more get SUBACK 0x02'),
  max_port_subscriptions: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(1024)
    .describe('subscriptions all clients of the port may hold together'),
  /** Devices choose ClientIds: without a bound each new one would leave rows for good. Up to 256 marks each. */
  max_dedup_clients: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(256)
    .describe(
      'ClientIds whose de-duplication marks are kept for this port; the least recently marked go first',
    ),
  retry: duration
    .prefault('10s')
    .describe("T_retry (§6.13) for the gateway's REGISTER and QoS 1/2 PUBLISH to a client"),
  retries: z.number().int().min(0).max(20).default(3).describe('N_retry (§6.13)'),
  undeclared_topics: z
    .boolean()
    .default(true)
    .describe('a topic without a field in `fields:` is published as sent (`true`) or refused (`false`)'),
});

export const publishSchema = z.strictObject({
  topic: z
    .string()
    .min(1)
    .optional()
    .describe(
      'topic template relative to base_topic, starting with `{port}`; placeholders `{port}` `{field}` `{gateway}` `{node}` and port vars',
    ),
  mode: z
    .enum(['per_field', 'json'])
    .default('per_field')
    .describe('`per_field`: a value per topic; `json`: one JSON object per reading'),
  qos: z
    .union([z.literal(0), z.literal(1), z.literal(2)])
    .default(1)
    .describe('MQTT QoS of readings'),
  retain: z.boolean().default(true).describe('publish readings retained'),
});

export const profileSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lowercase letters, digits, _ or -')
      .describe('the profile id; must equal the folder name'),
    description: z.string().default('').describe('what the device is, for people'),
    protocol: z
      .enum(['line', 'mqttsn'])
      .default('line')
      .describe('text lines (with a `line:` section) or MQTT-SN packets (with an `mqttsn:` section)'),
    mcu: z
      .enum(MCU_NAMES)
      .optional()
      .describe(
        "the board's microcontroller (`atmega328p` on an Arduino Uno): a firmware image must fit its application area and the bootloader must report its signature",
      ),
    line: lineSchema.optional().describe('protocol line (required there): how lines are read'),
    mqttsn: mqttsnSchema.optional().describe('protocol mqttsn: framing and limits'),
    interval: duration
      .prefault('10s')
      .describe('expected time between readings (simulator, availability, idle_timeout)'),
    fields: z
      .record(
        level.meta({ title: 'name' }),
        fieldSchema.describe('one value of a reading, published at `{field}` = its name'),
      )
      .default({})
      .describe(
        'the values the device reports, by name (one topic level); undeclared keys: see `unknown_keys`',
      ),
    publish: publishSchema
      .default({ mode: 'per_field', qos: 1, retain: true })
      .describe('how readings become MQTT messages'),
    commands: z
      .record(level.meta({ title: 'name' }), commandSchema.describe('one command'))
      .prefault({})
      .describe('commands to the device, by name: `<port>/<name>/set` → a line'),
    command_options: commandOptionsSchema
      .default({
        max_bytes: 63,
        gap: 10,
        ttl: 30_000,
        max_pending: 100,
        accept_retained: false,
      })
      .describe('how commands are written, with the defaults an Arduino Uno needs'),
    availability_timeout: duration
      .optional()
      .describe(
        "silence after which the device is unavailable; default 3 × the profile's `interval` if it states one, else 120s",
      ),
    mysensors: mysensorsSchema.optional().describe('line format mysensors: controller mode'),
    ignore: z
      .array(z.string().min(1))
      .max(256)
      .optional()
      .describe('line keys the profile does not want: neither read nor counted as unknown'),
    unknown_keys: z
      .enum(['ignore', 'count', 'reject'])
      .optional()
      .describe(
        'keys neither declared nor ignored: `count` them (default), `ignore` them, or `reject` the line',
      ),
  })
  .superRefine(
    (p, ctx) => {
      if (p.protocol === 'line' && p.line === undefined)
        ctx.addIssue({ code: 'custom', path: ['line'], message: 'is required when protocol is line' });
      if (p.protocol === 'mqttsn' && p.line !== undefined)
        ctx.addIssue({ code: 'custom', path: ['line'], message: 'is only for protocol: line' });
      if (p.protocol === 'line' && p.mqttsn !== undefined)
        ctx.addIssue({ code: 'custom', path: ['mqttsn'], message: 'is only for protocol: mqttsn' });
      if (p.mysensors !== undefined && p.line?.format !== 'mysensors')
        ctx.addIssue({ code: 'custom', path: ['mysensors'], message: 'is only for line format mysensors' });
      if (p.line?.format === 'csv' && (p.line.columns === undefined || p.line.columns.length === 0))
        ctx.addIssue({
          code: 'custom',
          path: ['line', 'columns'],
          message: 'is required when format is csv',
        });
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
      // `fields` may hold a field that failed to parse (whenParsed does not wait for them): read
      // each one as written.
      const written: unknown = p.fields; // `fields:` with nothing after it is null
      const fields = Object.entries(typeof written === 'object' && written !== null ? written : {}).map(
        ([name, f]) =>
          [name, (typeof f === 'object' && f !== null ? f : {}) as Record<string, unknown>] as const,
      );
      const wireKeys = new Map(
        fields.map(([name, f]) => [typeof f['key'] === 'string' ? f['key'] : name, name] as const),
      );
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
      for (const [name, f] of fields) {
        // An MQTT-SN PUBLISH is checked against its field and forwarded byte for byte: a
        // transform or a lenient reading would check one value and publish another.
        if (p.protocol === 'mqttsn')
          for (const key of ['transform', 'number_format'] as const)
            if (f[key] !== undefined)
              ctx.addIssue({
                code: 'custom',
                path: ['fields', name, key],
                message: 'is only for protocol: line (MQTT-SN payloads are published as sent)',
              });
      }
    },
    whenParsed('protocol', 'line', 'mqttsn', 'mysensors', 'ignore', 'unknown_keys'),
  );

export type DeviceProfile = z.output<typeof profileSchema>;
export type LineSpec = z.output<typeof lineSchema>;
export type MqttSnSpec = z.output<typeof mqttsnSchema>;
export type MySensorsSpec = z.output<typeof mysensorsSchema>;
export type CommandSpec = z.output<typeof commandSchema>;
export type CommandOptions = z.output<typeof commandOptionsSchema>;
