// Fuzzing the MQTT-SN codec (docs/architecture.md: bad data is a value, never an exception):
// arbitrary octets never make decodePacket throw; every valid packet survives
// encode → decode unchanged; and whatever decodes is stable through encode → decode.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodePacket } from '../../../src/mqttsn/decode.ts';
import { encodePacket } from '../../../src/mqttsn/encode.ts';
import { MsgType } from '../../../src/mqttsn/packet-types.ts';
import type {
  DecodeResult,
  InnerPacket,
  MqttSnDiscardReason,
  MqttSnPacket,
  PublishTopic,
  SubscribeTopic,
  WillTopicFields,
} from '../../../src/mqttsn/packet-types.ts';

const REASONS: readonly MqttSnDiscardReason[] = [
  'too_short',
  'bad_length',
  'length_mismatch',
  'reserved_type',
  'bad_size',
  'bad_flags',
  'bad_topic_id',
  'bad_return_code',
  'bad_utf8',
  'bad_field',
  'nested_encapsulation',
];

/** A decode result is well-formed: ok covers the whole buffer, a failure names a known reason. */
function checkShape(result: DecodeResult, input: Buffer): void {
  if (result.ok) assert.equal(result.length, input.length);
  else {
    assert.ok(REASONS.includes(result.reason), result.reason);
    assert.ok(typeof result.detail === 'string' && result.detail.length > 0);
  }
}

// ---- arbitraries for valid packets -------------------------------------------------------

/** fc.record giving plain objects: deepStrictEqual compares prototypes. */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
/** §5.3.11: a topic id that names a topic. */
const realId = fc.integer({ min: 1, max: 0xfffe });
const returnCode = fc.constantFrom<0 | 1 | 2 | 3>(0, 1, 2, 3);
const qos = fc.constantFrom<0 | 1 | 2>(0, 1, 2);

function bytes(maxLength: number, minLength = 0): fc.Arbitrary<Buffer> {
  return fc.uint8Array({ minLength, maxLength }).map((b) => Buffer.from(b));
}

/** Payloads mostly small, sometimes past 255 octets to exercise the 3-octet Length. */
const payload = fc.oneof({ arbitrary: bytes(40), weight: 5 }, { arbitrary: bytes(700), weight: 1 });

/** One character: topic-ish ASCII, multi-octet UTF-8, or any code point. */
const char = fc.oneof(
  fc.constantFrom('a', 'Z', '0', '/', '+', '#', '-', '_', '.', ' ', '\0'),
  fc.constantFrom('é', '€', '😀', '\u{10FFFF}', '\uFEFF'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

/** A well-formed string of minOctets..maxOctets UTF-8 octets. */
function text(minOctets: number, maxOctets: number): fc.Arbitrary<string> {
  return fc
    .array(char, { minLength: minOctets, maxLength: maxOctets })
    .map((chars) => {
      let out = '';
      for (const c of chars) {
        if (Buffer.byteLength(out + c) > maxOctets) break;
        out += c;
      }
      return out;
    })
    .filter((s) => Buffer.byteLength(s) >= minOctets);
}

const clientId = text(1, 23);
const topicName = fc.oneof(text(1, 30), text(200, 400));
/** Exactly two octets of UTF-8: two ASCII characters or one 2-octet character. */
const shortName = fc.oneof(
  fc.string({ unit: 'binary-ascii', minLength: 2, maxLength: 2 }),
  fc.integer({ min: 0x80, max: 0x7ff }).map((cp) => String.fromCodePoint(cp)),
);

const publishTopic: fc.Arbitrary<PublishTopic> = fc.oneof(
  realId.map((id) => ({ kind: 'normal' as const, id })),
  realId.map((id) => ({ kind: 'predefined' as const, id })),
  shortName.map((name) => ({ kind: 'short' as const, name })),
);
const subscribeTopic: fc.Arbitrary<SubscribeTopic> = fc.oneof(
  topicName.map((name) => ({ kind: 'name' as const, name })),
  realId.map((id) => ({ kind: 'predefined' as const, id })),
  shortName.map((name) => ({ kind: 'short' as const, name })),
);
const will: fc.Arbitrary<WillTopicFields | null> = fc.option(
  rec({ qos, retain: fc.boolean(), topic: topicName }),
);

const publish: fc.Arbitrary<InnerPacket> = fc
  .record({
    dup: fc.boolean(),
    qos: fc.constantFrom<-1 | 0 | 1 | 2>(-1, 0, 1, 2),
    retain: fc.boolean(),
    topic: publishTopic,
    msgId: u16,
    payload,
  })
  // §6.8: QoS −1 only with a predefined topic id or a short name.
  .filter((p) => !(p.qos === -1 && p.topic.kind === 'normal'))
  .map((p) => ({ type: 'PUBLISH' as const, ...p }));

const inner: fc.Arbitrary<InnerPacket> = fc.oneof(
  rec({ type: fc.constant('ADVERTISE' as const), gwId: u8, duration: u16 }),
  rec({ type: fc.constant('SEARCHGW' as const), radius: u8 }),
  fc.record(
    { type: fc.constant('GWINFO' as const), gwId: u8, gwAdd: bytes(8, 1) },
    { requiredKeys: ['type', 'gwId'], noNullPrototype: true },
  ),
  rec({
    type: fc.constant('CONNECT' as const),
    will: fc.boolean(),
    cleanSession: fc.boolean(),
    protocolId: u8,
    duration: u16,
    clientId,
  }),
  rec({ type: fc.constant('CONNACK' as const), returnCode }),
  fc.constant({ type: 'WILLTOPICREQ' as const }),
  rec({ type: fc.constant('WILLTOPIC' as const), will }),
  fc.constant({ type: 'WILLMSGREQ' as const }),
  rec({ type: fc.constant('WILLMSG' as const), willMsg: payload }),
  rec({
    type: fc.constant('REGISTER' as const),
    topicId: fc.integer({ min: 0, max: 0xfffe }),
    msgId: u16,
    topicName,
  }),
  rec({ type: fc.constant('REGACK' as const), topicId: u16, msgId: u16, returnCode }).filter(
    (p) => p.returnCode !== 0 || (p.topicId !== 0 && p.topicId !== 0xffff),
  ),
  publish,
  rec({ type: fc.constant('PUBACK' as const), topicId: u16, msgId: u16, returnCode }),
  rec({ type: fc.constantFrom('PUBCOMP' as const, 'PUBREC' as const, 'PUBREL' as const), msgId: u16 }),
  rec({
    type: fc.constant('SUBSCRIBE' as const),
    dup: fc.boolean(),
    qos,
    msgId: u16,
    topic: subscribeTopic,
  }),
  rec({ type: fc.constant('SUBACK' as const), qos, topicId: u16, msgId: u16, returnCode }).filter(
    (p) => p.returnCode !== 0 || p.topicId !== 0xffff,
  ),
  rec({ type: fc.constant('UNSUBSCRIBE' as const), msgId: u16, topic: subscribeTopic }),
  rec({ type: fc.constant('UNSUBACK' as const), msgId: u16 }),
  fc.record(
    { type: fc.constant('PINGREQ' as const), clientId },
    { requiredKeys: ['type'], noNullPrototype: true },
  ),
  fc.constant({ type: 'PINGRESP' as const }),
  fc.record(
    { type: fc.constant('DISCONNECT' as const), duration: u16 },
    { requiredKeys: ['type'], noNullPrototype: true },
  ),
  rec({ type: fc.constant('WILLTOPICUPD' as const), will }),
  rec({ type: fc.constant('WILLMSGUPD' as const), willMsg: payload }),
  rec({ type: fc.constantFrom('WILLTOPICRESP' as const, 'WILLMSGRESP' as const), returnCode }),
);

const packet: fc.Arbitrary<MqttSnPacket> = fc.oneof(
  { arbitrary: inner, weight: 4 },
  {
    arbitrary: rec({
      type: fc.constant('ENCAPSULATED' as const),
      radius: fc.constantFrom<0 | 1 | 2 | 3>(0, 1, 2, 3),
      wirelessNodeId: bytes(16),
      packet: inner,
    }),
    weight: 1,
  },
);

// ---- arbitraries for hostile octets --------------------------------------------------------

const KNOWN_TYPES = Object.values(MsgType);

/** A Length field (either form) announcing `total` octets, or a deliberately wrong one. */
function lengthField(total: number, long: boolean): Buffer {
  if (!long && total <= 0xff && total !== 1) return Buffer.from([total]);
  return Buffer.from([0x01, (total >> 8) & 0xff, total & 0xff]);
}

/** Frames shaped like MQTT-SN: a known or random type, random body, a mostly honest Length. */
const framed: fc.Arbitrary<Buffer> = fc
  .record({
    type: fc.oneof({ arbitrary: fc.constantFrom(...KNOWN_TYPES), weight: 5 }, { arbitrary: u8, weight: 1 }),
    body: fc.oneof(bytes(8), bytes(40), bytes(300)),
    long: fc.boolean(),
    skew: fc.oneof(
      { arbitrary: fc.constant(0), weight: 8 },
      { arbitrary: fc.integer({ min: -3, max: 3 }), weight: 1 },
    ),
  })
  .map(({ type, body, long, skew }) => {
    const headerOctets = !long && body.length + 2 <= 0xff ? 1 : 3;
    const total = headerOctets + 1 + body.length;
    return Buffer.concat([
      lengthField(Math.max(0, total + skew), headerOctets === 3),
      Buffer.from([type]),
      body,
    ]);
  });

/** Valid messages with a few octets overwritten, cut or appended. */
const mutated: fc.Arbitrary<Buffer> = fc
  .record({
    wire: packet.map((p) => encodePacket(p)),
    edits: fc.array(fc.tuple(fc.nat(), u8), { maxLength: 3 }),
    cut: fc.option(fc.nat()),
    extra: bytes(3),
  })
  .map(({ wire, edits, cut, extra }) => {
    const out = Buffer.from(wire);
    for (const [at, value] of edits) out[at % out.length] = value;
    const trimmed = cut === null ? out : out.subarray(0, cut % (out.length + 1));
    return Buffer.concat([trimmed, extra]);
  });

const anyOctets = fc.oneof(bytes(8), bytes(64), bytes(400), framed, mutated);

describe('MQTT-SN codec fuzz', () => {
  it('decodePacket never throws on arbitrary octets, and its result is well-formed', () => {
    fc.assert(
      fc.property(anyOctets, (input) => {
        checkShape(decodePacket(input), input);
      }),
      { numRuns: 25_000 },
    );
  });

  it('decodePacket never throws on uniformly random octets', () => {
    fc.assert(
      fc.property(bytes(32), (input) => {
        checkShape(decodePacket(input), input);
      }),
      { numRuns: 20_000 },
    );
  });

  it('encode → decode gives back every valid packet, in the shortest Length form', () => {
    fc.assert(
      fc.property(packet, (p) => {
        const wire = encodePacket(p);
        assert.deepEqual(decodePacket(wire), { ok: true, packet: p, length: wire.length });
        // §5.2.1: the 1-octet Length whenever the total fits in it (an encapsulation's
        // header Length is always 1 octet; its inner message follows the same rule).
        const innerWire = p.type === 'ENCAPSULATED' ? wire.subarray(wire.readUInt8(0)) : wire;
        assert.equal(innerWire[0] === 0x01, innerWire.length > 0xff);
      }),
      { numRuns: 10_000 },
    );
  });

  it('decode → encode → decode is stable for any octets that decode', () => {
    let decoded = 0;
    let variants = 0; // accepted in a form the encoder does not write (3-octet Length, unused bits)
    fc.assert(
      fc.property(fc.oneof(framed, mutated), (input) => {
        const first = decodePacket(input);
        if (!first.ok) return;
        decoded++;
        const again = encodePacket(first.packet);
        if (!again.equals(input)) variants++;
        assert.deepEqual(decodePacket(again), { ok: true, packet: first.packet, length: again.length });
      }),
      { numRuns: 30_000 },
    );
    // The property means little unless many inputs, some of them non-canonical, decoded.
    assert.ok(decoded > 2_000, `only ${decoded} inputs decoded`);
    assert.ok(variants > 100, `only ${variants} non-canonical inputs decoded`);
  });
});
