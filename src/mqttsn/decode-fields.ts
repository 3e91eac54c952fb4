// Field readers shared by the per-type body decoders. Each returns either the value or a
// DecodeFailure; none throws (every index is checked before a Buffer read).
import { isUtf8 } from 'node:buffer';
import { MAX_CLIENT_ID_OCTETS, ReturnCode } from './packet-types.ts';
import type { DecodeFailure, InnerPacket, MqttSnDiscardReason, ReturnCodeValue } from './packet-types.ts';
import { isReservedTopicId } from './wire.ts';

/** What a body decoder gives back: the packet, or why not. */
export type BodyResult = { ok: true; packet: InnerPacket } | DecodeFailure;

/** Decodes the octets after MsgType (the Length and MsgType are already checked). */
export type BodyDecoder = (body: Buffer) => BodyResult;

export function fail(reason: MqttSnDiscardReason, detail: string): DecodeFailure {
  return { ok: false, reason, detail };
}

export function ok(packet: InnerPacket): BodyResult {
  return { ok: true, packet };
}

/**
 * A field of a message that is otherwise well-formed failed its rule: the failure carries
 * the message (see DecodeFailure.packet) so the gateway can answer it — a REGACK, PUBACK,
 * SUBACK or CONNACK with a rejection code — rather than drop it silently.
 */
export function answerable(failure: DecodeFailure, packet: InnerPacket): DecodeFailure {
  return { ...failure, packet };
}

/** The text of a string field, with U+FFFD where it is not UTF-8 (for answerable()). */
export function lossy(bytes: Buffer): string {
  return bytes.toString('utf8');
}

/** A fixed-size message body: exactly `size` octets after MsgType. */
export function exactSize(body: Buffer, size: number, name: string): DecodeFailure | null {
  return body.length === size
    ? null
    : fail('bad_size', `${name} has ${size} octet(s) after MsgType, got ${body.length}`);
}

/** A variable-size message body: at least `size` octets after MsgType. */
export function minSize(body: Buffer, size: number, name: string): DecodeFailure | null {
  return body.length >= size
    ? null
    : fail('bad_size', `${name} needs at least ${size} octet(s) after MsgType, got ${body.length}`);
}

/** A copy: decoded packets never share memory with the framer's (possibly reused) buffer. */
export function copy(bytes: Buffer): Buffer {
  return Buffer.from(bytes);
}

/**
 * Strings are UTF-8 (MQTT-SN 1.2 §5.3). isUtf8 is the strict check (no overlong forms,
 * surrogates or code points above U+10FFFF), so every accepted string re-encodes to the
 * same octets.
 */
export function utf8(bytes: Buffer, what: string): string | DecodeFailure {
  return isUtf8(bytes) ? bytes.toString('utf8') : fail('bad_utf8', `${what} is not valid UTF-8`);
}

/** A TopicName or WillTopic (§5.3.12, §5.3.14): UTF-8, and not empty (no topic is ""). */
export function topicName(bytes: Buffer, what: string): string | DecodeFailure {
  if (bytes.length === 0) return fail('bad_field', `${what} is empty`);
  return utf8(bytes, what);
}

/**
 * MQTT-SN 1.2 §5.3.1: a ClientId is "1-23 characters". Counted in octets, as MQTT 3.1.1
 * MQTT-SN 1.2 §3.1.3-5 words the same rule it inherited ("between 1 and 23 UTF-8 encoded bytes"): a
 * transparent gateway hands the id on to MQTT. Stricter than Paho's gateway (up to 64),
 * which accepts what the spec does not promise.
 */
export function clientId(bytes: Buffer): string | DecodeFailure {
  if (bytes.length === 0) return fail('bad_field', 'ClientId is empty (MQTT-SN 1.2 §5.3.1: 1-23)');
  if (bytes.length > MAX_CLIENT_ID_OCTETS)
    return fail(
      'bad_field',
      `ClientId is ${bytes.length} octets, more than ${MAX_CLIENT_ID_OCTETS} (MQTT-SN 1.2 §5.3.1)`,
    );
  return utf8(bytes, 'ClientId');
}

/** A short topic name (TopicIdType 0b10): exactly 2 octets of UTF-8 (§5.3.4, §5.4.12). */
export function shortName(bytes: Buffer): string | DecodeFailure {
  if (bytes.length !== 2) return fail('bad_size', `a short topic name is 2 octets, got ${bytes.length}`);
  return utf8(bytes, 'short topic name');
}

/** MQTT-SN 1.2 §5.3.11: a topic id that names a topic is neither 0x0000 nor 0xFFFF. */
export function realTopicId(id: number, where: string): DecodeFailure | null {
  return isReservedTopicId(id) ? reservedTopicId(id, where) : null;
}

export function reservedTopicId(id: number, where: string): DecodeFailure {
  return fail('bad_topic_id', `${where} carries the reserved TopicId ${hex4(id)} (MQTT-SN 1.2 §5.3.11)`);
}

/** MQTT-SN 1.2 §5.3.10, Table 5: 0x00–0x03; 0x04–0xFF are reserved. */
export function returnCode(value: number, where: string): ReturnCodeValue | DecodeFailure {
  return value <= ReturnCode.REJECTED_NOT_SUPPORTED
    ? (value as ReturnCodeValue)
    : fail('bad_return_code', `${where} has the reserved ReturnCode ${hex2(value)} (MQTT-SN 1.2 Table 5)`);
}

export function hex2(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

export function hex4(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;
}
