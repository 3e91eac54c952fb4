// The MQTT-SN v1.2 decoder: exactly one message in a Buffer → a typed packet, or why not.
// The framer (raw, SLIP or COBS) has already cut the message out, so the Length field must
// account for every octet received. Bad input is a value, never an exception: every read
// is bounds-checked first, and the result says which rule the input broke.
import { MsgType } from './packet-types.ts';
import type {
  DecodeFailure,
  DecodeResult,
  EncapsulatedPacket,
  InnerPacket,
  MsgTypeName,
} from './packet-types.ts';
import { fail, hex2 } from './decode-fields.ts';
import type { BodyDecoder } from './decode-fields.ts';
import { sessionDecoders } from './decode-session.ts';
import { topicDecoders } from './decode-topics.ts';
import { LONG_LENGTH_MARKER } from './wire.ts';

/** One decoder per MsgType (Table 3); a type missing here is reserved. */
const decoders: Record<Exclude<MsgTypeName, 'ENCAPSULATED'>, BodyDecoder> = {
  ...sessionDecoders,
  ...topicDecoders,
};
const decoderByCode: ReadonlyMap<number, BodyDecoder> = new Map(
  Object.entries(decoders).map(([name, decode]) => [MsgType[name as MsgTypeName], decode]),
);

interface Header {
  ok: true;
  /** Octets of the Length field: 1, or 3 for the 0x01 form. */
  lengthOctets: 1 | 3;
  /** The value of the Length field. */
  declared: number;
  type: number;
}

/**
 * Decodes one whole MQTT-SN message (or one forwarder encapsulation, §5.5, with the
 * message it carries). Never throws.
 */
export function decodePacket(buf: Buffer): DecodeResult {
  const header = readHeader(buf);
  if (!header.ok) return header;
  if (header.type === MsgType.ENCAPSULATED) return decodeEncapsulated(buf, header);
  const inner = decodeMessage(buf, header);
  return inner.ok ? { ok: true, packet: inner.packet, length: buf.length } : inner;
}

/**
 * MQTT-SN 1.2 §5.2.1: "If the first octet of the Length field is coded 0x01 then the
 * Length field is 3-octet long"; otherwise that octet is the total length. The 3-octet form
 * is accepted for any total, also below 256 ("may" use the short form, not "must").
 */
function readHeader(buf: Buffer): Header | DecodeFailure {
  if (buf.length < 2)
    return fail('too_short', `${buf.length} octet(s); a message has at least Length and MsgType`);
  const first = buf.readUInt8(0);
  if (first === LONG_LENGTH_MARKER) {
    if (buf.length < 4)
      return fail('too_short', `${buf.length} octet(s); the 3-octet Length form needs 4 with MsgType`);
    const declared = buf.readUInt16BE(1);
    if (declared < 4)
      return fail('bad_length', `3-octet Length ${declared}: less than its own 3 octets and MsgType`);
    return { ok: true, lengthOctets: 3, declared, type: buf.readUInt8(3) };
  }
  if (first === 0x00) return fail('bad_length', 'Length 0x00 (MQTT-SN 1.2 §5.2.1)');
  return { ok: true, lengthOctets: 1, declared: first, type: buf.readUInt8(1) };
}

/** Any message except an encapsulation: type, Length, then the type's own body rules. */
function decodeMessage(buf: Buffer, header: Header): { ok: true; packet: InnerPacket } | DecodeFailure {
  const decode = decoderByCode.get(header.type);
  if (decode === undefined)
    return fail('reserved_type', `MsgType ${hex2(header.type)} is reserved (MQTT-SN 1.2 Table 3)`);
  if (header.declared !== buf.length)
    return fail('length_mismatch', `Length says ${header.declared} octets, received ${buf.length}`);
  return decode(buf.subarray(header.lengthOctets + 1));
}

/**
 * MQTT-SN 1.2 §5.5: Length(1) 0xFE Ctrl(1) WirelessNodeId(n), then the whole encapsulated
 * message with its own Length. Here Length counts only up to the end of the Wireless Node
 * Id, is "1-octet long" (so the 0x01 form is refused), and is at least 3 (an empty node id
 * is allowed: the spec sets no minimum, and the gateway only has to echo it back). The
 * encapsulated message is decoded with the same rules, except that it may not itself be an
 * encapsulation: a forwarder wraps a node's message, not another forwarder's frame.
 */
function decodeEncapsulated(buf: Buffer, header: Header): DecodeResult {
  if (header.lengthOctets !== 1)
    return fail('bad_length', 'an encapsulation has a 1-octet Length (MQTT-SN 1.2 §5.5)');
  const headerLength = header.declared;
  if (headerLength < 3)
    return fail('bad_length', `encapsulation Length ${headerLength}: Length, MsgType and Ctrl need 3`);
  if (headerLength + 2 > buf.length)
    return fail(
      'length_mismatch',
      `encapsulation header of ${headerLength} octets leaves ${Math.max(0, buf.length - headerLength)} ` +
        'for the encapsulated message, which needs at least 2',
    );
  const innerBuf = buf.subarray(headerLength);
  const innerHeader = readHeader(innerBuf);
  if (!innerHeader.ok) return inside(innerHeader);
  if (innerHeader.type === MsgType.ENCAPSULATED)
    return fail('nested_encapsulation', 'an encapsulated message is itself an encapsulation');
  const inner = decodeMessage(innerBuf, innerHeader);
  const wrap = (packet: InnerPacket): EncapsulatedPacket => ({
    type: 'ENCAPSULATED',
    radius: (buf.readUInt8(2) & 0b11) as 0 | 1 | 2 | 3,
    wirelessNodeId: Buffer.from(buf.subarray(3, headerLength)),
    packet,
  });
  if (!inner.ok) {
    // An answerable message keeps its wrapping: the answer goes back to that node (§5.5).
    const failure = inside(inner);
    return inner.packet === undefined || inner.packet.type === 'ENCAPSULATED'
      ? failure
      : { ...failure, packet: wrap(inner.packet) };
  }
  return { ok: true, packet: wrap(inner.packet), length: buf.length };
}

/** A failure of the encapsulated message, said to be one. */
function inside(failure: DecodeFailure): DecodeFailure {
  return fail(failure.reason, `encapsulated message: ${failure.detail}`);
}
