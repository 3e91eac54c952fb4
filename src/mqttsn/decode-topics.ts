// Body decoders for topic registration, publishing and subscriptions (MQTT-SN 1.2
// §5.4.10–§5.4.18). Each gets the octets after MsgType.
import { ReturnCode, TopicIdType } from './packet-types.ts';
import type { DecodeFailure, InnerPacket, PublishTopic, SubscribeTopic } from './packet-types.ts';
import type { BodyDecoder } from './decode-fields.ts';
import {
  answerable,
  copy,
  exactSize,
  fail,
  hex2,
  lossy,
  minSize,
  ok,
  realTopicId,
  reservedTopicId,
  returnCode,
  shortName,
  topicName,
} from './decode-fields.ts';
import { FLAG_DUP, FLAG_RETAIN, TOPIC_ID_TYPE_MASK, qosFromFlags } from './wire.ts';

/** PUBCOMP, PUBREC, PUBREL, UNSUBACK: MsgId(2) (§5.4.14, §5.4.18). */
function msgIdOnly(type: 'PUBCOMP' | 'PUBREC' | 'PUBREL' | 'UNSUBACK'): BodyDecoder {
  return (body) => exactSize(body, 2, type) ?? ok({ type, msgId: body.readUInt16BE(0) });
}

/** MQTT-SN 1.2 §5.3.4, Table 4: TopicIdType 0b11 is reserved. */
function reservedTopicIdType(flags: number, where: string): DecodeFailure {
  return fail('bad_flags', `${where} has the reserved TopicIdType 0b11 (flags ${hex2(flags)})`);
}

/** The 2-octet TopicId field of a PUBLISH, read as its TopicIdType says (§5.4.12). */
function publishTopic(flags: number, field: Buffer): PublishTopic | DecodeFailure {
  switch (flags & TOPIC_ID_TYPE_MASK) {
    case TopicIdType.SHORT_NAME: {
      const name = shortName(field);
      return typeof name === 'string' ? { kind: 'short', name } : name;
    }
    case TopicIdType.NORMAL:
    case TopicIdType.PREDEFINED: {
      const id = field.readUInt16BE(0);
      const kind = (flags & TOPIC_ID_TYPE_MASK) === TopicIdType.NORMAL ? 'normal' : 'predefined';
      return realTopicId(id, `PUBLISH (${kind} topic id)`) ?? { kind, id };
    }
    default:
      return reservedTopicIdType(flags, 'PUBLISH');
  }
}

/**
 * A SUBSCRIBE or UNSUBSCRIBE topic that failed only for its text (not UTF-8, empty): the
 * failure and the topic as read, so the message can still be answered (answerable()).
 */
interface BadTopicText {
  failure: DecodeFailure;
  topic: SubscribeTopic;
}

/** The TopicName / TopicId / short name that ends a SUBSCRIBE or UNSUBSCRIBE (§5.4.15). */
function subscribeTopic(
  flags: number,
  rest: Buffer,
  where: string,
): SubscribeTopic | DecodeFailure | BadTopicText {
  switch (flags & TOPIC_ID_TYPE_MASK) {
    case TopicIdType.NORMAL: {
      const name = topicName(rest, `${where} TopicName`);
      return typeof name === 'string'
        ? { kind: 'name', name }
        : { failure: name, topic: { kind: 'name', name: lossy(rest) } };
    }
    case TopicIdType.PREDEFINED: {
      if (rest.length !== 2) return fail('bad_size', `${where} TopicId is 2 octets, got ${rest.length}`);
      const id = rest.readUInt16BE(0);
      return realTopicId(id, `${where} (predefined topic id)`) ?? { kind: 'predefined', id };
    }
    case TopicIdType.SHORT_NAME: {
      const name = shortName(rest);
      if (typeof name === 'string') return { kind: 'short', name };
      return name.reason === 'bad_utf8'
        ? { failure: name, topic: { kind: 'short', name: lossy(rest) } }
        : name;
    }
    default:
      return reservedTopicIdType(flags, where);
  }
}

export const topicDecoders = {
  /**
   * MQTT-SN 1.2 §5.4.10: TopicId(2) MsgId(2) TopicName(n). A client codes TopicId 0x0000 ("not
   * relevant"), a gateway the id it assigned, so only 0xFFFF is refused here (§5.3.11).
   */
  REGISTER: (body) => {
    const size = minSize(body, 4, 'REGISTER');
    if (size) return size;
    const topicId = body.readUInt16BE(0);
    if (topicId === 0xffff) return reservedTopicId(topicId, 'REGISTER');
    const nameBytes = body.subarray(4);
    const name = topicName(nameBytes, 'REGISTER TopicName');
    const msgId = body.readUInt16BE(2);
    if (typeof name !== 'string')
      return answerable(name, { type: 'REGISTER', topicId, msgId, topicName: lossy(nameBytes) });
    return ok({ type: 'REGISTER', topicId, msgId, topicName: name });
  },

  /**
   * MQTT-SN 1.2 §5.4.11: TopicId(2) MsgId(2) ReturnCode(1). An accepted REGACK hands out an id, which
   * must be a real one (§5.3.11). A rejection has no id to give: the spec does not say what
   * TopicId it carries (Paho's gateway sends 0x0000), so any value is accepted then.
   */
  REGACK: (body) => {
    const size = exactSize(body, 5, 'REGACK');
    if (size) return size;
    const topicId = body.readUInt16BE(0);
    const code = returnCode(body.readUInt8(4), 'REGACK');
    if (typeof code !== 'number') return code;
    if (code === ReturnCode.ACCEPTED) {
      const reserved = realTopicId(topicId, 'an accepted REGACK');
      if (reserved) return reserved;
    }
    return ok({ type: 'REGACK', topicId, msgId: body.readUInt16BE(2), returnCode: code });
  },

  /**
   * MQTT-SN 1.2 §5.4.12: Flags(1) TopicId(2) MsgId(2) Data(n). QoS −1 is only defined with a
   * predefined topic id or a short topic name (§6.8); Paho's non-standard QoS −1 form with
   * TopicIdType 0b00 (TopicId = name length, name after MsgId) is refused, not misread.
   * MsgId is kept as sent even where the spec says it is coded 0x0000 (QoS 0 and −1).
   */
  PUBLISH: (body) => {
    const size = minSize(body, 5, 'PUBLISH');
    if (size) return size;
    const flags = body.readUInt8(0);
    const qos = qosFromFlags(flags);
    if (qos === -1 && (flags & TOPIC_ID_TYPE_MASK) === TopicIdType.NORMAL)
      return fail(
        'bad_flags',
        'PUBLISH QoS −1 needs a predefined topic id or a short name (MQTT-SN 1.2 §6.8)',
      );
    const field = body.subarray(1, 3);
    const topic = publishTopic(flags, field);
    const packet = (t: PublishTopic): InnerPacket => ({
      type: 'PUBLISH',
      dup: (flags & FLAG_DUP) !== 0,
      qos,
      retain: (flags & FLAG_RETAIN) !== 0,
      topic: t,
      msgId: body.readUInt16BE(3),
      payload: copy(body.subarray(5)),
    });
    if (!('ok' in topic)) return ok(packet(topic));
    // A short name that is not UTF-8 (§5.3.4): the PUBLISH is answerable (PUBACK 0x03).
    return topic.reason === 'bad_utf8'
      ? answerable(topic, packet({ kind: 'short', name: lossy(field) }))
      : topic;
  },

  /**
   * MQTT-SN 1.2 §5.4.13: TopicId(2) MsgId(2) ReturnCode(1). The TopicId echoes the PUBLISH's field,
   * which for a short name is two characters and after a rejection may be any value the
   * client sent, so it is not checked; a PUBACK is matched by its MsgId.
   */
  PUBACK: (body) => {
    const size = exactSize(body, 5, 'PUBACK');
    if (size) return size;
    const code = returnCode(body.readUInt8(4), 'PUBACK');
    if (typeof code !== 'number') return code;
    return ok({
      type: 'PUBACK',
      topicId: body.readUInt16BE(0),
      msgId: body.readUInt16BE(2),
      returnCode: code,
    });
  },

  PUBCOMP: msgIdOnly('PUBCOMP'),
  PUBREC: msgIdOnly('PUBREC'),
  PUBREL: msgIdOnly('PUBREL'),

  /**
   * MQTT-SN 1.2 §5.4.15: Flags(1: DUP, QoS, TopicIdType) MsgId(2) then TopicName(n), TopicId(2) or a
   * short name(2). The QoS is the one requested; −1 cannot be subscribed to (§6.8).
   */
  SUBSCRIBE: (body) => {
    const size = minSize(body, 3, 'SUBSCRIBE');
    if (size) return size;
    const flags = body.readUInt8(0);
    const qos = qosFromFlags(flags);
    if (qos === -1) return fail('bad_flags', `SUBSCRIBE asks for QoS −1 (flags ${hex2(flags)})`);
    const topic = subscribeTopic(flags, body.subarray(3), 'SUBSCRIBE');
    if ('ok' in topic) return topic;
    const packet = (t: SubscribeTopic): InnerPacket => ({
      type: 'SUBSCRIBE',
      dup: (flags & FLAG_DUP) !== 0,
      qos,
      msgId: body.readUInt16BE(1),
      topic: t,
    });
    return 'failure' in topic ? answerable(topic.failure, packet(topic.topic)) : ok(packet(topic));
  },

  /**
   * MQTT-SN 1.2 §5.4.16: Flags(1: granted QoS) TopicId(2) MsgId(2) ReturnCode(1). TopicId is 0x0000 for
   * a wildcard or short name subscription, so only 0xFFFF is refused, and only when accepted.
   */
  SUBACK: (body) => {
    const size = exactSize(body, 6, 'SUBACK');
    if (size) return size;
    const flags = body.readUInt8(0);
    const qos = qosFromFlags(flags);
    if (qos === -1) return fail('bad_flags', `SUBACK grants QoS −1 (flags ${hex2(flags)})`);
    const topicId = body.readUInt16BE(1);
    const code = returnCode(body.readUInt8(5), 'SUBACK');
    if (typeof code !== 'number') return code;
    if (code === ReturnCode.ACCEPTED && topicId === 0xffff)
      return reservedTopicId(topicId, 'an accepted SUBACK');
    return ok({ type: 'SUBACK', qos, topicId, msgId: body.readUInt16BE(3), returnCode: code });
  },

  /** MQTT-SN 1.2 §5.4.17: Flags(1: TopicIdType only) MsgId(2) then the topic, as in SUBSCRIBE. */
  UNSUBSCRIBE: (body) => {
    const size = minSize(body, 3, 'UNSUBSCRIBE');
    if (size) return size;
    const flags = body.readUInt8(0);
    const topic = subscribeTopic(flags, body.subarray(3), 'UNSUBSCRIBE');
    if ('ok' in topic) return topic;
    const msgId = body.readUInt16BE(1);
    return 'failure' in topic
      ? answerable(topic.failure, { type: 'UNSUBSCRIBE', msgId, topic: topic.topic })
      : ok({ type: 'UNSUBSCRIBE', msgId, topic });
  },

  UNSUBACK: msgIdOnly('UNSUBACK'),
} satisfies Record<string, BodyDecoder>;
