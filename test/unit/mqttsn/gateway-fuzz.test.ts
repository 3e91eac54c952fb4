// Fuzzing the MQTT-SN gateway core (docs/architecture.md: bad data is a value, never an
// exception): random sequences of packets from a few clients (behind a forwarder, §5.5),
// messages from the broker, queue answers and the passing of time never make it throw, and
// after every step:
// - every packet it sent encodes (encodePacket throws on anything a peer would discard),
//   inside a forwarder encapsulation for a node address;
// - each client's downlink buffer holds at most max(1, sleep_buffer) messages (§6.14) and
//   the exchange in flight, if any, is the head of it;
// - each client's topic table holds at most max_topics names (§6.5); its subscriptions at
//   most max_subscriptions, the port's at most max_port_subscriptions;
// - every message queued for the broker is under `<prefix>/` (docs/contract.md §4.2);
// - the upstream subscriptions the environment counts are exactly the clients' ones.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fieldSchema, mqttsnSchema } from '../../../src/config/schema.ts';
import { compileFields } from '../../../src/pipeline/validate.ts';
import type { OutMessage, SeqMark, SubmitResult } from '../../../src/queue/outbox.ts';
import { MqttSnGateway } from '../../../src/mqttsn/gateway.ts';
import type { ClientSession, ClientState } from '../../../src/mqttsn/client-state.ts';
import type { SnDropReason, SnEnvironment } from '../../../src/mqttsn/context.ts';
import { encodePacket } from '../../../src/mqttsn/encode.ts';
import type {
  InnerPacket,
  PublishTopic,
  Qos,
  ReturnCodeValue,
  SubscribeTopic,
  WillTopicFields,
} from '../../../src/mqttsn/packet-types.ts';
import { errorMessage } from '../../../src/errors.ts';

const PORT = 'bench';
const PREFIX = 'lab/bench';

type QueueMode = 'queued' | 'full' | 'reject' | 'hold';

class FuzzEnv implements SnEnvironment {
  time = 1_000_000;
  mode: QueueMode = 'queued';
  held: { resolve(r: SubmitResult): void; reject(e: Error): void }[] = [];
  queued: OutMessage[] = [];
  problems: string[] = [];
  upstream = new Map<string, number>();
  committed: SeqMark[] = [];
  sentCount = 0;

  now(): number {
    return this.time;
  }
  send(address: string, packet: InnerPacket): void {
    this.sentCount += 1;
    try {
      encodePacket(
        address === ''
          ? packet
          : { type: 'ENCAPSULATED', radius: 0, wirelessNodeId: Buffer.from(address, 'hex'), packet },
      );
    } catch (error) {
      this.problems.push(`${packet.type} to "${address}": ${errorMessage(error)}`);
    }
  }
  queue(messages: OutMessage[], mark?: SeqMark): Promise<SubmitResult> {
    this.queued.push(...messages);
    if (mark !== undefined) this.committed.push(mark);
    switch (this.mode) {
      case 'queued':
        return Promise.resolve({ status: 'queued' });
      case 'full':
        return Promise.resolve({ status: 'full' });
      case 'reject':
        return Promise.reject(new Error('disk I/O error'));
      case 'hold':
        return new Promise((resolve, reject) => this.held.push({ resolve, reject }));
    }
  }
  marks(key: string): readonly SeqMark[] {
    return this.committed.filter((m) => m.port === key);
  }
  forgetMarks(key: string): void {
    this.committed = this.committed.filter((m) => m.port !== key);
  }
  subscribe(filter: string, _qos: Qos): void {
    this.upstream.set(filter, (this.upstream.get(filter) ?? 0) + 1);
  }
  unsubscribe(filter: string): void {
    const n = (this.upstream.get(filter) ?? 0) - 1;
    if (n < 0) this.problems.push(`unsubscribe of ${filter} without a subscription`);
    if (n <= 0) this.upstream.delete(filter);
    else this.upstream.set(filter, n);
  }
  drop(_reason: SnDropReason, _detail: string, _address: string): void {}
  clientChanged(_client: ClientSession, _from: ClientState): void {}

  release(outcome: 'queued' | 'full' | 'reject'): void {
    const held = this.held;
    this.held = [];
    for (const h of held)
      if (outcome === 'reject') h.reject(new Error('disk I/O error'));
      else h.resolve({ status: outcome });
  }
}

const FIELDS = compileFields({
  temp: fieldSchema.parse({ type: 'number', min: -40, max: 85 }),
  humidity: fieldSchema.parse({ type: 'integer', key: 'hum' }),
  mode: fieldSchema.parse({ type: 'enum', values: ['auto', 'off'] }),
});

// ---- arbitraries -------------------------------------------------------------------------

const ADDRESSES = ['', '0001', '00a2'];
const address = fc.constantFrom(...ADDRESSES);
const qos = fc.constantFrom<Qos>(0, 1, 2);
const returnCode = fc.constantFrom<ReturnCodeValue>(0, 1, 2, 3);
/** Few MsgIds so that resends, duplicates and stale acknowledgements happen often. */
const msgId = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 5 }), weight: 9 }, fc.constant(0xffff));
const topicId = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 6 }), weight: 9 }, fc.constant(0xfffe));

/** Valid names, names breaking docs/contract.md §5, and odd text. */
const name = fc.oneof(
  {
    arbitrary: fc.constantFrom('temp', 'hum', 'mode', 'status', 'cmd/fan', 'cmd/led', 'led', 'ab', 'a/b/c'),
    weight: 6,
  },
  {
    arbitrary: fc.constantFrom('a/+', '#', '$SYS/x', '/a', 'a//b', '../x', 'é', '#/a', 'a b', ''),
    weight: 2,
  },
  { arbitrary: fc.string({ minLength: 1, maxLength: 12 }), weight: 1 },
);
const filter = fc.oneof(
  { arbitrary: name, weight: 3 },
  { arbitrary: fc.constantFrom('cmd/+', '#', '+/+', '+', 'cmd/#', 'a/#/b'), weight: 2 },
);
const shortName = fc.constantFrom('ab', 'tm', 'le', 'é', '+#', '$x');
const predefinedId = fc.constantFrom(7, 8, 9);
const payload = fc.oneof(
  fc.constantFrom('21.5', '40', 'auto', 'hot', '', '1000').map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)),
);

const publishTopic: fc.Arbitrary<PublishTopic> = fc.oneof(
  topicId.map((id) => ({ kind: 'normal' as const, id })),
  predefinedId.map((id) => ({ kind: 'predefined' as const, id })),
  shortName.map((n) => ({ kind: 'short' as const, name: n })),
);
const subscribeTopic: fc.Arbitrary<SubscribeTopic> = fc.oneof(
  {
    arbitrary: filter.filter((f) => f.length > 0).map((n) => ({ kind: 'name' as const, name: n })),
    weight: 3,
  },
  predefinedId.map((id) => ({ kind: 'predefined' as const, id })),
  shortName.map((n) => ({ kind: 'short' as const, name: n })),
);
const will: fc.Arbitrary<WillTopicFields | null> = fc.option(
  fc.record({ qos, retain: fc.boolean(), topic: name.filter((n) => n.length > 0) }),
);

/** Packets a client may send (the codec's shapes), plus a few that only a gateway sends. */
const packet: fc.Arbitrary<InnerPacket> = fc.oneof(
  {
    arbitrary: fc.record({
      type: fc.constant('CONNECT' as const),
      will: fc.boolean(),
      cleanSession: fc.boolean(),
      protocolId: fc.constantFrom(1, 1, 1, 2),
      duration: fc.integer({ min: 0, max: 30 }),
      clientId: fc.constantFrom('dev-1', 'dev-2', 'n'),
    }),
    weight: 4,
  },
  fc.record({ type: fc.constant('WILLTOPIC' as const), will }),
  fc.record({ type: fc.constant('WILLMSG' as const), willMsg: payload }),
  fc.record({ type: fc.constant('WILLTOPICUPD' as const), will }),
  fc.record({ type: fc.constant('WILLMSGUPD' as const), willMsg: payload }),
  {
    arbitrary: fc.record({
      type: fc.constant('REGISTER' as const),
      topicId: fc.constant(0),
      msgId,
      topicName: name.filter((n) => n.length > 0),
    }),
    weight: 3,
  },
  {
    arbitrary: fc
      .record({ type: fc.constant('REGACK' as const), topicId, msgId, returnCode })
      .map((p) => p as InnerPacket),
    weight: 2,
  },
  {
    arbitrary: fc
      .record({
        type: fc.constant('PUBLISH' as const),
        dup: fc.boolean(),
        qos: fc.constantFrom<-1 | 0 | 1 | 2>(-1, 0, 1, 2),
        retain: fc.boolean(),
        topic: publishTopic,
        msgId,
        payload,
      })
      // §6.8: QoS −1 only with a predefined topic id or a short name (the codec enforces it).
      .filter((p) => !(p.qos === -1 && p.topic.kind === 'normal')),
    weight: 6,
  },
  {
    arbitrary: fc.record({ type: fc.constant('PUBACK' as const), topicId, msgId, returnCode }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      type: fc.constantFrom('PUBREC' as const, 'PUBREL' as const, 'PUBCOMP' as const),
      msgId,
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      type: fc.constant('SUBSCRIBE' as const),
      dup: fc.boolean(),
      qos,
      msgId,
      topic: subscribeTopic,
    }),
    weight: 3,
  },
  fc.record({ type: fc.constant('UNSUBSCRIBE' as const), msgId, topic: subscribeTopic }),
  {
    arbitrary: fc.record(
      { type: fc.constant('PINGREQ' as const), clientId: fc.constantFrom('dev-1', 'dev-2', 'n', 'other') },
      { requiredKeys: ['type'] },
    ),
    weight: 2,
  },
  {
    arbitrary: fc.record(
      { type: fc.constant('DISCONNECT' as const), duration: fc.integer({ min: 0, max: 40 }) },
      { requiredKeys: ['type'] },
    ),
    weight: 2,
  },
  fc.record({ type: fc.constant('SEARCHGW' as const), radius: fc.integer({ min: 0, max: 3 }) }),
  fc.constantFrom<InnerPacket>(
    { type: 'ADVERTISE', gwId: 1, duration: 900 },
    { type: 'GWINFO', gwId: 2 },
    { type: 'CONNACK', returnCode: 0 },
    { type: 'WILLTOPICREQ' },
    { type: 'WILLMSGREQ' },
    { type: 'PINGRESP' },
    { type: 'UNSUBACK', msgId: 1 },
    { type: 'SUBACK', qos: 0, topicId: 0, msgId: 1, returnCode: 0 },
  ),
);

type Command =
  | { kind: 'receive'; address: string; packet: InnerPacket }
  | { kind: 'deliver'; topic: string; payload: Buffer; qos: Qos; retain: boolean }
  | { kind: 'time'; ms: number }
  | { kind: 'mode'; mode: QueueMode }
  | { kind: 'release'; outcome: 'queued' | 'full' | 'reject' }
  | { kind: 'flush' };

const brokerTopic = fc.oneof(
  { arbitrary: name.map((n) => `${PREFIX}/${n}`), weight: 6 },
  fc.constantFrom(PREFIX, `${PREFIX}/`, 'lab/other/temp', 'lab/benchmark/temp', `${PREFIX}/a/b/c/d`),
);

/** The steps that reach the interesting states: a connected client with subscriptions. */
const connect: fc.Arbitrary<InnerPacket> = fc.record({
  type: fc.constant('CONNECT' as const),
  will: fc.constant(false),
  cleanSession: fc.boolean(),
  protocolId: fc.constant(1),
  duration: fc.constantFrom(0, 10, 60),
  clientId: fc.constantFrom('dev-1', 'dev-2'),
});
const subscribe: fc.Arbitrary<InnerPacket> = fc.record({
  type: fc.constant('SUBSCRIBE' as const),
  dup: fc.constant(false),
  qos,
  msgId: fc.constant(1),
  topic: fc.constantFrom<SubscribeTopic>(
    { kind: 'name', name: '#' },
    { kind: 'name', name: 'led' },
    { kind: 'name', name: 'cmd/+' },
    { kind: 'predefined', id: 9 },
    { kind: 'short', name: 'ab' },
  ),
});
/** The client's answers to the gateway's own REGISTER and PUBLISH (its MsgIds start at 1). */
const answer: fc.Arbitrary<InnerPacket> = fc.oneof(
  fc.record({
    type: fc.constant('REGACK' as const),
    topicId: fc.integer({ min: 1, max: 4 }),
    msgId: fc.integer({ min: 1, max: 8 }),
    returnCode: fc.constantFrom<ReturnCodeValue>(0, 0, 0, 2, 3),
  }),
  fc.record({
    type: fc.constant('PUBACK' as const),
    topicId: fc.integer({ min: 1, max: 4 }),
    msgId: fc.integer({ min: 1, max: 8 }),
    returnCode: fc.constantFrom<ReturnCodeValue>(0, 0, 0, 1, 2, 3),
  }),
  fc.record({
    type: fc.constantFrom('PUBREC' as const, 'PUBCOMP' as const),
    msgId: fc.integer({ min: 1, max: 8 }),
  }),
);

const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('receive' as const), address, packet }), weight: 8 },
  {
    arbitrary: fc.record({
      kind: fc.constant('receive' as const),
      address,
      packet: fc.oneof(connect, subscribe),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('receive' as const), address, packet: answer }), weight: 5 },
  {
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      topic: brokerTopic,
      payload,
      qos,
      retain: fc.boolean(),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('time' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 60_000 })),
    }),
    weight: 3,
  },
  fc.record({
    kind: fc.constant('mode' as const),
    mode: fc.constantFrom<QueueMode>('queued', 'full', 'reject', 'hold'),
  }),
  fc.record({
    kind: fc.constant('release' as const),
    outcome: fc.constantFrom('queued' as const, 'full' as const, 'reject' as const),
  }),
  { arbitrary: fc.constant({ kind: 'flush' as const }), weight: 3 },
);

const specArb = fc.record({
  sleep_buffer: fc.constantFrom(0, 1, 3),
  max_topics: fc.constantFrom(1, 2, 4),
  max_subscriptions: fc.constantFrom(1, 2, 64),
  max_port_subscriptions: fc.constantFrom(2, 3, 1024),
  max_clients: fc.constantFrom(1, 2, 3),
  retry: fc.constantFrom(500, 1000),
  retries: fc.constantFrom(0, 1, 3),
  undeclared_topics: fc.boolean(),
});

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function check(
  gw: MqttSnGateway,
  env: FuzzEnv,
  spec: {
    sleep_buffer: number;
    max_topics: number;
    max_subscriptions: number;
    max_port_subscriptions: number;
  },
): void {
  assert.deepEqual(env.problems, []);
  const upstream = new Map<string, number>();
  let subscriptions = 0;
  for (const c of gw.clients()) {
    assert.ok(c.subscriptions.size <= spec.max_subscriptions, `subscriptions of ${c.address}`);
    subscriptions += c.subscriptions.size;
    assert.ok(c.downlink.length <= Math.max(1, spec.sleep_buffer), `downlink of ${c.address}`);
    assert.ok(c.topics.size <= spec.max_topics, `topic table of ${c.address}`);
    if (c.outstanding !== null) assert.equal(c.outstanding.delivery, c.downlink[0], 'in flight = head');
    for (const f of c.subscriptions.keys()) upstream.set(f, (upstream.get(f) ?? 0) + 1);
  }
  assert.ok(subscriptions <= spec.max_port_subscriptions, 'subscriptions of the port');
  assert.deepEqual(env.upstream, upstream, 'upstream subscriptions balance');
  for (const m of env.queued) assert.ok(m.topic.startsWith(`${PREFIX}/`), m.topic);
}

describe('fuzz: MQTT-SN gateway core', () => {
  it('random packets, deliveries, queue answers and time keep every invariant', async () => {
    await fc.assert(
      fc.asyncProperty(
        specArb,
        fc.array(command, { maxLength: 80, size: 'max' }),
        async (specIn, commands) => {
          const spec = mqttsnSchema.parse({ ...specIn, predefined: { '7': 'status', '9': 'cmd/fan' } });
          const env = new FuzzEnv();
          const gw = new MqttSnGateway({ port: PORT, prefix: PREFIX, spec, fields: FIELDS, env });
          for (const cmd of commands) {
            switch (cmd.kind) {
              case 'receive':
                gw.receive(cmd.address, cmd.packet);
                break;
              case 'deliver':
                gw.deliver(cmd.topic, cmd.payload, cmd.qos, cmd.retain);
                break;
              case 'time':
                env.time += cmd.ms;
                gw.tick();
                break;
              case 'mode':
                env.mode = cmd.mode;
                break;
              case 'release':
                env.release(cmd.outcome);
                break;
              case 'flush':
                await flush();
                break;
            }
            check(gw, env, spec);
          }
          env.mode = 'queued';
          env.release('queued');
          await flush();
          await flush();
          check(gw, env, spec);
          for (const c of gw.clients()) assert.equal(c.pendingUplink.size, 0, 'every uplink settled');
        },
      ),
      { numRuns: 400 },
    );
  });
});
