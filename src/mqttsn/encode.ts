// The MQTT-SN v1.2 encoder: a typed packet → the octets of one message, Length first.
// Packets come from the gateway itself, so a packet that breaks the rules the decoder
// enforces is a bug in the caller: it throws RangeError rather than put on the wire what a
// peer would have to discard. Whatever encodePacket returns, decodePacket reads back equal.
import { MAX_CLIENT_ID_OCTETS, MsgType, ReturnCode, TopicIdType } from './packet-types.ts';
import type {
  InnerPacket,
  MqttSnPacket,
  PublishQos,
  PublishTopic,
  SubscribeTopic,
  WillTopicFields,
} from './packet-types.ts';
import {
  FLAG_CLEAN_SESSION,
  FLAG_DUP,
  FLAG_RETAIN,
  FLAG_WILL,
  LONG_LENGTH_MARKER,
  MAX_PACKET_LENGTH,
  isReservedTopicId,
  qosToFlags,
} from './wire.ts';

/** Largest total for the 1-octet Length form (MQTT-SN 1.2 §5.2.1). */
const MAX_SHORT_LENGTH = 0xff;

/** The TopicIdType bits of each topic kind (§5.3.4); a SUBSCRIBE topic name is 0b00. */
const TOPIC_ID_TYPE_OF = {
  normal: TopicIdType.NORMAL,
  name: TopicIdType.NORMAL,
  predefined: TopicIdType.PREDEFINED,
  short: TopicIdType.SHORT_NAME,
} as const;

/**
 * Encodes one message. The 1-octet Length form is used when the total fits in 255 octets,
 * the 3-octet form (0x01 + 2 octets big-endian) otherwise (§5.2.1). An encapsulation
 * (§5.5) is its header followed by the encoded inner message.
 */
export function encodePacket(p: MqttSnPacket): Buffer {
  if (p.type !== 'ENCAPSULATED') return withHeader(MsgType[p.type], encodeBody(p));
  const headerLength = 3 + p.wirelessNodeId.length;
  if (headerLength > MAX_SHORT_LENGTH)
    throw new RangeError(`Wireless Node Id of ${p.wirelessNodeId.length} octets: the header exceeds 255`);
  if ((p.packet as MqttSnPacket).type === 'ENCAPSULATED')
    throw new RangeError('an encapsulation cannot carry another encapsulation');
  const ctrl = Buffer.from([headerLength, MsgType.ENCAPSULATED, uint(p.radius, 0b11, 'radius')]);
  return Buffer.concat([ctrl, p.wirelessNodeId, encodePacket(p.packet)]);
}

function withHeader(type: number, body: Buffer[]): Buffer {
  const bodyLength = body.reduce((n, b) => n + b.length, 0);
  if (2 + bodyLength <= MAX_SHORT_LENGTH)
    return Buffer.concat([Buffer.from([2 + bodyLength, type]), ...body]);
  const total = 4 + bodyLength;
  if (total > MAX_PACKET_LENGTH) throw new RangeError(`message of ${total} octets exceeds 65535`);
  const header = Buffer.from([LONG_LENGTH_MARKER, total >> 8, total & 0xff, type]);
  return Buffer.concat([header, ...body]);
}

/** The fields after MsgType, in wire order. */
function encodeBody(p: InnerPacket): Buffer[] {
  switch (p.type) {
    case 'ADVERTISE':
      return [u8(p.gwId, 'gwId'), u16(p.duration, 'duration')];
    case 'SEARCHGW':
      return [u8(p.radius, 'radius')];
    case 'GWINFO':
      if (p.gwAdd !== undefined && p.gwAdd.length === 0)
        throw new RangeError('GWINFO gwAdd is empty: leave it out instead');
      return p.gwAdd === undefined ? [u8(p.gwId, 'gwId')] : [u8(p.gwId, 'gwId'), p.gwAdd];
    case 'CONNECT':
      return [
        Buffer.from([(p.will ? FLAG_WILL : 0) | (p.cleanSession ? FLAG_CLEAN_SESSION : 0)]),
        u8(p.protocolId, 'protocolId'),
        u16(p.duration, 'duration'),
        clientId(p.clientId),
      ];
    case 'CONNACK':
    case 'WILLTOPICRESP':
    case 'WILLMSGRESP':
      return [returnCode(p.returnCode)];
    case 'WILLTOPICREQ':
    case 'WILLMSGREQ':
    case 'PINGRESP':
      return [];
    case 'WILLTOPIC':
    case 'WILLTOPICUPD':
      return p.will === null ? [] : willTopic(p.will);
    case 'WILLMSG':
    case 'WILLMSGUPD':
      return [p.willMsg];
    case 'REGISTER':
      if (p.topicId === 0xffff) throw new RangeError('REGISTER topicId 0xFFFF is reserved (§5.3.11)');
      return [u16(p.topicId, 'topicId'), u16(p.msgId, 'msgId'), text(p.topicName, 'topicName', 1)];
    case 'REGACK':
      if (p.returnCode === ReturnCode.ACCEPTED) realTopicId(p.topicId, 'an accepted REGACK');
      return [u16(p.topicId, 'topicId'), u16(p.msgId, 'msgId'), returnCode(p.returnCode)];
    case 'PUBLISH':
      return [
        Buffer.from([publishFlags(p.dup, p.qos, p.retain, p.topic)]),
        publishTopic(p.topic),
        u16(p.msgId, 'msgId'),
        p.payload,
      ];
    case 'PUBACK':
      return [u16(p.topicId, 'topicId'), u16(p.msgId, 'msgId'), returnCode(p.returnCode)];
    case 'PUBCOMP':
    case 'PUBREC':
    case 'PUBREL':
    case 'UNSUBACK':
      return [u16(p.msgId, 'msgId')];
    case 'SUBSCRIBE':
      return [
        Buffer.from([(p.dup ? FLAG_DUP : 0) | qosToFlags(qos(p.qos)) | TOPIC_ID_TYPE_OF[p.topic.kind]]),
        u16(p.msgId, 'msgId'),
        subscribeTopic(p.topic),
      ];
    case 'SUBACK':
      if (p.returnCode === ReturnCode.ACCEPTED && p.topicId === 0xffff)
        throw new RangeError('an accepted SUBACK cannot carry the reserved TopicId 0xFFFF (§5.3.11)');
      return [
        Buffer.from([qosToFlags(qos(p.qos))]),
        u16(p.topicId, 'topicId'),
        u16(p.msgId, 'msgId'),
        returnCode(p.returnCode),
      ];
    case 'UNSUBSCRIBE':
      return [Buffer.from([TOPIC_ID_TYPE_OF[p.topic.kind]]), u16(p.msgId, 'msgId'), subscribeTopic(p.topic)];
    case 'PINGREQ':
      return p.clientId === undefined ? [] : [clientId(p.clientId)];
    case 'DISCONNECT':
      return p.duration === undefined ? [] : [u16(p.duration, 'duration')];
  }
}

function willTopic(will: WillTopicFields): Buffer[] {
  const flags = qosToFlags(qos(will.qos)) | (will.retain ? FLAG_RETAIN : 0);
  return [Buffer.from([flags]), text(will.topic, 'Will topic', 1)];
}

/** MQTT-SN 1.2 §5.3.4 and §6.8: QoS −1 only with a predefined topic id or a short topic name. */
function publishFlags(dup: boolean, q: PublishQos, retain: boolean, topic: PublishTopic): number {
  if (q === -1 && topic.kind === 'normal')
    throw new RangeError('PUBLISH QoS −1 needs a predefined topic id or a short name (§6.8)');
  if (q !== -1) qos(q);
  return (dup ? FLAG_DUP : 0) | qosToFlags(q) | (retain ? FLAG_RETAIN : 0) | TOPIC_ID_TYPE_OF[topic.kind];
}

function publishTopic(topic: PublishTopic): Buffer {
  return topic.kind === 'short'
    ? shortName(topic.name)
    : realTopicId(topic.id, `PUBLISH ${topic.kind} topic`);
}

function subscribeTopic(topic: SubscribeTopic): Buffer {
  switch (topic.kind) {
    case 'name':
      return text(topic.name, 'topic name', 1);
    case 'predefined':
      return realTopicId(topic.id, 'predefined topic');
    case 'short':
      return shortName(topic.name);
  }
}

/** A topic id that names a topic: neither reserved value (§5.3.11). */
function realTopicId(id: number, what: string): Buffer {
  const bytes = u16(id, what);
  if (isReservedTopicId(id)) throw new RangeError(`${what}: TopicId ${id} is reserved (§5.3.11)`);
  return bytes;
}

function shortName(name: string): Buffer {
  const bytes = text(name, 'short topic name', 2);
  if (bytes.length !== 2) throw new RangeError(`short topic name must be 2 octets, got ${bytes.length}`);
  return bytes;
}

/** MQTT-SN 1.2 §5.3.1: 1–23 octets of UTF-8 (see decode-fields.ts). */
function clientId(id: string): Buffer {
  const bytes = text(id, 'clientId', 1);
  if (bytes.length > MAX_CLIENT_ID_OCTETS)
    throw new RangeError(`clientId is ${bytes.length} octets, more than ${MAX_CLIENT_ID_OCTETS}`);
  return bytes;
}

/** UTF-8 of a well-formed string (a lone surrogate would not read back the same). */
function text(value: string, what: string, minOctets: number): Buffer {
  if (!value.isWellFormed()) throw new RangeError(`${what} has a lone surrogate`);
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length < minOctets) throw new RangeError(`${what} is empty`);
  return bytes;
}

function qos(q: number): 0 | 1 | 2 {
  if (q !== 0 && q !== 1 && q !== 2) throw new RangeError(`QoS ${q} is not 0, 1 or 2 here`);
  return q;
}

function returnCode(code: number): Buffer {
  return Buffer.from([uint(code, ReturnCode.REJECTED_NOT_SUPPORTED, 'returnCode')]);
}

function u8(value: number, what: string): Buffer {
  return Buffer.from([uint(value, 0xff, what)]);
}

function u16(value: number, what: string): Buffer {
  const v = uint(value, 0xffff, what);
  return Buffer.from([v >> 8, v & 0xff]);
}

function uint(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new RangeError(`${what} must be an integer 0..${max}, got ${value}`);
  return value;
}
