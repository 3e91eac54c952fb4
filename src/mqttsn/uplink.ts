// From the device to the broker: REGISTER (§6.5), PUBLISH at QoS −1/0/1/2 (§6.6–6.8) and
// PUBREL (§6.7). docs/contract.md §4.2: a QoS 1/2 PUBLISH from a device is acknowledged only
// after it is durably queued. A retransmission (DUP = 1) whose MsgId and content were
// already queued — before a gateway crash too: the marks are committed with the message,
// like a line's `#seq` (docs/contract.md §4.1) — is acknowledged again, not queued twice.
import { hashBody } from '../line/seq-window.ts';
import type { OutMessage, SeqMark } from '../pipeline/message.ts';
import { ClientSession } from './client-state.ts';
import { assignTopicId, drop, send } from './context.ts';
import type { SnContext } from './context.ts';
import { confineName } from './device-topics.ts';
import { refusePublish } from './publish-rules.ts';
import { topicIdField } from './wire.ts';
import { ReturnCode } from './packet-types.ts';
import type { PacketOf, PublishTopic, ReturnCodeValue } from './packet-types.ts';
import { errorMessage } from '../errors.ts';

/** §6.5: REGISTER from the client; the gateway assigns the id (REGACK). */
export function onRegister(ctx: SnContext, client: ClientSession, p: PacketOf<'REGISTER'>): void {
  const confined = confineName(ctx.settings.prefix, p.topicName);
  const reply = (topicId: number, returnCode: ReturnCodeValue): void =>
    send(ctx, client.address, { type: 'REGACK', topicId, msgId: p.msgId, returnCode });
  if (!confined.ok) {
    drop(ctx, 'topic_refused', `REGISTER "${p.topicName.slice(0, 80)}": ${confined.reason}`, client.address);
    return reply(0, ReturnCode.REJECTED_NOT_SUPPORTED);
  }
  const id = assignTopicId(ctx, client, p.topicName);
  if (id === undefined) return reply(0, ReturnCode.REJECTED_NOT_SUPPORTED);
  reply(id, ReturnCode.ACCEPTED);
}

/** The device-relative name a PUBLISH's topic stands for, or undefined (§6.6: PUBACK 0x02). */
export function nameOf(
  ctx: SnContext,
  client: ClientSession | undefined,
  topic: PublishTopic,
): string | undefined {
  if (topic.kind === 'short') return topic.name;
  if (topic.kind === 'predefined') return ctx.settings.predefined.get(topic.id);
  return client?.topics.nameOf(topic.id);
}

export function onPublish(ctx: SnContext, address: string, p: PacketOf<'PUBLISH'>): void {
  const client = ctx.clients.get(address);
  const connected = client !== undefined && (client.state === 'active' || client.state === 'awake');
  // §6.8: QoS −1 needs no connection (predefined ids and short names only: the codec checks).
  if (p.qos !== -1 && !connected) {
    // §6.14 (as Paho does): a known client that is not connected is told to reconnect.
    // After a gateway restart every client is unknown here: it reconnects and resends.
    send(ctx, address, { type: 'DISCONNECT' });
    return drop(ctx, 'not_connected', `PUBLISH QoS ${p.qos} without a connection`, address);
  }
  const ack = (returnCode: ReturnCodeValue): void =>
    send(ctx, address, { type: 'PUBACK', topicId: topicIdField(p.topic), msgId: p.msgId, returnCode });
  const name = nameOf(ctx, client, p.topic);
  if (name === undefined) {
    drop(ctx, 'invalid_topic_id', `${p.topic.kind} topic id ${topicIdField(p.topic)}`, address);
    // §6.6: "regardless of QoS" — except QoS −1, which has no one to answer.
    if (p.qos !== -1) ack(ReturnCode.REJECTED_INVALID_TOPIC_ID);
    return;
  }
  const refusal = refusePublish(ctx, name, p.payload);
  if (refusal !== null) {
    drop(ctx, refusal.reason, refusal.detail, address);
    if (p.qos !== -1) ack(ReturnCode.REJECTED_NOT_SUPPORTED);
    return;
  }
  const message: OutMessage = {
    port: ctx.settings.port,
    topic: `${ctx.settings.prefix}/${name}`,
    payload: p.payload,
    qos: p.qos === -1 ? 0 : p.qos,
    retain: p.retain,
    createdAt: ctx.env.now(),
  };
  if (p.qos <= 0) {
    void queue(ctx, [message], address);
    return;
  }
  const c = client as ClientSession; // connected, checked above
  // A resend arriving while the first copy is still being queued waits for it, so it is
  // recognised as a duplicate rather than queued twice (as ports/line-outcomes.ts does for `#seq`).
  const prior = c.pendingUplink.get(p.msgId);
  const run = (prior ?? Promise.resolve()).then(() => publishOnce(ctx, c, p, message, name));
  const tracked = run.finally(() => {
    if (c.pendingUplink.get(p.msgId) === tracked) c.pendingUplink.delete(p.msgId);
  });
  c.pendingUplink.set(p.msgId, tracked);
}

async function publishOnce(
  ctx: SnContext,
  c: ClientSession,
  p: PacketOf<'PUBLISH'>,
  message: OutMessage,
  name: string,
): Promise<void> {
  const hash = hashBody(`${name}\u0000${p.payload.toString('latin1')}`);
  // A retransmission says so (DUP, §5.3.4); a QoS 2 MsgId still waiting for PUBREL cannot
  // be reused yet (§6.7), so a copy of it is a retransmission whatever its flag says.
  // MsgId 0 is not a QoS 1/2 id (§5.3.7): nothing to recognise a retransmission by.
  const maybeResent = p.dup || c.awaitingRel.has(p.msgId);
  if (p.msgId !== 0 && maybeResent && c.dedupe.check(p.msgId, hash) === 'duplicate') {
    ctx.counters.duplicates += 1;
    return acknowledge(ctx, c, p);
  }
  const mark: SeqMark | undefined =
    p.msgId === 0
      ? undefined
      : {
          port: ClientSession.markKey(ctx.settings.port, c.clientId),
          seq: p.msgId,
          hash,
          // Devices choose ClientIds: the port's keys are bounded (seq-marks.ts).
          keysInScope: ctx.settings.spec.max_dedup_clients,
        };
  const queued = await queue(ctx, [message], c.address, mark);
  if (queued === 'full')
    return send(ctx, c.address, {
      type: 'PUBACK',
      topicId: topicIdField(p.topic),
      msgId: p.msgId,
      returnCode: ReturnCode.REJECTED_CONGESTION, // §6.6: the client waits T_WAIT and resends
    });
  if (queued === 'failed') return; // no answer: the device resends after T_retry
  if (mark !== undefined) c.dedupe.commit(mark.seq, mark.hash);
  acknowledge(ctx, c, p);
}

/** §6.7: the client releases a QoS 2 message the gateway PUBRECed. Idempotent. */
export function onPubRel(ctx: SnContext, client: ClientSession, p: PacketOf<'PUBREL'>): void {
  client.awaitingRel.delete(p.msgId);
  send(ctx, client.address, { type: 'PUBCOMP', msgId: p.msgId });
}

function acknowledge(ctx: SnContext, client: ClientSession, p: PacketOf<'PUBLISH'>): void {
  if (p.qos === 2) {
    client.awaitingRel.add(p.msgId);
    send(ctx, client.address, { type: 'PUBREC', msgId: p.msgId });
  } else
    send(ctx, client.address, {
      type: 'PUBACK',
      topicId: topicIdField(p.topic),
      msgId: p.msgId,
      returnCode: ReturnCode.ACCEPTED,
    });
}

async function queue(
  ctx: SnContext,
  messages: OutMessage[],
  address: string,
  mark?: SeqMark,
): Promise<'queued' | 'full' | 'failed'> {
  try {
    const result = await ctx.env.queue(messages, mark);
    if (result.status === 'full') {
      drop(ctx, 'queue_full', 'queue is full (when_full: reject_new)', address);
      return 'full';
    }
    ctx.counters.published += messages.length;
    return 'queued';
  } catch (error) {
    drop(ctx, 'queue_full', `queue storage failed: ${errorMessage(error)}`, address);
    return 'failed';
  }
}
