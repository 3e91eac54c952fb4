// The client's own PUBLISHes (MQTT-SN 1.2 §6.7), the part the gateway's crash tests lean
// on: a QoS 1/2 message is kept until the gateway has acknowledged it. It is resent with
// DUP=1 every T_retry (§6.13); after a DISCONNECT from the gateway (§6.13: it does not know
// the client, e.g. it restarted), N_retry unanswered resends, or PUBACK 0x02 for a name the
// client registered (the registration is gone, §6.7), the client reconnects, re-registers
// and resends the SAME message — same MsgId, DUP=1. PUBACK 0x01 (congestion, §6.7) means
// wait and resend. Only one QoS 1/2 PUBLISH is outstanding (§6.5, §7): the client runs these
// one at a time from its queue.
import { ReturnCode } from '../../mqttsn/packet-types.ts';
import type { InnerPacket, PublishQos, PublishTopic } from '../../mqttsn/packet-types.ts';
import { MqttSnClientError, NO_MATCH } from './exchange.ts';
import type { Exchange, Outcome } from './exchange.ts';
import type { MqttSnClientStats } from './link.ts';

export interface OutboundMessage {
  /** The topic as given; for a name, resolved through the registration cache each attempt. */
  topic: PublishTopic | undefined;
  /** The topic name, when the client can (re-)register it. */
  name: string | undefined;
  payload: Buffer;
  qos: PublishQos;
  retain: boolean;
  /** 0x0000 for QoS 0 (§5.3.7); for QoS 1/2 taken just before the first send. */
  msgId: number;
  /** Sent at least once: every later send carries DUP=1. */
  sent: boolean;
}

/** What the client lends the publish flow. */
export interface PublishSession {
  readonly exchange: Exchange;
  readonly stats: MqttSnClientStats;
  readonly retryMs: number;
  readonly maxRetries: number;
  /** true once the session is active (reconnecting if needed); false when the gateway did not answer. */
  ensureSession(): Promise<boolean>;
  /** The session is gone: the next ensureSession() reconnects. */
  markLost(): void;
  /** The topic id of a name: cached, or registered now (§6.5). */
  topicIdOf(name: string): Promise<Outcome<number>>;
  /** Drops a cached registration the gateway no longer knows. */
  forgetTopic(name: string): void;
  nextMsgId(): number;
  send(p: InnerPacket): void;
}

type Ack = Extract<InnerPacket, { type: 'PUBACK' | 'PUBREC' }>;
type PublishPacket = Extract<InnerPacket, { type: 'PUBLISH' }>;

/** QoS 1/2: resolves with the PUBACK return code (0 after PUBCOMP for QoS 2). */
export async function deliver(s: PublishSession, m: OutboundMessage): Promise<number> {
  const lostSessions = counter(s, m);
  let congestion = 0;
  let reconnectedForTopic = false;
  let received = false; // QoS 2: PUBREC came, only PUBREL → PUBCOMP is left (§6.7)
  for (;;) {
    if (!(await s.ensureSession())) {
      lostSessions();
      continue;
    }
    if (!received) {
      const topic = await resolveTopic(s, m);
      if (topic.kind === 'lost') {
        lostSessions();
        continue;
      }
      const out = await publishOnce(s, m, topic.value);
      if (out.kind === 'lost') {
        lostSessions();
        continue;
      }
      const ack = out.value;
      if (ack.type === 'PUBREC') received = true;
      else if (ack.returnCode === ReturnCode.ACCEPTED) return ack.returnCode;
      else if (ack.returnCode === ReturnCode.REJECTED_CONGESTION && congestion++ < s.maxRetries) {
        await s.exchange.pause(s.retryMs); // §6.7: stop publishing for T_WAIT, then resend
        continue;
      } else if (
        ack.returnCode === ReturnCode.REJECTED_INVALID_TOPIC_ID &&
        m.name !== undefined &&
        !reconnectedForTopic
      ) {
        reconnectedForTopic = true; // once: a second 0x02 would not be cured by another
        s.forgetTopic(m.name);
        s.markLost();
        continue;
      } else return ack.returnCode;
    }
    const msgId = m.msgId;
    const out = await s.exchange.run({
      packet: { type: 'PUBREL', msgId },
      match: (p) => (p.type === 'PUBCOMP' && p.msgId === msgId ? true : NO_MATCH),
    });
    if (out.kind === 'reply') return ReturnCode.ACCEPTED;
    lostSessions();
  }
}

/** QoS 0 to a name not registered yet (or while the session is down): register, send, done. */
export async function sendUnacknowledged(s: PublishSession, m: OutboundMessage): Promise<number> {
  const lostSessions = counter(s, m);
  for (;;) {
    if (await s.ensureSession()) {
      const topic = await resolveTopic(s, m);
      if (topic.kind === 'reply') {
        s.send(publishPacket(m, topic.value));
        return ReturnCode.ACCEPTED;
      }
    }
    lostSessions();
  }
}

/** The PUBLISH of `m` to `topic` (DUP=1 once sent, §5.3.4). */
export function publishPacket(m: OutboundMessage, topic: PublishTopic): PublishPacket {
  return {
    type: 'PUBLISH',
    dup: m.sent,
    qos: m.qos,
    retain: m.retain,
    topic,
    msgId: m.msgId,
    payload: m.payload,
  };
}

function publishOnce(s: PublishSession, m: OutboundMessage, topic: PublishTopic): Promise<Outcome<Ack>> {
  if (m.sent) s.stats.resends++;
  else m.msgId = s.nextMsgId(); // after a REGISTER, so MsgIds go out in increasing order
  const packet = publishPacket(m, topic);
  m.sent = true;
  const msgId = m.msgId;
  const qos2 = m.qos === 2;
  return s.exchange.run<Ack>({
    packet,
    resend: { ...packet, dup: true },
    match: (p) =>
      (p.type === 'PUBACK' || (qos2 && p.type === 'PUBREC')) && p.msgId === msgId ? p : NO_MATCH,
  });
}

async function resolveTopic(s: PublishSession, m: OutboundMessage): Promise<Outcome<PublishTopic>> {
  if (m.name === undefined) {
    if (m.topic === undefined) throw new MqttSnClientError('invalid', 'PUBLISH without a topic');
    return { kind: 'reply', value: m.topic };
  }
  const id = await s.topicIdOf(m.name);
  return id.kind === 'lost' ? id : { kind: 'reply', value: { kind: 'normal', id: id.value } };
}

/** Marks the session lost and fails the message after N_retry lost sessions in a row. */
function counter(s: PublishSession, m: OutboundMessage): () => void {
  let lost = 0;
  return () => {
    s.markLost();
    if (++lost > s.maxRetries)
      throw new MqttSnClientError(
        'timeout',
        `PUBLISH MsgId ${m.msgId}: no answer from the gateway after ${lost} attempts to reach it`,
      );
  };
}
