// What the simulated MQTT-SN client does with messages the gateway starts: REGISTER
// (MQTT-SN 1.2 §6.10), PUBLISH at QoS 0/1/2 (§6.7) and the PUBREL of a QoS 2 delivery.
// These are answered at once and never supervised: the gateway retries, the client repeats
// its answer. Bounded: the duplicate-detection sets keep a fixed number of MsgIds.
import { ReturnCode } from '../../mqttsn/packet-types.ts';
import type { InnerPacket, PublishQos, PublishTopic } from '../../mqttsn/packet-types.ts';
import { topicIdField } from '../../mqttsn/wire.ts';

export interface MqttSnMessage {
  topic: string;
  payload: Buffer;
  qos: PublishQos;
  retain: boolean;
  dup: boolean;
  msgId: number;
}

export interface InboundOptions {
  send: (p: InnerPacket) => void;
  /** Pre-defined topic ids known to both sides (§6.9). */
  predefined?: Record<number, string> | undefined;
  /** true: answer the gateway's REGISTER of this name with REGACK 0x03 (for tests). */
  rejectRegister?: ((name: string) => boolean) | undefined;
  onMessage?: ((m: MqttSnMessage) => void) | undefined;
}

/** MsgIds remembered for duplicate detection, per QoS. */
const REMEMBERED_MSG_IDS = 64;

export class InboundDelivery {
  /** Normal topic ids of this session (§7.3: one table per client), both directions. */
  readonly topics = new Map<number, string>();
  readonly #options: InboundOptions;
  /** QoS 2 MsgIds delivered and awaiting PUBREL (§6.7: deliver once). */
  readonly #awaitingRelease = new Set<number>();
  /** Recent QoS 1 MsgIds: a DUP resend of one of them is acknowledged, not delivered again. */
  readonly #recentQos1 = new Set<number>();

  constructor(options: InboundOptions) {
    this.#options = options;
  }

  /** A new session without state (CleanSession=1, §6.3): forget topic ids and MsgIds. */
  clear(): void {
    this.topics.clear();
    this.#awaitingRelease.clear();
    this.#recentQos1.clear();
  }

  /** Handles REGISTER, PUBLISH and PUBREL; false for any other packet. */
  handle(p: InnerPacket): boolean {
    switch (p.type) {
      case 'REGISTER':
        this.#register(p.topicId, p.msgId, p.topicName);
        return true;
      case 'PUBLISH':
        this.#publish(p);
        return true;
      case 'PUBREL':
        // §6.7: PUBCOMP ends the exchange; an unknown MsgId (a repeat) gets one as well.
        this.#awaitingRelease.delete(p.msgId);
        this.#options.send({ type: 'PUBCOMP', msgId: p.msgId });
        return true;
      default:
        return false;
    }
  }

  /** §6.10: the gateway names a topic id before its first PUBLISH on it (wildcard matches). */
  #register(topicId: number, msgId: number, name: string): void {
    const reject = this.#options.rejectRegister?.(name) ?? false;
    if (!reject) this.topics.set(topicId, name);
    const returnCode = reject ? ReturnCode.REJECTED_NOT_SUPPORTED : ReturnCode.ACCEPTED;
    this.#options.send({ type: 'REGACK', topicId, msgId, returnCode });
  }

  #publish(p: Extract<InnerPacket, { type: 'PUBLISH' }>): void {
    const { send, onMessage } = this.#options;
    const topic = this.#topicName(p.topic);
    if (topic === undefined) {
      // §6.7 (as for the gateway): an unknown topic id is answered PUBACK 0x02 whatever the QoS.
      const returnCode = ReturnCode.REJECTED_INVALID_TOPIC_ID;
      send({ type: 'PUBACK', topicId: topicIdField(p.topic), msgId: p.msgId, returnCode });
      return;
    }
    const message: MqttSnMessage = {
      topic,
      payload: p.payload,
      qos: p.qos,
      retain: p.retain,
      dup: p.dup,
      msgId: p.msgId,
    };
    if (p.qos === 2) {
      if (!this.#awaitingRelease.has(p.msgId)) {
        remember(this.#awaitingRelease, p.msgId);
        onMessage?.(message);
      }
      send({ type: 'PUBREC', msgId: p.msgId });
      return;
    }
    if (p.qos === 1) {
      if (!(p.dup && this.#recentQos1.has(p.msgId))) onMessage?.(message);
      remember(this.#recentQos1, p.msgId);
      send({
        type: 'PUBACK',
        topicId: topicIdField(p.topic),
        msgId: p.msgId,
        returnCode: ReturnCode.ACCEPTED,
      });
      return;
    }
    onMessage?.(message);
  }

  #topicName(topic: PublishTopic): string | undefined {
    switch (topic.kind) {
      case 'normal':
        return this.topics.get(topic.id);
      case 'predefined':
        return this.#options.predefined?.[topic.id];
      case 'short':
        return topic.name;
    }
  }
}

/** Adds `id` as the newest entry, dropping the oldest beyond the bound. */
function remember(set: Set<number>, id: number): void {
  set.delete(id);
  set.add(id);
  if (set.size > REMEMBERED_MSG_IDS) {
    const oldest = set.values().next();
    if (oldest.done !== true) set.delete(oldest.value);
  }
}
