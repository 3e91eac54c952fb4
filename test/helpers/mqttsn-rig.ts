// A fake environment for the pure MQTT-SN gateway core (src/mqttsn/gateway.ts): a clock the
// test advances, every packet sent recorded, a queue whose answer the test chooses (queued,
// full, failing, or held until the test releases it), preset de-dup marks — plus the small
// steps most gateway tests start with (CONNECT, REGISTER, SUBSCRIBE).
import assert from 'node:assert/strict';
import { fieldSchema, mqttsnSchema } from '../../src/config/schema.ts';
import { compileFields } from '../../src/pipeline/validate.ts';
import type { OutMessage, SeqMark, SubmitResult } from '../../src/queue/outbox.ts';
import { MqttSnGateway } from '../../src/mqttsn/gateway.ts';
import type { ClientSession, ClientState } from '../../src/mqttsn/client-state.ts';
import type { SnDropReason, SnEnvironment } from '../../src/mqttsn/context.ts';
import type {
  InnerPacket,
  PacketOf,
  PublishQos,
  PublishTopic,
  Qos,
  SubscribeTopic,
} from '../../src/mqttsn/packet-types.ts';

export const PORT = 'kitchen';
export const PREFIX = 'home/kitchen';

export type QueueMode = 'queued' | 'full' | 'reject' | 'hold';

export interface Held {
  resolve(result: SubmitResult): void;
  reject(error: Error): void;
}

/** Everything the gateway does to the outside world, recorded; time and queue answers chosen. */
export class FakeEnv implements SnEnvironment {
  time = 1_700_000_000_000;
  sent: [string, InnerPacket][] = [];
  queued: { messages: OutMessage[]; mark: SeqMark | undefined }[] = [];
  queueMode: QueueMode = 'queued';
  held: Held[] = [];
  presetMarks = new Map<string, SeqMark[]>();
  marksAsked: string[] = [];
  forgotten: string[] = [];
  subscribed: [string, Qos][] = [];
  unsubscribed: string[] = [];
  drops: { reason: SnDropReason; detail: string; address: string }[] = [];
  changes: { clientId: string; address: string; from: ClientState; to: ClientState }[] = [];

  now(): number {
    return this.time;
  }
  send(address: string, packet: InnerPacket): void {
    this.sent.push([address, packet]);
  }
  queue(messages: OutMessage[], mark?: SeqMark): Promise<SubmitResult> {
    this.queued.push({ messages, mark });
    switch (this.queueMode) {
      case 'queued':
        return Promise.resolve({ status: 'queued' });
      case 'full':
        return Promise.resolve({ status: 'full' });
      case 'reject':
        return Promise.reject(new Error('disk I/O error'));
      case 'hold':
        return new Promise<SubmitResult>((resolve, reject) => this.held.push({ resolve, reject }));
    }
  }
  marks(key: string): readonly SeqMark[] {
    this.marksAsked.push(key);
    return this.presetMarks.get(key) ?? [];
  }
  forgetMarks(key: string): void {
    this.forgotten.push(key);
  }
  subscribe(filter: string, qos: Qos): void {
    this.subscribed.push([filter, qos]);
  }
  unsubscribe(filter: string): void {
    this.unsubscribed.push(filter);
  }
  drop(reason: SnDropReason, detail: string, address: string): void {
    this.drops.push({ reason, detail, address });
  }
  clientChanged(client: ClientSession, from: ClientState): void {
    this.changes.push({ clientId: client.clientId, address: client.address, from, to: client.state });
  }

  advance(ms: number): void {
    this.time += ms;
  }
  /** The packets sent since the last take(), to any address. */
  take(): [string, InnerPacket][] {
    const out = this.sent;
    this.sent = [];
    return out;
  }
  /** The packets sent since the last take(), all to `address`. */
  takeFor(address = ''): InnerPacket[] {
    const out = this.take();
    for (const [a] of out) assert.equal(a, address, 'a packet went to the wrong address');
    return out.map(([, p]) => p);
  }
  /** The messages handed to queue(), flattened. */
  messages(): OutMessage[] {
    return this.queued.flatMap((q) => q.messages);
  }
  dropReasons(): SnDropReason[] {
    return this.drops.map((d) => d.reason);
  }
}

export const FIELDS = compileFields({
  temp: fieldSchema.parse({ type: 'number', min: -40, max: 85 }),
  // The wire key, not the field's name, is the device-relative topic name.
  humidity: fieldSchema.parse({ type: 'integer', key: 'hum', min: 0, max: 100 }),
  mode: fieldSchema.parse({ type: 'enum', values: ['auto', 'off'] }),
});

export interface Setup {
  gw: MqttSnGateway;
  env: FakeEnv;
}

export function setup(spec: Record<string, unknown> = {}, env = new FakeEnv()): Setup {
  const parsed = mqttsnSchema.parse({
    retry: 1000,
    retries: 2,
    gateway_id: 42,
    predefined: { '7': 'status', '9': 'cmd/fan' },
    ...spec,
  });
  const gw = new MqttSnGateway({ port: PORT, prefix: PREFIX, spec: parsed, fields: FIELDS, env });
  return { gw, env };
}

/** Lets every pending promise callback run (the queue's answer, then the PUBACK). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function buf(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

export function client(gw: MqttSnGateway, address = ''): ClientSession {
  const found = gw.clients().find((c) => c.address === address);
  assert.ok(found, `no client at "${address}"`);
  return found;
}

export interface ConnectOptions {
  clientId?: string;
  duration?: number;
  cleanSession?: boolean;
}

/** A CONNECT (MQTT-SN 1.2 §5.4.4): no Will, clean session, ProtocolId 0x01, 60 s, "dev-1". */
export function connectPacket(o: ConnectOptions & { will?: boolean; protocolId?: number } = {}): InnerPacket {
  return {
    type: 'CONNECT',
    will: o.will ?? false,
    cleanSession: o.cleanSession ?? true,
    protocolId: o.protocolId ?? 1,
    duration: o.duration ?? 60,
    clientId: o.clientId ?? 'dev-1',
  };
}

/** CONNECT without a Will, CONNACK 0 checked; the sent list is left empty. */
export function connect(s: Setup, address = '', o: ConnectOptions = {}): void {
  s.gw.receive(address, connectPacket(o));
  assert.deepEqual(s.env.takeFor(address), [{ type: 'CONNACK', returnCode: 0 }]);
}

/** A fresh gateway (setup(spec)) with client "dev-1" connected at address ''. */
export function connected(spec: Record<string, unknown> = {}, o: ConnectOptions = {}): Setup {
  const s = setup(spec);
  connect(s, '', o);
  return s;
}

/** CONNECT with a Will, through the whole §6.3 handshake. */
export function connectWithWill(
  s: Setup,
  will: { topic: string; qos: Qos; retain: boolean; payload: string },
  address = '',
  o: ConnectOptions = {},
): void {
  s.gw.receive(address, connectPacket({ ...o, will: true }));
  assert.deepEqual(s.env.takeFor(address), [{ type: 'WILLTOPICREQ' }]);
  s.gw.receive(address, {
    type: 'WILLTOPIC',
    will: { topic: will.topic, qos: will.qos, retain: will.retain },
  });
  assert.deepEqual(s.env.takeFor(address), [{ type: 'WILLMSGREQ' }]);
  s.gw.receive(address, { type: 'WILLMSG', willMsg: buf(will.payload) });
  assert.deepEqual(s.env.takeFor(address), [{ type: 'CONNACK', returnCode: 0 }]);
}

/** REGISTER `name`, REGACK 0 checked; returns the topic id. */
export function register(s: Setup, name: string, address = '', msgId = 100): number {
  s.gw.receive(address, { type: 'REGISTER', topicId: 0, msgId, topicName: name });
  const [regack] = s.env.takeFor(address);
  assert.ok(regack?.type === 'REGACK', 'REGACK expected');
  assert.equal(regack.returnCode, 0);
  assert.equal(regack.msgId, msgId);
  assert.ok(regack.topicId >= 1 && regack.topicId <= 0xfffe);
  return regack.topicId;
}

export function publish(
  topic: PublishTopic,
  payload: string,
  qos: PublishQos,
  msgId = qos > 0 ? 1 : 0,
  extra: { dup?: boolean; retain?: boolean } = {},
): InnerPacket {
  return {
    type: 'PUBLISH',
    dup: extra.dup ?? false,
    qos,
    retain: extra.retain ?? false,
    topic,
    msgId,
    payload: buf(payload),
  };
}

/** A SUBSCRIBE (MQTT-SN 1.2 §5.4.15), DUP clear. */
export function subscribePacket(topic: SubscribeTopic, qos: Qos, msgId: number): InnerPacket {
  return { type: 'SUBSCRIBE', dup: false, qos, msgId, topic };
}

/** SUBSCRIBE by name, SUBACK 0 checked; returns the SUBACK's topic id. */
export function subscribeName(s: Setup, name: string, qos: Qos, address = '', msgId = 200): number {
  s.gw.receive(address, subscribePacket({ kind: 'name', name }, qos, msgId));
  const [suback] = s.env.takeFor(address);
  assert.ok(suback?.type === 'SUBACK', 'SUBACK expected');
  assert.equal(suback.returnCode, 0);
  assert.equal(suback.qos, qos);
  return suback.topicId;
}

/** The first packet sent since the last take() (all to address ''), which must be a PUBLISH. */
export function takePublish(s: Setup): PacketOf<'PUBLISH'> {
  const [pub] = s.env.takeFor();
  assert.ok(pub?.type === 'PUBLISH');
  return pub;
}

/** DISCONNECT(Duration) (§6.14): the client falls asleep; the gateway's DISCONNECT is taken. */
export function fallAsleep(s: Setup, durationS = 30, address = ''): void {
  s.gw.receive(address, { type: 'DISCONNECT', duration: durationS });
  s.env.take();
}
