// Bits of the Flags octet and other wire rules shared by the decoder and the encoder.
// MQTT-SN 1.2 §5.3.4, Table 4: DUP(7) | QoS(6,5) | Retain(4) | Will(3) | CleanSession(2) |
// TopicIdType(1,0). Each message uses only some of them; the spec calls the rest "not used"
// without requiring them to be zero, so the decoder ignores them and the encoder writes 0.
import type { PublishQos, PublishTopic } from './packet-types.ts';

export const FLAG_DUP = 0x80;
export const FLAG_RETAIN = 0x10;
export const FLAG_WILL = 0x08;
export const FLAG_CLEAN_SESSION = 0x04;
export const TOPIC_ID_TYPE_MASK = 0x03;
/** TopicIdType 0b11 is reserved (Table 4). */
export const TOPIC_ID_TYPE_RESERVED = 0b11;

const QOS_SHIFT = 5;
const QOS_MINUS_ONE_BITS = 0b11;

/** The QoS bits (6,5) of `flags`: 0b00 → 0, 0b01 → 1, 0b10 → 2, 0b11 → −1. */
export function qosFromFlags(flags: number): PublishQos {
  const bits = (flags >> QOS_SHIFT) & 0b11;
  return bits === QOS_MINUS_ONE_BITS ? -1 : (bits as 0 | 1 | 2);
}

/** `qos` placed in bits 6,5 of a Flags octet. */
export function qosToFlags(qos: PublishQos): number {
  return (qos === -1 ? QOS_MINUS_ONE_BITS : qos) << QOS_SHIFT;
}

/** MQTT-SN 1.2 §5.3.11: "The values 0x0000 and 0xFFFF are reserved and therefore should not be used." */
export function isReservedTopicId(id: number): boolean {
  return id === 0x0000 || id === 0xffff;
}

/** The largest total length: the 3-octet Length form counts with 2 octets (§5.2.1). */
export const MAX_PACKET_LENGTH = 0xffff;
/** First octet 0x01 announces the 3-octet Length form (MQTT-SN 1.2 §5.2.1). */
export const LONG_LENGTH_MARKER = 0x01;

/** The 2-octet TopicId field of a PUBLISH, echoed in its PUBACK (§5.4.13); a short name as its two octets. */
export function topicIdField(topic: PublishTopic): number {
  return topic.kind === 'short' ? Buffer.from(topic.name, 'utf8').readUInt16BE(0) : topic.id;
}
