// `tty2mqtt simulate --device <an mqttsn profile> --path TTY`: plays an MQTT-SN
// v1.2 client on a real tty the way the profile's firmware would — CONNECT (with a Will on
// `status`), SUBSCRIBE to the profile's predefined topics that are not fields (commands such
// as `led/set`) and to `+/set`, then every interval one PUBLISH per field: on its predefined
// id where the profile has one, else on its name (REGISTERed first). Optionally it sleeps
// between readings (DISCONNECT with a duration, PINGREQ with its client id to wake and
// collect what the gateway kept for it). The traffic is echoed: `> PUBLISH …`, `< PUBACK …`.
import type { DeviceProfile } from '../config/schema.ts';
import { mqttsnSchema } from '../config/schema.ts';
import type { MqttSnPacket, PublishQos } from '../mqttsn/packet-types.ts';
import type { MqttSnClient } from './mqttsn-client/client.ts';
import { openMqttSnClientOnTty } from './mqttsn-serial.ts';
import { setTopic } from '../topics/gateway-owned.ts';
import { createValueGenerator } from './values.ts';
import type { Rng } from './values.ts';

export interface SimulateMqttSnOptions {
  profile: DeviceProfile;
  path: string;
  baudRate: number;
  intervalMs?: number;
  /** Stop after this many readings (each acknowledged at QoS 1/2). */
  count?: number;
  /** PUBLISH QoS for readings: −1, 0, 1 (default) or 2. */
  qos?: PublishQos;
  /** Sleep this many seconds between readings (0: stay awake). */
  sleepS?: number;
  rng?: Rng;
  signal: AbortSignal;
  out: (line: string) => void;
}

/** One packet as a short human-readable line (payloads as text where they are text). */
export function describePacket(p: MqttSnPacket): string {
  const fields = Object.entries(p)
    .filter(([k]) => k !== 'type')
    .map(([k, v]) => `${k}=${Buffer.isBuffer(v) ? JSON.stringify(v.toString('utf8')) : JSON.stringify(v)}`);
  return [p.type, ...fields].join(' ');
}

export async function runSimulateMqttSn(options: SimulateMqttSnOptions): Promise<void> {
  const { profile, signal, out } = options;
  if (signal.aborted) return;
  const spec = profile.mqttsn ?? mqttsnSchema.parse({});
  const predefinedOf = new Map(Object.entries(spec.predefined).map(([id, name]) => [name, Number(id)]));
  const fieldNames = new Set(Object.entries(profile.fields).map(([name, f]) => f.key ?? name));
  const tty = await openMqttSnClientOnTty(options.path, {
    baudRate: options.baudRate,
    clientId: profile.id.slice(0, 23),
    framing: spec.framing,
    keepAliveS: 60,
    retryMs: 2000,
    will: { topic: 'status', payload: 'lost', qos: 1, retain: true },
    predefined: Object.fromEntries(Object.entries(spec.predefined).map(([id, name]) => [Number(id), name])),
    onPacket: (dir, p) => out(`${dir === 'out' ? '>' : '<'} ${describePacket(p)}`),
    onMessage: (m) =>
      out(`  message ${m.topic} ${JSON.stringify(m.payload.toString('utf8'))} (QoS ${m.qos})`),
  });
  const client = tty.client;
  const stopped = new Promise<void>((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  try {
    const code = await client.connect();
    if (code !== 0) throw new Error(`the gateway refused CONNECT (return code ${code})`);
    for (const [name, id] of predefinedOf)
      if (!fieldNames.has(name)) await client.subscribe({ kind: 'predefined', id }, 1);
    await client.subscribe(setTopic('+'), 1);
    const next = createValueGenerator(profile, options.rng);
    const intervalMs = options.intervalMs ?? profile.interval;
    for (let sent = 0; options.count === undefined || sent < options.count; sent += 1) {
      await publishReading(client, next(), predefinedOf, options.qos ?? 1, out);
      if (options.count !== undefined && sent + 1 >= options.count) break;
      if (await pause(client, intervalMs, options.sleepS ?? 0, stopped)) break;
    }
    await client.disconnect();
  } finally {
    await tty.close();
  }
}

async function publishReading(
  client: MqttSnClient,
  values: Map<string, string | number | boolean>,
  predefinedOf: Map<string, number>,
  qos: PublishQos,
  out: (line: string) => void,
): Promise<void> {
  for (const [name, value] of values) {
    const id = predefinedOf.get(name);
    // QoS −1 needs a predefined id or a short name (MQTT-SN 1.2 §6.8): else QoS 0.
    const q: PublishQos = qos === -1 && id === undefined ? 0 : qos;
    const code = await client.publish(id === undefined ? name : { kind: 'predefined', id }, String(value), {
      qos: q,
    });
    if (code !== 0) out(`  ${name}=${String(value)} refused by the gateway (return code ${code})`);
  }
}

/**
 * Waits one interval (asleep if asked: the sleep duration told to the gateway covers the
 * interval, or the gateway would declare the client lost, §6.14); true when stopped meanwhile.
 */
async function pause(
  client: MqttSnClient,
  intervalMs: number,
  sleepS: number,
  stopped: Promise<void>,
): Promise<boolean> {
  if (sleepS > 0) await client.sleep(Math.max(sleepS, Math.ceil(intervalMs / 1000)));
  let handle: NodeJS.Timeout | undefined;
  const timer = new Promise<'time'>((resolve) => {
    handle = setTimeout(() => resolve('time'), intervalMs);
  });
  const why = await Promise.race([timer, stopped.then(() => 'stop' as const)]);
  clearTimeout(handle);
  if (sleepS > 0) await client.wake();
  return why === 'stop';
}
