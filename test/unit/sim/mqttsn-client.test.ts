// The simulated MQTT-SN client against a scripted fake gateway in the same process: the
// gateway deframes and decodes what the client writes and answers with encoded packets
// through onInput. Time is a hand-driven clock, so retries are deterministic and instant.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../helpers/fake-clock.ts';
import { decodePacket } from '../../../src/mqttsn/decode.ts';
import { encodePacket } from '../../../src/mqttsn/encode.ts';
import type { InnerPacket, MqttSnPacket } from '../../../src/mqttsn/packet-types.ts';
import { createPacketFramer, encodeFrame, type PacketFraming } from '../../../src/framing/packet-framers.ts';
import type { PacketFramer } from '../../../src/framing/packet-framer.ts';
import {
  MqttSnClient,
  MqttSnClientError,
  type MqttSnClientOptions,
  type MqttSnMessage,
} from '../../../src/sim/mqttsn-client/client.ts';

/** Lets every pending promise continuation (and the gateway's microtask replies) run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

type Handler = (p: InnerPacket) => InnerPacket[];

/** A scripted MQTT-SN gateway: `handler` answers each packet; standard() is a well-behaved one. */
class FakeGateway {
  /** What the client sent, unwrapped, in order. */
  readonly received: InnerPacket[] = [];
  /** The same packets as on the wire (encapsulated, if so). */
  readonly wire: MqttSnPacket[] = [];
  /** The octets of each write() call. */
  readonly writes: Buffer[] = [];
  handler: Handler = (p) => this.standard(p);
  /** true: swallow everything (crashed or unplugged). */
  down = false;
  client: MqttSnClient | undefined;
  readonly #framer: PacketFramer;
  #nextTopicId = 1;
  readonly #topics = new Map<string, number>();

  constructor(
    readonly framing: PacketFraming = 'raw',
    readonly nodeId?: Buffer,
  ) {
    this.#framer = createPacketFramer(framing);
  }

  readonly write = (bytes: Buffer): void => {
    this.writes.push(Buffer.from(bytes));
    for (const event of this.#framer.push(bytes, 0)) {
      assert.equal(event.kind, 'packet', 'the client wrote a frame the framer rejects');
      if (event.kind !== 'packet') continue;
      const decoded = decodePacket(event.packet);
      assert.ok(decoded.ok, `the client wrote an undecodable packet: ${JSON.stringify(decoded)}`);
      this.wire.push(decoded.packet);
      const p = decoded.packet.type === 'ENCAPSULATED' ? decoded.packet.packet : decoded.packet;
      this.received.push(p);
      if (this.down) continue;
      for (const reply of this.handler(p)) queueMicrotask(() => this.reply(reply));
    }
  };

  /** Sends `p` to the client (encapsulated with the client's node id, if it has one). */
  reply(p: InnerPacket): void {
    const nodeId = this.nodeId;
    this.replyWire(
      nodeId === undefined ? p : { type: 'ENCAPSULATED', radius: 0, wirelessNodeId: nodeId, packet: p },
    );
  }

  replyWire(wire: MqttSnPacket): void {
    this.client?.onInput(encodeFrame(this.framing, encodePacket(wire)));
  }

  /** A restart: the gateway forgets every registration. */
  restart(): void {
    this.#topics.clear();
    this.#nextTopicId = 1;
  }

  of<T extends InnerPacket['type']>(type: T): Extract<InnerPacket, { type: T }>[] {
    return this.received.filter((p): p is Extract<InnerPacket, { type: T }> => p.type === type);
  }

  types(): string[] {
    return this.received.map((p) => p.type);
  }

  standard(p: InnerPacket): InnerPacket[] {
    switch (p.type) {
      case 'CONNECT':
        return [p.will ? { type: 'WILLTOPICREQ' } : { type: 'CONNACK', returnCode: 0 }];
      case 'WILLTOPIC':
        return [{ type: 'WILLMSGREQ' }];
      case 'WILLMSG':
        return [{ type: 'CONNACK', returnCode: 0 }];
      case 'REGISTER': {
        const topicId = this.#topics.get(p.topicName) ?? this.#nextTopicId++;
        this.#topics.set(p.topicName, topicId);
        return [{ type: 'REGACK', topicId, msgId: p.msgId, returnCode: 0 }];
      }
      case 'PUBLISH': {
        if (p.qos === 2) return [{ type: 'PUBREC', msgId: p.msgId }];
        const known = p.topic.kind !== 'normal' || [...this.#topics.values()].includes(p.topic.id);
        const topicId = p.topic.kind === 'short' ? Buffer.from(p.topic.name).readUInt16BE(0) : p.topic.id;
        if (!known) return [{ type: 'PUBACK', topicId, msgId: p.msgId, returnCode: 2 }];
        return p.qos === 1 ? [{ type: 'PUBACK', topicId, msgId: p.msgId, returnCode: 0 }] : [];
      }
      case 'PUBREL':
        return [{ type: 'PUBCOMP', msgId: p.msgId }];
      case 'SUBSCRIBE': {
        const wildcard = p.topic.kind === 'name' && /[+#]/.test(p.topic.name);
        const topicId =
          p.topic.kind === 'name' && !wildcard ? 7 : p.topic.kind === 'predefined' ? p.topic.id : 0;
        return [{ type: 'SUBACK', qos: p.qos, topicId, msgId: p.msgId, returnCode: 0 }];
      }
      case 'UNSUBSCRIBE':
        return [{ type: 'UNSUBACK', msgId: p.msgId }];
      case 'PINGREQ':
        return [{ type: 'PINGRESP' }];
      case 'DISCONNECT':
        return [{ type: 'DISCONNECT' }];
      case 'SEARCHGW':
        return [{ type: 'GWINFO', gwId: 0x2a }];
      case 'WILLTOPICUPD':
        return [{ type: 'WILLTOPICRESP', returnCode: 0 }];
      case 'WILLMSGUPD':
        return [{ type: 'WILLMSGRESP', returnCode: 0 }];
      default:
        return [];
    }
  }
}

const RETRY_MS = 30;

function rig(options: Partial<MqttSnClientOptions> = {}) {
  const clock = new FakeClock();
  const gw = new FakeGateway(options.framing ?? 'raw', options.nodeId);
  const messages: MqttSnMessage[] = [];
  const client = new MqttSnClient({
    clientId: 'sensor-01',
    framing: 'raw',
    retryMs: RETRY_MS,
    maxRetries: 3,
    scheduler: clock,
    now: () => clock.now,
    onMessage: (m) => messages.push(m),
    write: gw.write,
    ...options,
  });
  gw.client = client;
  /** Advances the clock by `ms`, letting the client react before and after. */
  const advance = async (ms: number): Promise<void> => {
    await settle();
    clock.advance(ms);
    await settle();
  };
  /** stop() must leave no timer behind. */
  const finish = (): void => {
    client.stop();
    assert.equal(clock.pending, 0, 'a timer is still running after stop()');
  };
  return { clock, gw, client, messages, advance, finish };
}

function hex(buf: Buffer): string {
  return buf.toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

/** Spec notation (`0B 0C 20 …`) as this file prints it. */
function spec(text: string): string {
  return text.toLowerCase();
}

describe('MqttSnClient connect', () => {
  it('answers the Will handshake byte for byte and resolves with the CONNACK code', async () => {
    const { gw, client, finish } = rig({
      clientId: 'sensor-02',
      keepAliveS: 300,
      will: { topic: 'sensors/s2/status', payload: 'offline', qos: 1, retain: true },
    });
    assert.equal(await client.connect(), 0);
    assert.equal(client.state, 'active');
    assert.deepEqual(gw.types(), ['CONNECT', 'WILLTOPIC', 'WILLMSG']);
    assert.equal(hex(gw.writes[0]!), spec('0F 04 0C 01 01 2C 73 65 6E 73 6F 72 2D 30 32'));
    assert.equal(hex(gw.writes[1]!), spec('14 07 30 73 65 6E 73 6F 72 73 2F 73 32 2F 73 74 61 74 75 73'));
    assert.equal(hex(gw.writes[2]!), spec('09 09 6F 66 66 6C 69 6E 65'));
    finish();
  });

  it('resolves with a refusal code and stays disconnected; session requests then reject', async () => {
    const { gw, client, finish } = rig();
    gw.handler = (p) => (p.type === 'CONNECT' ? [{ type: 'CONNACK', returnCode: 3 }] : []);
    assert.equal(await client.connect(), 3);
    assert.equal(client.state, 'disconnected');
    await assert.rejects(
      client.register('a/b'),
      (e) => e instanceof MqttSnClientError && e.code === 'not_connected',
    );
    finish();
  });

  it('rejects with timeout after N_retry unanswered CONNECTs', async () => {
    const { gw, client, advance, finish } = rig({ maxRetries: 2 });
    gw.down = true;
    const rejected = assert.rejects(
      client.connect(),
      (e) => e instanceof MqttSnClientError && e.code === 'timeout',
    );
    for (let i = 0; i < 3; i++) await advance(RETRY_MS);
    await rejected;
    assert.equal(gw.of('CONNECT').length, 3);
    assert.equal(client.stats.resends, 2);
    finish();
  });
});

describe('MqttSnClient publish', () => {
  it('registers and publishes QoS 1 with the exact flags and ids', async () => {
    const { gw, client, finish } = rig();
    await client.connect();
    assert.equal(await client.register('sensors/temp'), 1);
    assert.equal(hex(gw.writes[1]!), spec('12 0A 00 00 00 01 73 65 6E 73 6F 72 73 2F 74 65 6D 70'));
    assert.equal(await client.publish({ kind: 'normal', id: 1 }, '21.5', { qos: 1 }), 0);
    assert.equal(hex(gw.writes[2]!), spec('0B 0C 20 00 01 00 02 32 31 2E 35'));
    // A name already registered uses the cached id; a new name is registered first.
    assert.equal(await client.publish('sensors/temp', '22.0', { qos: 1, retain: true }), 0);
    assert.equal(await client.publish('sensors/hum', '40', { qos: 1 }), 0);
    assert.deepEqual(gw.types(), ['CONNECT', 'REGISTER', 'PUBLISH', 'PUBLISH', 'REGISTER', 'PUBLISH']);
    const [, second, third] = gw.of('PUBLISH');
    assert.deepEqual([second?.retain, second?.topic], [true, { kind: 'normal', id: 1 }]);
    assert.deepEqual(third?.topic, { kind: 'normal', id: 2 });
    assert.equal(client.topicIdOf('sensors/hum'), 2);
    finish();
  });

  it('rejects a refused REGISTER with the return code', async () => {
    const { gw, client, finish } = rig();
    gw.handler = (p) =>
      p.type === 'REGISTER'
        ? [{ type: 'REGACK', topicId: 0, msgId: p.msgId, returnCode: 3 }]
        : gw.standard(p);
    await client.connect();
    await assert.rejects(client.register('x/y'), (e) => e instanceof MqttSnClientError && e.returnCode === 3);
    finish();
  });

  it('runs the QoS 2 flow PUBLISH → PUBREC → PUBREL → PUBCOMP', async () => {
    const { gw, client, finish } = rig();
    await client.connect();
    assert.equal(await client.publish({ kind: 'predefined', id: 100 }, 'x', { qos: 2 }), 0);
    assert.deepEqual(gw.types(), ['CONNECT', 'PUBLISH', 'PUBREL']);
    assert.equal(hex(gw.writes[1]!), spec('08 0C 41 00 64 00 01 78'));
    assert.equal(hex(gw.writes[2]!), spec('04 10 00 01'));
    finish();
  });

  it('sends QoS 0 and QoS −1 at once; QoS −1 needs no connection and no topic name', async () => {
    const { gw, client, finish } = rig();
    assert.equal(await client.publish({ kind: 'predefined', id: 0x64 }, '30', { qos: -1 }), 0);
    assert.equal(hex(gw.writes[0]!), spec('09 0C 61 00 64 00 00 33 30'));
    await assert.rejects(
      client.publish('a/b', 'x', { qos: -1 }),
      (e) => e instanceof MqttSnClientError && e.code === 'invalid',
    );
    await client.connect();
    assert.equal(await client.publish({ kind: 'short', name: 'tm' }, '21.5', { qos: 0 }), 0);
    assert.equal(hex(gw.writes[2]!), spec('0B 0C 02 74 6D 00 00 32 31 2E 35'));
    finish();
  });

  it('counts a PUBACK error answering a QoS 0 publish in stats.errorAcks', async () => {
    const { client, finish } = rig();
    await client.connect();
    await client.publish({ kind: 'normal', id: 9 }, 'x', { qos: 0 });
    await settle();
    assert.equal(client.stats.errorAcks, 1);
    finish();
  });

  it('resends an unacknowledged PUBLISH with DUP=1 and the same MsgId after retryMs', async () => {
    const { gw, client, advance, finish } = rig();
    let dropped = 0;
    gw.handler = (p) => (p.type === 'PUBLISH' && dropped++ === 0 ? [] : gw.standard(p));
    await client.connect();
    await client.register('sensors/temp');
    const publishing = client.publish('sensors/temp', '21.5', { qos: 1 });
    await advance(RETRY_MS - 1);
    assert.equal(gw.of('PUBLISH').length, 1);
    await advance(1);
    assert.equal(await publishing, 0);
    const [first, second] = gw.of('PUBLISH');
    assert.deepEqual([first?.dup, second?.dup], [false, true]);
    assert.equal(second?.msgId, first?.msgId);
    assert.equal(hex(gw.writes.at(-1)!), spec('0B 0C A0 00 01 00 02 32 31 2E 35'));
    assert.equal(client.stats.resends, 1);
    finish();
  });

  it('retries on real timers too (the default scheduler), and stop() lets the process exit', async () => {
    const gw = new FakeGateway();
    let dropped = 0;
    gw.handler = (p) => (p.type === 'PUBLISH' && dropped++ === 0 ? [] : gw.standard(p));
    const client = new MqttSnClient({ clientId: 'real', framing: 'raw', retryMs: 20, write: gw.write });
    gw.client = client;
    await client.connect();
    const started = Date.now();
    assert.equal(await client.publish({ kind: 'predefined', id: 3 }, 'x', { qos: 1 }), 0);
    assert.ok(Date.now() - started >= 15, 'resent after retryMs, not at once');
    assert.deepEqual(
      gw.of('PUBLISH').map((p) => p.dup),
      [false, true],
    );
    client.stop(); // the keep-alive timer would otherwise hold the test process open
  });

  it('keeps one QoS 1 PUBLISH outstanding and queues the rest in order', async () => {
    const { gw, client, finish } = rig();
    gw.handler = (p) => (p.type === 'PUBLISH' ? [] : gw.standard(p));
    await client.connect();
    const results = [1, 2, 3].map((n) => client.publish({ kind: 'predefined', id: 5 }, `${n}`, { qos: 1 }));
    for (let n = 1; n <= 3; n++) {
      await settle();
      const publishes = gw.of('PUBLISH');
      assert.equal(publishes.length, n, 'the next PUBLISH waits for the PUBACK of the previous one');
      const last = publishes.at(-1)!;
      assert.equal(last.payload.toString(), `${n}`);
      gw.reply({ type: 'PUBACK', topicId: 5, msgId: last.msgId, returnCode: 0 });
    }
    assert.deepEqual(await Promise.all(results), [0, 0, 0]);
    finish();
  });

  it('bounds the queue: beyond maxQueued publish() rejects; stop() rejects the queued ones', async () => {
    const { gw, client, finish } = rig({ maxQueued: 2 });
    await client.connect();
    gw.down = true;
    const running = client.publish({ kind: 'predefined', id: 5 }, '1', { qos: 1 });
    await settle();
    const queued = [2, 3].map((n) => client.publish({ kind: 'predefined', id: 5 }, `${n}`, { qos: 1 }));
    await assert.rejects(
      client.publish({ kind: 'predefined', id: 5 }, '4', { qos: 1 }),
      (e) => e instanceof MqttSnClientError && e.code === 'queue_full',
    );
    const stopped = [running, ...queued].map((p) =>
      assert.rejects(p, (e) => e instanceof MqttSnClientError && e.code === 'stopped'),
    );
    finish();
    await Promise.all(stopped);
  });

  it('waits retryMs after PUBACK 0x01 (congestion) and resends', async () => {
    const { gw, client, advance, finish } = rig();
    let congested = true;
    gw.handler = (p) => {
      if (p.type !== 'PUBLISH' || !congested) return gw.standard(p);
      congested = false;
      return [{ type: 'PUBACK', topicId: 5, msgId: p.msgId, returnCode: 1 }];
    };
    await client.connect();
    const publishing = client.publish({ kind: 'predefined', id: 5 }, 'x', { qos: 1 });
    await settle();
    assert.equal(gw.of('PUBLISH').length, 1);
    await advance(RETRY_MS);
    assert.equal(await publishing, 0);
    assert.deepEqual(
      gw.of('PUBLISH').map((p) => [p.msgId, p.dup]),
      [
        [1, false],
        [1, true],
      ],
    );
    finish();
  });
});

describe('MqttSnClient survives a gateway restart', () => {
  it('DISCONNECT mid-publish: reconnects, re-registers, resends the same MsgId with DUP=1', async () => {
    const { gw, client, finish } = rig();
    let restarted = false;
    gw.handler = (p) => {
      if (p.type !== 'PUBLISH' || restarted) return gw.standard(p);
      restarted = true;
      gw.restart();
      return [{ type: 'DISCONNECT' }]; // §6.13: "does not know us"
    };
    await client.connect();
    assert.equal(await client.publish('sensors/temp', '21.5', { qos: 1 }), 0);
    assert.deepEqual(gw.types(), ['CONNECT', 'REGISTER', 'PUBLISH', 'CONNECT', 'REGISTER', 'PUBLISH']);
    const [first, again] = gw.of('PUBLISH');
    assert.equal(first?.msgId, 2);
    assert.equal(hex(gw.writes.at(-1)!), spec('0B 0C A0 00 01 00 02 32 31 2E 35'));
    assert.equal(again?.msgId, first?.msgId);
    assert.equal(client.stats.reconnects, 1);
    assert.equal(client.state, 'active');
    finish();
  });

  it('PUBACK 0x02 (registration gone): reconnects and resends the same message', async () => {
    const { gw, client, finish } = rig();
    let forgot = false;
    gw.handler = (p) => {
      if (p.type === 'PUBLISH' && !forgot) {
        forgot = true;
        gw.restart();
      }
      return gw.standard(p);
    };
    await client.connect();
    await client.register('a/b');
    await client.register('c/d'); // id 2, which the restarted gateway does not know
    assert.equal(await client.publish('c/d', 'v', { qos: 1 }), 0);
    assert.deepEqual(gw.types().slice(3), ['PUBLISH', 'CONNECT', 'REGISTER', 'PUBLISH']);
    const [first, again] = gw.of('PUBLISH');
    assert.deepEqual(
      [first?.topic, again?.topic],
      [
        { kind: 'normal', id: 2 },
        { kind: 'normal', id: 1 },
      ],
    );
    assert.deepEqual([again?.msgId, again?.dup], [first?.msgId, true]);
    finish();
  });

  it('a gateway silent past N_retry: reconnects when it is back and delivers the message', async () => {
    const { gw, client, advance, finish } = rig({ maxRetries: 2 });
    await client.connect();
    await client.register('sensors/temp');
    gw.down = true;
    const publishing = client.publish('sensors/temp', '21.5', { qos: 1 });
    for (let i = 0; i < 3; i++) await advance(RETRY_MS); // PUBLISH + 2 resends, then lost
    assert.equal(gw.of('PUBLISH').length, 3);
    assert.equal(gw.received.at(-1)?.type, 'CONNECT');
    gw.restart();
    gw.down = false;
    await advance(RETRY_MS); // CONNECT resent, now answered
    assert.equal(await publishing, 0);
    const publishes = gw.of('PUBLISH');
    assert.equal(publishes.length, 4);
    assert.ok(publishes.every((p) => p.msgId === publishes[0]!.msgId));
    assert.deepEqual(
      publishes.map((p) => p.dup),
      [false, true, true, true],
    );
    assert.equal(client.stats.reconnects, 1);
    finish();
  });

  it('an unsolicited DISCONNECT while idle: reconnects after retryMs and subscribes again', async () => {
    const { gw, client, advance, finish } = rig();
    await client.connect();
    await client.subscribe('cmd/+/set', 1);
    gw.reply({ type: 'DISCONNECT' });
    assert.equal(client.state, 'lost');
    await advance(RETRY_MS);
    assert.equal(client.state, 'active');
    assert.deepEqual(gw.types(), ['CONNECT', 'SUBSCRIBE', 'CONNECT', 'SUBSCRIBE']);
    finish();
  });
});

describe('MqttSnClient incoming messages', () => {
  it('accepts the gateway REGISTER and delivers a QoS 1 PUBLISH once', async () => {
    const { gw, client, messages, finish } = rig();
    await client.connect();
    gw.reply({ type: 'REGISTER', topicId: 2, msgId: 3, topicName: 'sensors/s2/temp' });
    assert.equal(hex(gw.writes.at(-1)!), spec('07 0B 00 02 00 03 00'));
    const publish: InnerPacket = {
      type: 'PUBLISH',
      dup: false,
      qos: 1,
      retain: false,
      topic: { kind: 'normal', id: 2 },
      msgId: 0x10,
      payload: Buffer.from('19.0'),
    };
    gw.reply(publish);
    gw.reply({ ...publish, dup: true }); // the PUBACK was lost: the gateway resends
    assert.deepEqual(
      messages.map((m) => [m.topic, m.payload.toString(), m.qos, m.msgId]),
      [['sensors/s2/temp', '19.0', 1, 0x10]],
    );
    assert.deepEqual(
      gw.of('PUBACK').map((p) => [p.topicId, p.msgId, p.returnCode]),
      [
        [2, 0x10, 0],
        [2, 0x10, 0],
      ],
    );
    finish();
  });

  it('answers an unknown topic id with PUBACK 0x02 and a rejected REGISTER with REGACK 0x03', async () => {
    const { gw, client, messages, finish } = rig({ rejectRegister: (name) => name.startsWith('spam/') });
    await client.connect();
    gw.reply({ type: 'REGISTER', topicId: 4, msgId: 1, topicName: 'spam/x' });
    gw.reply({
      type: 'PUBLISH',
      dup: false,
      qos: 0,
      retain: false,
      topic: { kind: 'normal', id: 4 },
      msgId: 0,
      payload: Buffer.from('x'),
    });
    assert.deepEqual(messages, []);
    assert.deepEqual(
      gw.received.slice(1).map((p) => [p.type, 'returnCode' in p ? p.returnCode : -1]),
      [
        ['REGACK', 3],
        ['PUBACK', 2],
      ],
    );
    finish();
  });

  it('delivers a QoS 2 PUBLISH once: PUBREC for each copy, PUBCOMP on PUBREL', async () => {
    const { gw, client, messages, finish } = rig({ predefined: { 100: 'config/all' } });
    await client.connect();
    const publish: InnerPacket = {
      type: 'PUBLISH',
      dup: false,
      qos: 2,
      retain: true,
      topic: { kind: 'predefined', id: 100 },
      msgId: 9,
      payload: Buffer.from('on'),
    };
    gw.reply(publish);
    gw.reply({ ...publish, dup: true });
    gw.reply({ type: 'PUBREL', msgId: 9 });
    assert.deepEqual(
      messages.map((m) => [m.topic, m.payload.toString(), m.retain]),
      [['config/all', 'on', true]],
    );
    assert.deepEqual(gw.types().slice(1), ['PUBREC', 'PUBREC', 'PUBCOMP']);
    finish();
  });

  it('subscribes by name (remembering the SUBACK topic id), by short name and unsubscribes', async () => {
    const { gw, client, messages, finish } = rig();
    await client.connect();
    assert.deepEqual(await client.subscribe('cmd/led', 1), { returnCode: 0, topicId: 7, qos: 1 });
    assert.deepEqual(await client.subscribe({ kind: 'short', name: 'ld' }, 0), {
      returnCode: 0,
      topicId: 0,
      qos: 0,
    });
    gw.reply({
      type: 'PUBLISH',
      dup: false,
      qos: 0,
      retain: false,
      topic: { kind: 'normal', id: 7 },
      msgId: 0,
      payload: Buffer.from('on'),
    });
    assert.deepEqual(
      messages.map((m) => m.topic),
      ['cmd/led'],
    );
    assert.equal(hex(gw.writes[1]!), spec('0C 12 20 00 01 63 6D 64 2F 6C 65 64'));
    await client.unsubscribe({ kind: 'short', name: 'ld' });
    assert.equal(hex(gw.writes.at(-1)!), spec('07 14 02 00 03 6C 64'));
    finish();
  });
});

describe('MqttSnClient sleep, keep-alive and other requests', () => {
  it('sleeps, wakes up, receives the buffered messages, and runs no timer while asleep', async () => {
    const { gw, client, clock, messages, finish } = rig();
    await client.connect();
    await client.subscribe('cmd/led', 1);
    await client.sleep(600);
    assert.equal(hex(gw.writes.at(-1)!), spec('04 18 02 58'));
    assert.equal(client.state, 'asleep');
    assert.equal(clock.pending, 0);
    gw.handler = (p) => {
      if (p.type !== 'PINGREQ') return gw.standard(p);
      const buffered = (msgId: number, text: string): InnerPacket => ({
        type: 'PUBLISH',
        dup: false,
        qos: 1,
        retain: false,
        topic: { kind: 'normal', id: 7 },
        msgId,
        payload: Buffer.from(text),
      });
      return [buffered(1, 'on'), buffered(2, 'off'), { type: 'PINGRESP' }];
    };
    await client.wake();
    assert.equal(hex(gw.writes.at(-3)!), spec('0B 16 73 65 6E 73 6F 72 2D 30 31'));
    assert.deepEqual(
      messages.map((m) => m.payload.toString()),
      ['on', 'off'],
    );
    assert.deepEqual(gw.types().slice(-2), ['PUBACK', 'PUBACK']);
    assert.equal(client.state, 'asleep');
    assert.equal(clock.pending, 0);
    finish();
  });

  it('pings every 75 % of the keep-alive period while connected', async () => {
    const { gw, client, advance, finish } = rig({ keepAliveS: 4 });
    await client.connect();
    await advance(2999);
    assert.equal(gw.of('PINGREQ').length, 0);
    await advance(1);
    assert.equal(gw.of('PINGREQ').length, 1);
    await advance(3000);
    assert.equal(gw.of('PINGREQ').length, 2);
    assert.equal(client.stats.in.PINGRESP, 2);
    finish();
  });

  it('does not ping with autoPing: false; ping() on demand', async () => {
    const { gw, client, advance, clock, finish } = rig({ keepAliveS: 4, autoPing: false });
    await client.connect();
    assert.equal(clock.pending, 0);
    await advance(10_000);
    await client.ping();
    assert.deepEqual(gw.types(), ['CONNECT', 'PINGREQ']);
    finish();
  });

  it('searches a gateway, updates the Will and disconnects', async () => {
    const { gw, client, finish } = rig();
    assert.equal(await client.searchGateway(1), 0x2a);
    assert.equal(hex(gw.writes[0]!), spec('03 01 01'));
    await client.connect();
    assert.equal(
      await client.updateWill({ topic: 'sensors/s1/lwt', payload: 'gone', qos: 2, retain: true }),
      0,
    );
    assert.equal(hex(gw.writes[2]!), spec('11 1A 50 73 65 6E 73 6F 72 73 2F 73 31 2F 6C 77 74'));
    assert.equal(hex(gw.writes[3]!), spec('06 1C 67 6F 6E 65'));
    await client.disconnect();
    assert.equal(hex(gw.writes[4]!), spec('02 18'));
    assert.equal(client.state, 'disconnected');
    // The updated Will is used by the next CONNECT.
    await client.connect();
    assert.deepEqual(gw.types().slice(-3), ['CONNECT', 'WILLTOPIC', 'WILLMSG']);
    finish();
  });

  it('stop() rejects the request in flight and leaves no timer', async () => {
    const { gw, client, finish } = rig();
    gw.down = true;
    const stopped = assert.rejects(
      client.connect(),
      (e) => e instanceof MqttSnClientError && e.code === 'stopped',
    );
    await settle();
    finish();
    await stopped;
    await assert.rejects(client.ping(), (e) => e instanceof MqttSnClientError && e.code === 'stopped');
  });
});

describe('MqttSnClient framing and encapsulation', () => {
  for (const framing of ['slip', 'cobs'] as const) {
    it(`${framing}: connects, registers and publishes; split input and garbage are handled`, async () => {
      const { gw, client, finish } = rig({ framing });
      // Every reply arrives one octet at a time.
      gw.reply = function (p: InnerPacket): void {
        const frame = encodeFrame(framing, encodePacket(p));
        for (const octet of frame) client.onInput(Buffer.from([octet]));
      };
      assert.equal(await client.connect(), 0);
      assert.equal(await client.publish('sensors/temp', '21.5', { qos: 1 }), 0);
      assert.deepEqual(gw.types(), ['CONNECT', 'REGISTER', 'PUBLISH']);
      const delimiter = framing === 'slip' ? 0xc0 : 0x00;
      client.onInput(Buffer.from([delimiter, 0x05, 0x17, 0x99, 0x42, delimiter]));
      assert.ok(client.stats.discards >= 1);
      finish();
    });
  }

  it('wraps every packet in Forwarder Encapsulation and unwraps the replies', async () => {
    const nodeId = Buffer.from([0x00, 0x2a]);
    const traced: string[] = [];
    const { gw, client, finish } = rig({
      framing: 'slip',
      nodeId,
      onPacket: (dir, p) =>
        traced.push(`${dir} ${p.type === 'ENCAPSULATED' ? `ENC(${p.packet.type})` : p.type}`),
    });
    assert.equal(await client.connect(), 0);
    assert.equal(await client.publish({ kind: 'short', name: 'tm' }, '1', { qos: 1 }), 0);
    assert.ok(
      gw.wire.every((p) => p.type === 'ENCAPSULATED' && p.wirelessNodeId.equals(nodeId) && p.radius === 0),
    );
    assert.deepEqual(traced, ['out ENC(CONNECT)', 'in ENC(CONNACK)', 'out ENC(PUBLISH)', 'in ENC(PUBACK)']);
    // Replies without the encapsulation, or for another node, are not for this client.
    gw.replyWire({ type: 'PINGREQ' });
    gw.replyWire({
      type: 'ENCAPSULATED',
      radius: 0,
      wirelessNodeId: Buffer.from([0, 0x2b]),
      packet: { type: 'PINGREQ' },
    });
    assert.equal(client.stats.discards, 2);
    assert.equal(gw.of('PINGRESP').length, 0);
    finish();
  });

  it('refuses Forwarder Encapsulation over the raw framing', () => {
    assert.throws(
      () => new MqttSnClient({ clientId: 'x', framing: 'raw', nodeId: Buffer.from([1]), write: () => {} }),
      RangeError,
    );
  });
});
