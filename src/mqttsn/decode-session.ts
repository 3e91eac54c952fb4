// Body decoders for gateway discovery, connection, Will, keep-alive and disconnect
// (MQTT-SN 1.2 §5.4.1–§5.4.9, §5.4.19–§5.4.25). Each gets the octets after MsgType.
import type { InnerPacket, WillTopicFields } from './packet-types.ts';
import type { BodyDecoder, BodyResult } from './decode-fields.ts';
import {
  answerable,
  clientId,
  copy,
  exactSize,
  fail,
  hex2,
  lossy,
  minSize,
  ok,
  returnCode,
  topicName,
} from './decode-fields.ts';
import { FLAG_CLEAN_SESSION, FLAG_RETAIN, FLAG_WILL, qosFromFlags } from './wire.ts';

/** CONNACK, WILLTOPICRESP, WILLMSGRESP: ReturnCode(1) (§5.4.5, §5.4.24, §5.4.25). */
function returnCodeOnly(type: 'CONNACK' | 'WILLTOPICRESP' | 'WILLMSGRESP'): BodyDecoder {
  return (body) => {
    const size = exactSize(body, 1, type);
    if (size) return size;
    const code = returnCode(body.readUInt8(0), type);
    return typeof code === 'number' ? ok({ type, returnCode: code }) : code;
  };
}

/** WILLTOPICREQ, WILLMSGREQ, PINGRESP: the 2-octet header alone (§5.4.6, §5.4.8, §5.4.20). */
function headerOnly(type: 'WILLTOPICREQ' | 'WILLMSGREQ' | 'PINGRESP'): BodyDecoder {
  return (body) => exactSize(body, 0, type) ?? ok({ type });
}

/**
 * WILLTOPIC / WILLTOPICUPD: Flags(1: QoS, Retain) WillTopic(n) (§5.4.7, §5.4.22). The
 * empty form is "exactly 2 octets long", without Flags. A Flags octet followed by no topic
 * is neither form (a Will needs a topic to be published on), so it is refused, not read as
 * the empty form. A Will is an MQTT Will: QoS 0, 1 or 2; QoS −1 only exists for PUBLISH.
 */
function willTopic(type: 'WILLTOPIC' | 'WILLTOPICUPD'): BodyDecoder {
  return (body): BodyResult => {
    if (body.length === 0) return ok({ type, will: null });
    const flags = body.readUInt8(0);
    const qos = qosFromFlags(flags);
    if (qos === -1) return fail('bad_flags', `${type} asks for Will QoS −1 (flags ${hex2(flags)})`);
    const topicBytes = body.subarray(1);
    const topic = topicName(topicBytes, 'WillTopic');
    const will = (t: string): WillTopicFields => ({ qos, retain: (flags & FLAG_RETAIN) !== 0, topic: t });
    if (typeof topic !== 'string') return answerable(topic, { type, will: will(lossy(topicBytes)) });
    return ok({ type, will: will(topic) });
  };
}

/** WILLMSG / WILLMSGUPD: WillMsg(n), binary, possibly empty (§5.4.9, §5.4.23). */
function willMsg(type: 'WILLMSG' | 'WILLMSGUPD'): BodyDecoder {
  return (body) => ok({ type, willMsg: copy(body) });
}

export const sessionDecoders = {
  /** MQTT-SN 1.2 §5.4.1: GwId(1) Duration(2). */
  ADVERTISE: (body) =>
    exactSize(body, 3, 'ADVERTISE') ??
    ok({ type: 'ADVERTISE', gwId: body.readUInt8(0), duration: body.readUInt16BE(1) }),

  /** MQTT-SN 1.2 §5.4.2: Radius(1). */
  SEARCHGW: (body) => exactSize(body, 1, 'SEARCHGW') ?? ok({ type: 'SEARCHGW', radius: body.readUInt8(0) }),

  /** MQTT-SN 1.2 §5.4.3: GwId(1) [GwAdd(n)] — GwAdd only when a client sends it. */
  GWINFO: (body) => {
    const size = minSize(body, 1, 'GWINFO');
    if (size) return size;
    const gwId = body.readUInt8(0);
    return body.length === 1
      ? ok({ type: 'GWINFO', gwId })
      : ok({ type: 'GWINFO', gwId, gwAdd: copy(body.subarray(1)) });
  },

  /**
   * MQTT-SN 1.2 §5.4.4: Flags(1: Will, CleanSession) ProtocolId(1) Duration(2) ClientId(1–23). A
   * reserved ProtocolId (§5.3.8) is reported, not refused: the session answers it with
   * CONNACK 0x03 so the client learns why, instead of retrying into silence.
   */
  CONNECT: (body) => {
    const size = minSize(body, 4, 'CONNECT');
    if (size) return size;
    const flags = body.readUInt8(0);
    const idBytes = body.subarray(4);
    const id = clientId(idBytes);
    const packet = (c: string): InnerPacket => ({
      type: 'CONNECT',
      will: (flags & FLAG_WILL) !== 0,
      cleanSession: (flags & FLAG_CLEAN_SESSION) !== 0,
      protocolId: body.readUInt8(1),
      duration: body.readUInt16BE(2),
      clientId: c,
    });
    // An empty, over-long or non-UTF-8 ClientId: answerable with CONNACK 0x03 (§5.4.5).
    return typeof id === 'string' ? ok(packet(id)) : answerable(id, packet(lossy(idBytes)));
  },

  CONNACK: returnCodeOnly('CONNACK'),
  WILLTOPICREQ: headerOnly('WILLTOPICREQ'),
  WILLTOPIC: willTopic('WILLTOPIC'),
  WILLMSGREQ: headerOnly('WILLMSGREQ'),
  WILLMSG: willMsg('WILLMSG'),

  /** MQTT-SN 1.2 §5.4.19: [ClientId] — present only when a sleeping client wakes up. */
  PINGREQ: (body) => {
    if (body.length === 0) return ok({ type: 'PINGREQ' });
    const id = clientId(body);
    return typeof id === 'string' ? ok({ type: 'PINGREQ', clientId: id }) : id;
  },

  PINGRESP: headerOnly('PINGRESP'),

  /** MQTT-SN 1.2 §5.4.21: [Duration(2)] — present only when a client goes to sleep. */
  DISCONNECT: (body) => {
    if (body.length === 0) return ok({ type: 'DISCONNECT' });
    if (body.length === 2) return ok({ type: 'DISCONNECT', duration: body.readUInt16BE(0) });
    return fail('bad_size', `DISCONNECT has 0 or 2 octets after MsgType, got ${body.length}`);
  },

  WILLTOPICUPD: willTopic('WILLTOPICUPD'),
  WILLTOPICRESP: returnCodeOnly('WILLTOPICRESP'),
  WILLMSGUPD: willMsg('WILLMSGUPD'),
  WILLMSGRESP: returnCodeOnly('WILLMSGRESP'),
} satisfies Record<string, BodyDecoder>;
