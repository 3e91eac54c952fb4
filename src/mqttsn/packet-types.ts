// MQTT-SN v1.2 packets as values: the wire constants and one typed variant per message.
// Only v1.2 (docs/contract.md §4.2): the v2.0 draft renumbers every type and is not compatible.
//
// Field names follow the spec's (§5.3). Integers are plain numbers: one octet 0–255, two
// octets 0–65535 (big-endian on the wire). Strings (ClientId, TopicName, WillTopic) are the
// UTF-8 text they carry; binary fields (Data, WillMsg, GwAdd, Wireless Node Id) are Buffers.

/** MQTT-SN 1.2 §5.2.2, Table 3. Values not listed here are reserved. */
import type { QoS } from '../pipeline/message.ts';
export const MsgType = {
  ADVERTISE: 0x00,
  SEARCHGW: 0x01,
  GWINFO: 0x02,
  // 0x03 reserved
  CONNECT: 0x04,
  CONNACK: 0x05,
  WILLTOPICREQ: 0x06,
  WILLTOPIC: 0x07,
  WILLMSGREQ: 0x08,
  WILLMSG: 0x09,
  REGISTER: 0x0a,
  REGACK: 0x0b,
  PUBLISH: 0x0c,
  PUBACK: 0x0d,
  // Not in alphabetical order: PUBCOMP comes before PUBREC and PUBREL on the wire.
  PUBCOMP: 0x0e,
  PUBREC: 0x0f,
  PUBREL: 0x10,
  // 0x11 reserved
  SUBSCRIBE: 0x12,
  SUBACK: 0x13,
  UNSUBSCRIBE: 0x14,
  UNSUBACK: 0x15,
  PINGREQ: 0x16,
  PINGRESP: 0x17,
  DISCONNECT: 0x18,
  // 0x19 reserved
  WILLTOPICUPD: 0x1a,
  WILLTOPICRESP: 0x1b,
  WILLMSGUPD: 0x1c,
  WILLMSGRESP: 0x1d,
  // 0x1e–0xfd reserved
  /** Forwarder encapsulation, MQTT-SN 1.2 §5.5. */
  ENCAPSULATED: 0xfe,
  // 0xff reserved
} as const;

export type MsgTypeName = keyof typeof MsgType;

/** MQTT-SN 1.2 §5.3.10, Table 5. 0x04–0xFF are reserved. */
export const ReturnCode = {
  ACCEPTED: 0x00,
  REJECTED_CONGESTION: 0x01,
  REJECTED_INVALID_TOPIC_ID: 0x02,
  REJECTED_NOT_SUPPORTED: 0x03,
} as const;

export type ReturnCodeValue = (typeof ReturnCode)[keyof typeof ReturnCode];

/** The TopicIdType bits (1–0) of the Flags octet, MQTT-SN 1.2 §5.3.4. 0b11 is reserved. */
export const TopicIdType = {
  /** A registered topic id; in SUBSCRIBE and UNSUBSCRIBE, a full topic name instead. */
  NORMAL: 0b00,
  PREDEFINED: 0b01,
  SHORT_NAME: 0b10,
} as const;

/** MQTT-SN 1.2 §5.3.1: "1-23 characters"; see decode-fields.ts for how it is counted. */
export const MAX_CLIENT_ID_OCTETS = 23;

/** The only ProtocolId of v1.2 (MQTT-SN 1.2 §5.3.8); all other values are reserved. */
export const PROTOCOL_ID = 0x01;

/** QoS of a Will or a subscription: MQTT's own three levels. */
export type Qos = QoS;
/** QoS of a PUBLISH: −1 is flag bits 0b11, "publish without connection" (MQTT-SN 1.2 §6.8). */
export type PublishQos = -1 | Qos;

/**
 * The topic of a PUBLISH (MQTT-SN 1.2 §5.4.12): the TopicIdType flag bits with the 2-octet
 * TopicId field. `id` is never 0x0000 or 0xFFFF (reserved, §5.3.11); a short name is exactly
 * 2 octets of UTF-8 (normally 2 ASCII characters).
 */
export type PublishTopic =
  { kind: 'normal'; id: number } | { kind: 'predefined'; id: number } | { kind: 'short'; name: string };

/**
 * The topic of a SUBSCRIBE or UNSUBSCRIBE (MQTT-SN 1.2 §5.4.15, §5.4.17): TopicIdType 0b00
 * carries a full topic name (may hold wildcards) in place of a topic id.
 */
export type SubscribeTopic =
  { kind: 'name'; name: string } | { kind: 'predefined'; id: number } | { kind: 'short'; name: string };

/** The non-empty form of WILLTOPIC and WILLTOPICUPD (MQTT-SN 1.2 §5.4.7, §5.4.22). */
export interface WillTopicFields {
  qos: Qos;
  retain: boolean;
  topic: string;
}

type Plain<T extends MsgTypeName> = { type: T };
type MsgIdOnly<T extends MsgTypeName> = { type: T; msgId: number };
type WithReturnCode<T extends MsgTypeName> = { type: T; returnCode: ReturnCodeValue };

/** Every message except the forwarder encapsulation, which may only wrap one of these. */
export type InnerPacket =
  /** MQTT-SN 1.2 §5.4.1 — Duration: seconds until the next ADVERTISE. */
  | { type: 'ADVERTISE'; gwId: number; duration: number }
  /** MQTT-SN 1.2 §5.4.2 */
  | { type: 'SEARCHGW'; radius: number }
  /** MQTT-SN 1.2 §5.4.3 — GwAdd only when a client answers on behalf of a gateway. */
  | { type: 'GWINFO'; gwId: number; gwAdd?: Buffer }
  /**
   * MQTT-SN 1.2 §5.4.4 — Flags Will (bit 3) and CleanSession (bit 2); Duration is the keep-alive period.
   * `protocolId` is reported as received so the session can answer a reserved one with
   * CONNACK 0x03 (rejected: not supported) instead of leaving the client to retry.
   */
  | {
      type: 'CONNECT';
      will: boolean;
      cleanSession: boolean;
      protocolId: number;
      duration: number;
      clientId: string;
    }
  | WithReturnCode<'CONNACK'>
  | Plain<'WILLTOPICREQ'>
  /** MQTT-SN 1.2 §5.4.7 — `will: null` is the empty (2-octet) form: delete the Will topic and message. */
  | { type: 'WILLTOPIC'; will: WillTopicFields | null }
  | Plain<'WILLMSGREQ'>
  /** MQTT-SN 1.2 §5.4.9 */
  | { type: 'WILLMSG'; willMsg: Buffer }
  /** MQTT-SN 1.2 §5.4.10 — TopicId is 0x0000 when a client registers; the assigned id from a gateway. */
  | { type: 'REGISTER'; topicId: number; msgId: number; topicName: string }
  /** MQTT-SN 1.2 §5.4.11 */
  | { type: 'REGACK'; topicId: number; msgId: number; returnCode: ReturnCodeValue }
  /** MQTT-SN 1.2 §5.4.12 — MsgId is 0x0000 unless QoS is 1 or 2. */
  | {
      type: 'PUBLISH';
      dup: boolean;
      qos: PublishQos;
      retain: boolean;
      topic: PublishTopic;
      msgId: number;
      payload: Buffer;
    }
  /** MQTT-SN 1.2 §5.4.13 — TopicId echoes the PUBLISH's TopicId field (a short name's two octets too). */
  | { type: 'PUBACK'; topicId: number; msgId: number; returnCode: ReturnCodeValue }
  /** MQTT-SN 1.2 §5.4.14 */
  | MsgIdOnly<'PUBCOMP'>
  | MsgIdOnly<'PUBREC'>
  | MsgIdOnly<'PUBREL'>
  /** MQTT-SN 1.2 §5.4.15 */
  | { type: 'SUBSCRIBE'; dup: boolean; qos: Qos; msgId: number; topic: SubscribeTopic }
  /** MQTT-SN 1.2 §5.4.16 — TopicId 0x0000 for a wildcard subscription or a short topic name. */
  | { type: 'SUBACK'; qos: Qos; topicId: number; msgId: number; returnCode: ReturnCodeValue }
  /** MQTT-SN 1.2 §5.4.17 */
  | { type: 'UNSUBSCRIBE'; msgId: number; topic: SubscribeTopic }
  /** MQTT-SN 1.2 §5.4.18 */
  | MsgIdOnly<'UNSUBACK'>
  /** MQTT-SN 1.2 §5.4.19 — ClientId only when a sleeping client wakes up to fetch buffered messages. */
  | { type: 'PINGREQ'; clientId?: string }
  | Plain<'PINGRESP'>
  /** MQTT-SN 1.2 §5.4.21 — Duration (seconds) only when a client goes to sleep. */
  | { type: 'DISCONNECT'; duration?: number }
  /** MQTT-SN 1.2 §5.4.22 — `will: null` is the empty form: delete the Will topic and message. */
  | { type: 'WILLTOPICUPD'; will: WillTopicFields | null }
  | WithReturnCode<'WILLTOPICRESP'>
  /** MQTT-SN 1.2 §5.4.23 */
  | { type: 'WILLMSGUPD'; willMsg: Buffer }
  | WithReturnCode<'WILLMSGRESP'>;

/**
 * MQTT-SN 1.2 §5.5: a forwarder's wrapping of one message to or from a wireless node.
 * `radius` is Ctrl bits 1–0 (meaningful only gateway → forwarder; bits 7–2 are reserved).
 */
/** The variant of one message type, e.g. `PacketOf<'PUBLISH'>`, for the handlers. */
export type PacketOf<T extends InnerPacket['type']> = Extract<InnerPacket, { type: T }>;

export interface EncapsulatedPacket {
  type: 'ENCAPSULATED';
  radius: 0 | 1 | 2 | 3;
  wirelessNodeId: Buffer;
  packet: InnerPacket;
}

export type MqttSnPacket = InnerPacket | EncapsulatedPacket;

/**
 * Why a buffer is not an MQTT-SN message. Stable: counters and logs use these words.
 * - too_short: fewer octets than the Length field and MsgType need.
 * - bad_length: a Length value no message can have (0x00, a 3-octet Length below 4, an
 *   encapsulation header shorter than 3 or in the 3-octet form).
 * - length_mismatch: the Length field disagrees with the number of octets received.
 * - reserved_type: a MsgType that Table 3 reserves.
 * - bad_size: the message is too short or too long for its type.
 * - bad_flags: reserved TopicIdType 0b11, or a QoS the message cannot carry.
 * - bad_topic_id: the reserved topic id 0x0000 or 0xFFFF where a real id is needed.
 * - bad_return_code: a reserved ReturnCode (0x04–0xFF).
 * - bad_utf8: a ClientId, topic name or short topic name that is not valid UTF-8.
 * - bad_field: any other illegal field: an empty or over-long ClientId, an empty topic name.
 * - nested_encapsulation: an encapsulated message that is itself an encapsulation.
 */
export type MqttSnDiscardReason =
  | 'too_short'
  | 'bad_length'
  | 'length_mismatch'
  | 'reserved_type'
  | 'bad_size'
  | 'bad_flags'
  | 'bad_topic_id'
  | 'bad_return_code'
  | 'bad_utf8'
  | 'bad_field'
  | 'nested_encapsulation';

export interface DecodeFailure {
  ok: false;
  reason: MqttSnDiscardReason;
  detail: string;
  /**
   * A message well-formed but for one field's content (a TopicName or ClientId that is not
   * UTF-8, an empty name): the message as read, that field decoded with U+FFFD in place of
   * the bad octets. Never to be acted on — only answered with a rejection, so the client
   * learns why instead of retrying into silence (decode-fields.ts answerable()).
   */
  packet?: MqttSnPacket;
}

/** `length` is the number of octets the message occupied (always the whole buffer). */
export type DecodeResult = { ok: true; packet: MqttSnPacket; length: number } | DecodeFailure;
