// The MQTT-SN v1.2 codec, byte for byte: every message type encodes to the exact octets of
// the spec's layout and decodes back to the exact packet; every malformed shape decodes to
// a discard reason. Examples follow the layouts of MQTT-SN 1.2 §5.4 (Table 3 and the message formats).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket } from '../../../src/mqttsn/decode.ts';
import { encodePacket } from '../../../src/mqttsn/encode.ts';
import { MsgType } from '../../../src/mqttsn/packet-types.ts';
import type { InnerPacket, MqttSnDiscardReason, MqttSnPacket } from '../../../src/mqttsn/packet-types.ts';

/** Hex with optional spaces → Buffer. */
function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

const A_TO_Z_300 = Buffer.from(Array.from({ length: 300 }, (_, i) => 0x41 + (i % 26)));

/** [test name naming its clause, wire octets, packet]: encodes to and decodes from exactly these. */
const exact: [string, Buffer, MqttSnPacket][] = [
  [
    '§5.4.1 ADVERTISE gateway 1, next in 900 s',
    hex('05 00 01 03 84'),
    { type: 'ADVERTISE', gwId: 1, duration: 900 },
  ],
  ['§5.4.2 SEARCHGW radius 1', hex('03 01 01'), { type: 'SEARCHGW', radius: 1 }],
  ['§5.4.3 GWINFO from a gateway (no GwAdd)', hex('03 02 01'), { type: 'GWINFO', gwId: 1 }],
  [
    '§5.4.3 GWINFO from a client (with GwAdd)',
    hex('05 02 01 1F 2E'),
    { type: 'GWINFO', gwId: 1, gwAdd: hex('1F 2E') },
  ],
  [
    '§5.4.4 CONNECT Will + CleanSession, keep-alive 300 s',
    hex('0F 04 0C 01 01 2C 73 65 6E 73 6F 72 2D 30 32'),
    { type: 'CONNECT', will: true, cleanSession: true, protocolId: 1, duration: 300, clientId: 'sensor-02' },
  ],
  [
    '§5.4.4 CONNECT no Will, no CleanSession, keep-alive 0',
    Buffer.concat([hex('07 04 00 01 00 00'), ascii('c')]),
    { type: 'CONNECT', will: false, cleanSession: false, protocolId: 1, duration: 0, clientId: 'c' },
  ],
  [
    '§5.4.4/§5.3.1 CONNECT with a 23-octet ClientId (the maximum)',
    Buffer.concat([hex('1D 04 04 01 00 3C'), ascii('abcdefghijklmnopqrstuvw')]),
    {
      type: 'CONNECT',
      will: false,
      cleanSession: true,
      protocolId: 1,
      duration: 60,
      clientId: 'abcdefghijklmnopqrstuvw',
    },
  ],
  ['§5.4.5 CONNACK accepted', hex('03 05 00'), { type: 'CONNACK', returnCode: 0 }],
  ['§5.4.5 CONNACK rejected: not supported', hex('03 05 03'), { type: 'CONNACK', returnCode: 3 }],
  ['§5.4.6 WILLTOPICREQ', hex('02 06'), { type: 'WILLTOPICREQ' }],
  [
    '§5.4.7 WILLTOPIC QoS 1, Retain',
    Buffer.concat([hex('14 07 30'), ascii('sensors/s2/status')]),
    { type: 'WILLTOPIC', will: { qos: 1, retain: true, topic: 'sensors/s2/status' } },
  ],
  [
    '§5.4.7 WILLTOPIC QoS 0, no Retain',
    Buffer.concat([hex('04 07 00'), ascii('w')]),
    { type: 'WILLTOPIC', will: { qos: 0, retain: false, topic: 'w' } },
  ],
  ['§5.4.7 WILLTOPIC empty form (delete the Will)', hex('02 07'), { type: 'WILLTOPIC', will: null }],
  ['§5.4.8 WILLMSGREQ', hex('02 08'), { type: 'WILLMSGREQ' }],
  [
    '§5.4.9 WILLMSG "offline"',
    hex('09 09 6F 66 66 6C 69 6E 65'),
    { type: 'WILLMSG', willMsg: ascii('offline') },
  ],
  ['§5.4.9 WILLMSG empty', hex('02 09'), { type: 'WILLMSG', willMsg: Buffer.alloc(0) }],
  [
    '§5.4.10 REGISTER from a client (TopicId 0x0000)',
    Buffer.concat([hex('12 0A 00 00 00 01'), ascii('sensors/temp')]),
    { type: 'REGISTER', topicId: 0, msgId: 1, topicName: 'sensors/temp' },
  ],
  [
    '§5.4.10 REGISTER from the gateway (assigned TopicId)',
    Buffer.concat([hex('15 0A 00 02 00 03'), ascii('sensors/s2/temp')]),
    { type: 'REGISTER', topicId: 2, msgId: 3, topicName: 'sensors/s2/temp' },
  ],
  [
    '§5.4.11 REGACK accepted',
    hex('07 0B 00 01 00 01 00'),
    { type: 'REGACK', topicId: 1, msgId: 1, returnCode: 0 },
  ],
  [
    '§5.4.11 REGACK rejected: congestion, TopicId 0x0000',
    hex('07 0B 00 00 00 04 01'),
    { type: 'REGACK', topicId: 0, msgId: 4, returnCode: 1 },
  ],
  [
    '§5.4.12 PUBLISH QoS 1, normal TopicId',
    hex('0B 0C 20 00 01 00 02 32 31 2E 35'),
    {
      type: 'PUBLISH',
      dup: false,
      qos: 1,
      retain: false,
      topic: { kind: 'normal', id: 1 },
      msgId: 2,
      payload: ascii('21.5'),
    },
  ],
  [
    '§5.4.12 PUBLISH QoS 0, short topic name "tm"',
    hex('0B 0C 02 74 6D 00 00 32 31 2E 35'),
    {
      type: 'PUBLISH',
      dup: false,
      qos: 0,
      retain: false,
      topic: { kind: 'short', name: 'tm' },
      msgId: 0,
      payload: ascii('21.5'),
    },
  ],
  [
    '§5.4.12/§6.8 PUBLISH QoS −1, predefined TopicId',
    hex('09 0C 61 00 64 00 00 33 30'),
    {
      type: 'PUBLISH',
      dup: false,
      qos: -1,
      retain: false,
      topic: { kind: 'predefined', id: 0x64 },
      msgId: 0,
      payload: ascii('30'),
    },
  ],
  [
    '§5.4.12/§6.8 PUBLISH QoS −1, short topic name',
    hex('07 0C 62 74 6D 00 00'),
    {
      type: 'PUBLISH',
      dup: false,
      qos: -1,
      retain: false,
      topic: { kind: 'short', name: 'tm' },
      msgId: 0,
      payload: Buffer.alloc(0),
    },
  ],
  [
    '§5.4.12 PUBLISH DUP, QoS 2, Retain, TopicId 0xFFFE, empty Data',
    hex('07 0C D0 FF FE 00 09'),
    {
      type: 'PUBLISH',
      dup: true,
      qos: 2,
      retain: true,
      topic: { kind: 'normal', id: 0xfffe },
      msgId: 9,
      payload: Buffer.alloc(0),
    },
  ],
  [
    '§5.2.1 PUBLISH of exactly 255 octets keeps the 1-octet Length',
    Buffer.concat([hex('FF 0C 20 00 01 00 07'), Buffer.alloc(248, 0x5a)]),
    {
      type: 'PUBLISH',
      dup: false,
      qos: 1,
      retain: false,
      topic: { kind: 'normal', id: 1 },
      msgId: 7,
      payload: Buffer.alloc(248, 0x5a),
    },
  ],
  [
    '§5.2.1 PUBLISH one octet longer takes the 3-octet Length (258 in total)',
    Buffer.concat([hex('01 01 02 0C 20 00 01 00 07'), Buffer.alloc(249, 0x5a)]),
    {
      type: 'PUBLISH',
      dup: false,
      qos: 1,
      retain: false,
      topic: { kind: 'normal', id: 1 },
      msgId: 7,
      payload: Buffer.alloc(249, 0x5a),
    },
  ],
  [
    '§5.2.1 PUBLISH of 309 octets (3-octet Length 01 01 35)',
    Buffer.concat([hex('01 01 35 0C 20 00 01 00 07'), A_TO_Z_300]),
    {
      type: 'PUBLISH',
      dup: false,
      qos: 1,
      retain: false,
      topic: { kind: 'normal', id: 1 },
      msgId: 7,
      payload: A_TO_Z_300,
    },
  ],
  [
    '§5.4.13 PUBACK accepted',
    hex('07 0D 00 01 00 02 00'),
    { type: 'PUBACK', topicId: 1, msgId: 2, returnCode: 0 },
  ],
  [
    '§5.4.13 PUBACK rejected: invalid topic id',
    hex('07 0D 00 09 00 08 02'),
    { type: 'PUBACK', topicId: 9, msgId: 8, returnCode: 2 },
  ],
  [
    '§5.4.13 PUBACK for a short topic name echoes its two octets',
    hex('07 0D 74 6D 00 08 00'),
    { type: 'PUBACK', topicId: 0x746d, msgId: 8, returnCode: 0 },
  ],
  ['§5.4.14 PUBCOMP (0x0E)', hex('04 0E 00 03'), { type: 'PUBCOMP', msgId: 3 }],
  ['§5.4.14 PUBREC (0x0F)', hex('04 0F 00 03'), { type: 'PUBREC', msgId: 3 }],
  ['§5.4.14 PUBREL (0x10)', hex('04 10 FF FF'), { type: 'PUBREL', msgId: 0xffff }],
  [
    '§5.4.15 SUBSCRIBE QoS 1 to a wildcard topic name',
    Buffer.concat([hex('13 12 20 00 05'), ascii('sensors/+/temp')]),
    { type: 'SUBSCRIBE', dup: false, qos: 1, msgId: 5, topic: { kind: 'name', name: 'sensors/+/temp' } },
  ],
  [
    '§5.4.15 SUBSCRIBE QoS 0 to a predefined TopicId',
    hex('07 12 01 00 06 00 64'),
    { type: 'SUBSCRIBE', dup: false, qos: 0, msgId: 6, topic: { kind: 'predefined', id: 0x64 } },
  ],
  [
    '§5.4.15 SUBSCRIBE DUP, QoS 2 to a short topic name',
    hex('07 12 C2 00 07 74 6D'),
    { type: 'SUBSCRIBE', dup: true, qos: 2, msgId: 7, topic: { kind: 'short', name: 'tm' } },
  ],
  [
    '§5.4.16 SUBACK for a wildcard: granted QoS 1, TopicId 0x0000',
    hex('08 13 20 00 00 00 05 00'),
    { type: 'SUBACK', qos: 1, topicId: 0, msgId: 5, returnCode: 0 },
  ],
  [
    '§5.4.16 SUBACK rejected: congestion',
    hex('08 13 00 00 00 00 06 01'),
    { type: 'SUBACK', qos: 0, topicId: 0, msgId: 6, returnCode: 1 },
  ],
  [
    '§5.4.17 UNSUBSCRIBE a short topic name',
    hex('07 14 02 00 0C 74 6D'),
    { type: 'UNSUBSCRIBE', msgId: 12, topic: { kind: 'short', name: 'tm' } },
  ],
  [
    '§5.4.17 UNSUBSCRIBE a topic name',
    hex('08 14 00 00 0D 61 2F 23'),
    { type: 'UNSUBSCRIBE', msgId: 13, topic: { kind: 'name', name: 'a/#' } },
  ],
  [
    '§5.4.17 UNSUBSCRIBE a predefined TopicId',
    hex('07 14 01 00 0E 00 64'),
    { type: 'UNSUBSCRIBE', msgId: 14, topic: { kind: 'predefined', id: 0x64 } },
  ],
  ['§5.4.18 UNSUBACK', hex('04 15 00 0A'), { type: 'UNSUBACK', msgId: 10 }],
  ['§5.4.19 PINGREQ from an active client', hex('02 16'), { type: 'PINGREQ' }],
  [
    '§5.4.19 PINGREQ with ClientId (a sleeping client wakes up)',
    Buffer.concat([hex('0B 16'), ascii('sensor-01')]),
    { type: 'PINGREQ', clientId: 'sensor-01' },
  ],
  ['§5.4.20 PINGRESP', hex('02 17'), { type: 'PINGRESP' }],
  ['§5.4.21 DISCONNECT without Duration', hex('02 18'), { type: 'DISCONNECT' }],
  [
    '§5.4.21 DISCONNECT with Duration 600 s (sleep)',
    hex('04 18 02 58'),
    { type: 'DISCONNECT', duration: 600 },
  ],
  [
    '§5.4.22 WILLTOPICUPD QoS 2, Retain',
    Buffer.concat([hex('11 1A 50'), ascii('sensors/s1/lwt')]),
    { type: 'WILLTOPICUPD', will: { qos: 2, retain: true, topic: 'sensors/s1/lwt' } },
  ],
  ['§5.4.22 WILLTOPICUPD empty form', hex('02 1A'), { type: 'WILLTOPICUPD', will: null }],
  ['§5.4.23 WILLMSGUPD "gone"', hex('06 1C 67 6F 6E 65'), { type: 'WILLMSGUPD', willMsg: ascii('gone') }],
  ['§5.4.24 WILLTOPICRESP accepted', hex('03 1B 00'), { type: 'WILLTOPICRESP', returnCode: 0 }],
  ['§5.4.25 WILLMSGRESP rejected: congestion', hex('03 1D 01'), { type: 'WILLMSGRESP', returnCode: 1 }],
  [
    '§5.5 Encapsulated CONNECT from a forwarder (node 00 2A)',
    Buffer.concat([hex('05 FE 00 00 2A 0F 04 04 01 00 3C'), ascii('sensor-01')]),
    {
      type: 'ENCAPSULATED',
      radius: 0,
      wirelessNodeId: hex('00 2A'),
      packet: {
        type: 'CONNECT',
        will: false,
        cleanSession: true,
        protocolId: 1,
        duration: 60,
        clientId: 'sensor-01',
      },
    },
  ],
  [
    '§5.5 Encapsulated GWINFO to a forwarder, radius 1',
    hex('05 FE 01 00 2A 03 02 01'),
    { type: 'ENCAPSULATED', radius: 1, wirelessNodeId: hex('00 2A'), packet: { type: 'GWINFO', gwId: 1 } },
  ],
  [
    '§5.5 Encapsulated message that uses the 3-octet Length',
    Buffer.concat([hex('04 FE 03 07 01 01 35 0C 20 00 01 00 07'), A_TO_Z_300]),
    {
      type: 'ENCAPSULATED',
      radius: 3,
      wirelessNodeId: hex('07'),
      packet: {
        type: 'PUBLISH',
        dup: false,
        qos: 1,
        retain: false,
        topic: { kind: 'normal', id: 1 },
        msgId: 7,
        payload: A_TO_Z_300,
      },
    },
  ],
];

describe('MQTT-SN codec: every message type, byte-exact', () => {
  for (const [name, wire, packet] of exact) {
    it(`${name}: encodes to ${short(wire)}`, () => {
      assert.equal(encodePacket(packet).toString('hex'), wire.toString('hex'));
    });
    it(`${name}: decodes to the packet`, () => {
      assert.deepEqual(decodePacket(wire), { ok: true, packet, length: wire.length });
    });
  }

  it('covers every message type of Table 3', () => {
    const types = new Set(exact.map(([, , p]) => p.type));
    assert.deepEqual([...types].sort(), Object.keys(MsgType).sort());
  });
});

function short(wire: Buffer): string {
  const text = wire
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1 ');
  return text.length > 50 ? `${text.slice(0, 47)}…` : text;
}

/** [test name, wire octets, packet]: accepted, though encodePacket writes them differently. */
const lenient: [string, Buffer, MqttSnPacket, string][] = [
  [
    '§5.2.1 a 3-octet Length on a short message (PINGREQ, total 4) is accepted',
    hex('01 00 04 16'),
    { type: 'PINGREQ' },
    '0216',
  ],
  [
    '§5.2.1 a 3-octet Length on a short PUBACK is accepted',
    hex('01 00 09 0D 00 01 00 02 00'),
    { type: 'PUBACK', topicId: 1, msgId: 2, returnCode: 0 },
    '070d0001000200',
  ],
  [
    '§5.3.4 flag bits a message does not use are ignored (PUBLISH with Will and CleanSession)',
    hex('08 0C 2C 00 01 00 02 41'),
    {
      type: 'PUBLISH',
      dup: false,
      qos: 1,
      retain: false,
      topic: { kind: 'normal', id: 1 },
      msgId: 2,
      payload: ascii('A'),
    },
    '080c2000010002' + '41',
  ],
  [
    '§5.3.4 flag bits a message does not use are ignored (CONNECT with DUP, QoS, Retain, TopicIdType)',
    Buffer.concat([hex('07 04 FF 01 00 3C'), ascii('c')]),
    { type: 'CONNECT', will: true, cleanSession: true, protocolId: 1, duration: 60, clientId: 'c' },
    '07040c01003c63',
  ],
  [
    '§5.3.4 UNSUBSCRIBE ignores DUP and QoS',
    hex('07 14 E1 00 0E 00 64'),
    { type: 'UNSUBSCRIBE', msgId: 14, topic: { kind: 'predefined', id: 0x64 } },
    '07140100' + '0e0064',
  ],
  [
    '§5.3.8 CONNECT with a reserved ProtocolId is reported for CONNACK 0x03, not dropped',
    Buffer.concat([hex('07 04 04 02 00 3C'), ascii('c')]),
    { type: 'CONNECT', will: false, cleanSession: true, protocolId: 2, duration: 60, clientId: 'c' },
    '07040402003c63',
  ],
  [
    '§5.3.1 a ClientId of multi-octet UTF-8 characters',
    Buffer.concat([hex('0A 04 04 01 00 3C'), Buffer.from('ñü', 'utf8')]),
    { type: 'CONNECT', will: false, cleanSession: true, protocolId: 1, duration: 60, clientId: 'ñü' },
    '0a040401003cc3b1c3bc',
  ],
  [
    '§5.4.12 a QoS 0 PUBLISH keeps a non-zero MsgId as sent',
    hex('07 0C 00 00 01 12 34'),
    {
      type: 'PUBLISH',
      dup: false,
      qos: 0,
      retain: false,
      topic: { kind: 'normal', id: 1 },
      msgId: 0x1234,
      payload: Buffer.alloc(0),
    },
    '070c0000011234',
  ],
  [
    '§5.4.12 a short topic name of one 2-octet UTF-8 character',
    hex('07 0C 02 C3 A9 00 00'),
    {
      type: 'PUBLISH',
      dup: false,
      qos: 0,
      retain: false,
      topic: { kind: 'short', name: 'é' },
      msgId: 0,
      payload: Buffer.alloc(0),
    },
    '070c02c3a90000',
  ],
  [
    '§5.5 Ctrl bits 7–2 are reserved and ignored; an empty Wireless Node Id is allowed',
    hex('03 FE FD 02 16'),
    { type: 'ENCAPSULATED', radius: 1, wirelessNodeId: Buffer.alloc(0), packet: { type: 'PINGREQ' } },
    '03fe010216',
  ],
];

describe('MQTT-SN codec: accepted variants', () => {
  for (const [name, wire, packet, canonical] of lenient) {
    it(name, () => {
      assert.deepEqual(decodePacket(wire), { ok: true, packet, length: wire.length });
      assert.equal(encodePacket(packet).toString('hex'), canonical);
    });
  }

  it("size limits are the framers' business: a 2000-octet and a 65535-octet PUBLISH decode", () => {
    for (const total of [2000, 0xffff]) {
      const wire = Buffer.concat([
        hex('01'),
        u16(total),
        hex('0C 20 00 01 00 07'),
        Buffer.alloc(total - 9, 1),
      ]);
      const result = decodePacket(wire);
      assert.ok(result.ok && result.packet.type === 'PUBLISH');
      assert.equal(result.packet.payload.length, total - 9);
      assert.equal(result.length, total);
      assert.deepEqual(encodePacket(result.packet), wire);
    }
  });

  it('decoded Buffers are copies, not views of the input', () => {
    const wire = hex('0B 0C 20 00 01 00 02 32 31 2E 35');
    const result = decodePacket(wire);
    wire.fill(0);
    assert.ok(result.ok && result.packet.type === 'PUBLISH');
    assert.equal(result.packet.payload.toString(), '21.5');
  });
});

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** [test name naming its clause, wire octets, expected discard reason]. */
const malformed: [string, Buffer, MqttSnDiscardReason][] = [
  // Header, §5.2.1
  ['§5.2.1 an empty buffer', hex(''), 'too_short'],
  ['§5.2.1 a single octet', hex('05'), 'too_short'],
  ['§5.2.1 a lone 0x01 (3-octet Length marker)', hex('01'), 'too_short'],
  ['§5.2.1 a 3-octet Length cut short', hex('01 00'), 'too_short'],
  ['§5.2.1 a 3-octet Length without MsgType', hex('01 00 05'), 'too_short'],
  ['§5.2.1 Length 0x00', hex('00 16'), 'bad_length'],
  ['§5.2.1 3-octet Length 0', hex('01 00 00 16'), 'bad_length'],
  ['§5.2.1 3-octet Length 1', hex('01 00 01 16'), 'bad_length'],
  ['§5.2.1 3-octet Length 3 (less than its own octets and MsgType)', hex('01 00 03 16'), 'bad_length'],
  ['§5.2.1 Length 3 on 2 octets (declared longer than received)', hex('03 16'), 'length_mismatch'],
  ['§5.2.1 a truncated ADVERTISE (Length 5, 4 received)', hex('05 00 01 03'), 'length_mismatch'],
  ['§5.2.1 Length 2 on 3 octets (declared shorter than received)', hex('02 16 00'), 'length_mismatch'],
  ['§5.2.1 two messages in one buffer', hex('02 16 02 16'), 'length_mismatch'],
  ['§5.2.1 3-octet Length 5 on 4 octets', hex('01 00 05 16'), 'length_mismatch'],
  ['§5.2.1 3-octet Length 4 on 5 octets', hex('01 00 04 16 00'), 'length_mismatch'],
  // Reserved MsgTypes, §5.2.2 Table 3
  ['§5.2.2 MsgType 0x03 is reserved', hex('02 03'), 'reserved_type'],
  ['§5.2.2 MsgType 0x11 is reserved', hex('04 11 00 01'), 'reserved_type'],
  ['§5.2.2 MsgType 0x19 is reserved', hex('02 19'), 'reserved_type'],
  ['§5.2.2 MsgType 0x1E is reserved', hex('02 1E'), 'reserved_type'],
  ['§5.2.2 MsgType 0x80 is reserved', hex('03 80 00'), 'reserved_type'],
  ['§5.2.2 MsgType 0xFD is reserved', hex('02 FD'), 'reserved_type'],
  ['§5.2.2 MsgType 0xFF is reserved', hex('02 FF'), 'reserved_type'],
  ['§5.2.2 MsgType 0xFF is reserved (3-octet Length)', hex('01 00 04 FF'), 'reserved_type'],
  // Sizes per type, §5.4
  ['§5.4.1 ADVERTISE with 2 octets after MsgType', hex('04 00 01 03'), 'bad_size'],
  ['§5.4.2 SEARCHGW without Radius', hex('02 01'), 'bad_size'],
  ['§5.4.2 SEARCHGW with 2 octets (a v2.0 CONNECT looks like this)', hex('04 01 04 02'), 'bad_size'],
  ['§5.4.3 GWINFO without GwId', hex('02 02'), 'bad_size'],
  ['§5.4.4 CONNECT without Duration', hex('04 04 04 01'), 'bad_size'],
  ['§5.4.5 CONNACK without ReturnCode', hex('02 05'), 'bad_size'],
  ['§5.4.6 WILLTOPICREQ with a body', hex('03 06 00'), 'bad_size'],
  ['§5.4.10 REGISTER without MsgId', hex('04 0A 00 00'), 'bad_size'],
  ['§5.4.11 REGACK without ReturnCode', hex('06 0B 00 01 00 01'), 'bad_size'],
  ['§5.4.12 PUBLISH without MsgId (Length consistent)', hex('06 0C 20 00 01 00'), 'bad_size'],
  ['§5.4.13 PUBACK with an extra octet', hex('08 0D 00 01 00 02 00 00'), 'bad_size'],
  ['§5.4.14 PUBREL with 1-octet MsgId', hex('03 10 03'), 'bad_size'],
  ['§5.4.15 SUBSCRIBE without MsgId', hex('03 12 20'), 'bad_size'],
  ['§5.4.15 SUBSCRIBE predefined with a 3-octet TopicId', hex('08 12 01 00 06 00 64 00'), 'bad_size'],
  ['§5.4.15 SUBSCRIBE short name of 1 octet', hex('06 12 02 00 06 74'), 'bad_size'],
  ['§5.4.15 SUBSCRIBE short name of 3 octets', hex('08 12 02 00 06 74 6D 70'), 'bad_size'],
  ['§5.4.16 SUBACK without ReturnCode', hex('07 13 20 00 00 00 05'), 'bad_size'],
  ['§5.4.18 UNSUBACK with 3 octets', hex('05 15 00 0A 00'), 'bad_size'],
  ['§5.4.20 PINGRESP with a body', hex('03 17 00'), 'bad_size'],
  ['§5.4.21 DISCONNECT with a 1-octet Duration', hex('03 18 01'), 'bad_size'],
  ['§5.4.21 DISCONNECT with a 3-octet Duration', hex('05 18 00 00 01'), 'bad_size'],
  ['§5.4.25 WILLMSGRESP with 2 octets', hex('04 1D 00 00'), 'bad_size'],
  // Flags, §5.3.4 and §6.8
  ['§5.3.4 PUBLISH with the reserved TopicIdType 0b11', hex('0B 0C 23 00 01 00 02 32 31 2E 35'), 'bad_flags'],
  ['§5.3.4 SUBSCRIBE with the reserved TopicIdType 0b11', hex('07 12 23 00 05 00 01'), 'bad_flags'],
  ['§5.3.4 UNSUBSCRIBE with the reserved TopicIdType 0b11', hex('07 14 03 00 05 00 01'), 'bad_flags'],
  [
    '§6.8 PUBLISH QoS −1 with a normal TopicId (Paho non-standard form)',
    hex('0C 0C 60 00 03 00 00 61 2F 62 33 30'),
    'bad_flags',
  ],
  ['§6.8 SUBSCRIBE asking for QoS −1', hex('07 12 61 00 05 00 64'), 'bad_flags'],
  ['§5.4.16 SUBACK granting QoS −1', hex('08 13 60 00 01 00 05 00'), 'bad_flags'],
  ['§5.4.7 WILLTOPIC with Will QoS −1', hex('04 07 60 77'), 'bad_flags'],
  ['§5.4.22 WILLTOPICUPD with Will QoS −1', hex('04 1A 70 77'), 'bad_flags'],
  // Topic ids, §5.3.11
  ['§5.3.11 PUBLISH normal TopicId 0x0000', hex('07 0C 20 00 00 00 02'), 'bad_topic_id'],
  ['§5.3.11 PUBLISH normal TopicId 0xFFFF', hex('07 0C 20 FF FF 00 02'), 'bad_topic_id'],
  ['§5.3.11 PUBLISH predefined TopicId 0x0000', hex('07 0C 61 00 00 00 00'), 'bad_topic_id'],
  ['§5.3.11 PUBLISH predefined TopicId 0xFFFF', hex('07 0C 01 FF FF 00 00'), 'bad_topic_id'],
  ['§5.3.11 REGISTER TopicId 0xFFFF', hex('07 0A FF FF 00 01 61'), 'bad_topic_id'],
  ['§5.3.11 accepted REGACK TopicId 0x0000', hex('07 0B 00 00 00 01 00'), 'bad_topic_id'],
  ['§5.3.11 accepted REGACK TopicId 0xFFFF', hex('07 0B FF FF 00 01 00'), 'bad_topic_id'],
  ['§5.3.11 SUBSCRIBE predefined TopicId 0x0000', hex('07 12 01 00 06 00 00'), 'bad_topic_id'],
  ['§5.3.11 UNSUBSCRIBE predefined TopicId 0xFFFF', hex('07 14 01 00 06 FF FF'), 'bad_topic_id'],
  ['§5.3.11 accepted SUBACK TopicId 0xFFFF', hex('08 13 20 FF FF 00 05 00'), 'bad_topic_id'],
  // Return codes, §5.3.10 Table 5
  ['§5.3.10 CONNACK ReturnCode 0x04 is reserved', hex('03 05 04'), 'bad_return_code'],
  ['§5.3.10 PUBACK ReturnCode 0xFF is reserved', hex('07 0D 00 01 00 02 FF'), 'bad_return_code'],
  ['§5.3.10 REGACK ReturnCode 0x80 is reserved', hex('07 0B 00 01 00 01 80'), 'bad_return_code'],
  ['§5.3.10 SUBACK ReturnCode 0x04 is reserved', hex('08 13 20 00 01 00 05 04'), 'bad_return_code'],
  ['§5.3.10 WILLTOPICRESP ReturnCode 0x10 is reserved', hex('03 1B 10'), 'bad_return_code'],
  // Strings, §5.3.1, §5.3.12, §5.3.14
  ['§5.3.1 CONNECT ClientId that is not UTF-8', hex('08 04 04 01 00 3C C3 28'), 'bad_utf8'],
  ['§5.3.1 CONNECT ClientId with an overlong encoding', hex('08 04 04 01 00 3C C0 AF'), 'bad_utf8'],
  ['§5.3.1 PINGREQ ClientId with an encoded surrogate', hex('05 16 ED A0 80'), 'bad_utf8'],
  ['§5.3.12 REGISTER TopicName that is not UTF-8', hex('07 0A 00 00 00 01 FF'), 'bad_utf8'],
  ['§5.3.12 SUBSCRIBE TopicName that is not UTF-8', hex('07 12 00 00 01 61 80'), 'bad_utf8'],
  ['§5.3.4 PUBLISH short topic name that is not UTF-8', hex('07 0C 02 FF FE 00 00'), 'bad_utf8'],
  ['§5.3.14 WILLTOPIC that is not UTF-8', hex('04 07 00 FE'), 'bad_utf8'],
  ['§5.3.1 CONNECT with an empty ClientId', hex('06 04 04 01 00 3C'), 'bad_field'],
  [
    '§5.3.1 CONNECT with a 24-octet ClientId',
    Buffer.concat([hex('1E 04 04 01 00 3C'), Buffer.alloc(24, 0x61)]),
    'bad_field',
  ],
  [
    '§5.3.1 CONNECT with 12 two-octet characters (24 octets)',
    Buffer.concat([hex('1E 04 04 01 00 3C'), Buffer.from('é'.repeat(12))]),
    'bad_field',
  ],
  [
    '§5.3.1 PINGREQ with a 24-octet ClientId',
    Buffer.concat([hex('1A 16'), Buffer.alloc(24, 0x61)]),
    'bad_field',
  ],
  ['§5.3.12 REGISTER with an empty TopicName', hex('06 0A 00 00 00 01'), 'bad_field'],
  ['§5.3.12 SUBSCRIBE with an empty TopicName', hex('05 12 00 00 01'), 'bad_field'],
  ['§5.4.7 WILLTOPIC with Flags but no WillTopic (neither form)', hex('03 07 30'), 'bad_field'],
  // Forwarder encapsulation, §5.5
  ['§5.5 encapsulation with no encapsulated message', hex('05 FE 00 00 2A'), 'length_mismatch'],
  ['§5.5 encapsulation header longer than the buffer', hex('09 FE 00 00 2A 02 16'), 'length_mismatch'],
  ['§5.5 encapsulation without Ctrl (Length 2)', hex('02 FE 02 16'), 'bad_length'],
  ['§5.5 encapsulation with a 3-octet Length', hex('01 00 06 FE 00 2A 02 16'), 'bad_length'],
  [
    '§5.5 an encapsulation inside an encapsulation',
    hex('04 FE 00 2A 04 FE 00 2B 02 16'),
    'nested_encapsulation',
  ],
  ['§5.5 encapsulated message with a wrong Length', hex('05 FE 00 00 2A 03 16'), 'length_mismatch'],
  ['§5.5 encapsulated message of one octet', hex('04 FE 00 2A 02'), 'length_mismatch'],
  ['§5.5 encapsulated message with a reserved MsgType', hex('05 FE 00 00 2A 02 03'), 'reserved_type'],
  ['§5.5 encapsulated message with a bad ClientId', hex('05 FE 00 00 2A 06 04 04 01 00 3C'), 'bad_field'],
];

describe('MQTT-SN codec: malformed messages are discard values', () => {
  for (const [name, wire, reason] of malformed) {
    it(`${name} → ${reason}`, () => {
      const result = decodePacket(wire);
      assert.equal(result.ok, false, JSON.stringify(result));
      assert.ok(!result.ok);
      assert.equal(result.reason, reason, result.detail);
      assert.ok(result.detail.length > 0);
    });
  }

  it('§5.5 a failure inside an encapsulation says so in its detail', () => {
    const result = decodePacket(hex('05 FE 00 00 2A 03 16'));
    assert.deepEqual(result, {
      ok: false,
      reason: 'length_mismatch',
      detail: 'encapsulated message: Length says 3 octets, received 2',
    });
  });

  it('every reserved MsgType of Table 3 is refused, every other one is known', () => {
    const reserved = [0x03, 0x11, 0x19, 0xff];
    for (let t = 0x1e; t <= 0xfd; t++) reserved.push(t);
    for (let t = 0; t <= 0xff; t++) {
      const result = decodePacket(Buffer.from([2, t]));
      assert.equal(!result.ok && result.reason === 'reserved_type', reserved.includes(t), `MsgType ${t}`);
    }
  });
});

const publish = (patch: Partial<Extract<MqttSnPacket, { type: 'PUBLISH' }>>): MqttSnPacket => ({
  type: 'PUBLISH',
  dup: false,
  qos: 1,
  retain: false,
  topic: { kind: 'normal', id: 1 },
  msgId: 1,
  payload: Buffer.alloc(0),
  ...patch,
});

/** Packets only a bug in the gateway would build. */
const callerBugs: [string, MqttSnPacket][] = [
  ['§5.2.1 a message longer than 65535 octets', publish({ payload: Buffer.alloc(65527) })],
  ['§5.3.7 MsgId above 65535', publish({ msgId: 70000 })],
  ['§5.3.7 negative MsgId', publish({ msgId: -1 })],
  ['§5.3.7 fractional MsgId', publish({ msgId: 1.5 })],
  ['§5.3.11 PUBLISH with TopicId 0x0000', publish({ topic: { kind: 'normal', id: 0 } })],
  ['§5.3.11 PUBLISH with predefined TopicId 0xFFFF', publish({ topic: { kind: 'predefined', id: 0xffff } })],
  ['§5.3.4 a 3-character short topic name', publish({ topic: { kind: 'short', name: 'abc' } })],
  ['§5.3.4 a 1-character short topic name', publish({ topic: { kind: 'short', name: 'a' } })],
  ['§6.8 PUBLISH QoS −1 with a normal TopicId', publish({ qos: -1, msgId: 0 })],
  [
    '§5.3.1 an empty ClientId',
    { type: 'CONNECT', will: false, cleanSession: true, protocolId: 1, duration: 60, clientId: '' },
  ],
  [
    '§5.3.1 a 24-octet ClientId',
    {
      type: 'CONNECT',
      will: false,
      cleanSession: true,
      protocolId: 1,
      duration: 60,
      clientId: 'x'.repeat(24),
    },
  ],
  [
    '§5.3.1 a ClientId with a lone surrogate',
    { type: 'CONNECT', will: false, cleanSession: true, protocolId: 1, duration: 60, clientId: 'a\ud800' },
  ],
  ['§5.3.1 PINGREQ with an empty ClientId', { type: 'PINGREQ', clientId: '' }],
  ['§5.3.3 Duration above 65535', { type: 'DISCONNECT', duration: 65536 }],
  ['§5.3.6 GwId above 255', { type: 'ADVERTISE', gwId: 256, duration: 1 }],
  ['§5.3.10 a reserved ReturnCode', { type: 'CONNACK', returnCode: 4 as 0 }],
  ['§5.3.11 accepted REGACK with TopicId 0x0000', { type: 'REGACK', topicId: 0, msgId: 1, returnCode: 0 }],
  ['§5.3.12 REGISTER with an empty TopicName', { type: 'REGISTER', topicId: 0, msgId: 1, topicName: '' }],
  [
    '§5.3.14 WILLTOPIC with an empty topic',
    { type: 'WILLTOPIC', will: { qos: 0, retain: false, topic: '' } },
  ],
  [
    '§5.4.7 WILLTOPIC with Will QoS −1',
    { type: 'WILLTOPIC', will: { qos: -1 as 0, retain: false, topic: 'w' } },
  ],
  ['§5.3.5 GWINFO with an empty GwAdd', { type: 'GWINFO', gwId: 1, gwAdd: Buffer.alloc(0) }],
  [
    '§5.5 a Wireless Node Id that makes the header exceed 255',
    { type: 'ENCAPSULATED', radius: 0, wirelessNodeId: Buffer.alloc(253), packet: { type: 'PINGREQ' } },
  ],
  [
    '§5.5 radius above 3',
    { type: 'ENCAPSULATED', radius: 4 as 0, wirelessNodeId: hex('01'), packet: { type: 'PINGREQ' } },
  ],
  [
    '§5.5 an encapsulation inside an encapsulation',
    {
      type: 'ENCAPSULATED',
      radius: 0,
      wirelessNodeId: hex('01'),
      packet: {
        type: 'ENCAPSULATED',
        radius: 0,
        wirelessNodeId: hex('02'),
        packet: { type: 'PINGREQ' },
      } as unknown as InnerPacket,
    },
  ],
];

describe('MQTT-SN codec: encoding a packet a peer would discard is a caller bug', () => {
  for (const [name, packet] of callerBugs) {
    it(`${name} throws RangeError`, () => {
      assert.throws(() => encodePacket(packet), RangeError);
    });
  }

  it('§5.2.1 a message of exactly 65535 octets is encoded with Length FF FF', () => {
    const wire = encodePacket(publish({ payload: Buffer.alloc(65526) }));
    assert.equal(wire.length, 0xffff);
    assert.equal(wire.subarray(0, 4).toString('hex'), '01ffff0c');
  });
});
