// From the broker to the devices (MQTT-SN 1.2 §6.10, §6.13, §6.14): a message matching a
// client's subscription is queued for that client; one exchange at a time goes out —
// REGISTER for a topic the client does not know yet (waiting for its REGACK), then the
// PUBLISH (waiting for PUBACK, or PUBREC → PUBREL → PUBCOMP). Unanswered exchanges are
// retried with DUP every T_retry, N_retry times. For a sleeping client messages are kept
// (bounded: `sleep_buffer`, oldest dropped) and sent when it wakes, then PINGRESP.
import { printable } from '../log/detail.ts';
import { topicMatches } from '../topics/filter.ts';
import type { ClientSession, Delivery } from './client-state.ts';
import { drop, send, setState } from './context.ts';
import type { SnContext } from './context.ts';
import { relativeName } from './device-topics.ts';
import { deliveryOctets, publishOctets, registerOctets } from './downlink-size.ts';
import { ReturnCode } from './packet-types.ts';
import type { PacketOf, PublishTopic, Qos } from './packet-types.ts';

/** A message from the broker: hand it to every client whose subscription matches. */
export function deliver(ctx: SnContext, topic: string, payload: Buffer, qos: Qos, retain: boolean): void {
  const name = relativeName(ctx.settings.prefix, topic);
  if (name === null) return;
  for (const client of ctx.clients.values()) {
    let best: Qos | -1 = -1;
    let via: Delivery['topic'];
    for (const sub of client.subscriptions.values()) {
      if (!topicMatches(sub.filter, topic) || sub.qos <= best) continue;
      best = sub.qos;
      if (sub.topic.kind === 'predefined') via = { kind: 'predefined', id: sub.topic.id };
      else if (sub.topic.kind === 'short') via = { kind: 'short', name: sub.topic.name };
      else via = undefined;
    }
    if (best === -1) continue;
    const delivery: Delivery = { name, payload, qos: Math.min(best, qos) as Qos, retain };
    if (via !== undefined) delivery.topic = via;
    const tooLarge = exceedsMaxPacket(ctx, client, delivery);
    if (tooLarge !== null) {
      drop(ctx, 'delivery_too_large', tooLarge, client.address);
      continue;
    }
    enqueue(ctx, client, delivery);
  }
}

/**
 * Why no packet within `max_packet` can carry the delivery to this client, or null: its
 * PUBLISH, or the REGISTER its topic needs first when neither a predefined id nor a short
 * name stands for it (§6.10). Checked on arrival, so it is never buffered nor retried.
 */
function exceedsMaxPacket(ctx: SnContext, client: ClientSession, d: Delivery): string | null {
  const max = ctx.settings.spec.max_packet;
  const publish = publishOctets(client.address, d.payload.length);
  if (publish > max) return `${d.name}: a PUBLISH of ${publish} octets exceeds max_packet ${max}`;
  if (d.topic !== undefined || ctx.settings.predefinedIds.has(d.name)) return null;
  const register = registerOctets(client.address, d.name);
  return register > max ? `${d.name}: a REGISTER of ${register} octets exceeds max_packet ${max}` : null;
}

function enqueue(ctx: SnContext, client: ClientSession, delivery: Delivery): void {
  // §6.14: only clients that are connected or asleep have messages kept for them.
  if (client.state === 'disconnected' || client.state === 'lost')
    return drop(
      ctx,
      'delivery_dropped',
      `${delivery.name} to a client that is ${client.state}`,
      client.address,
    );
  const limit = Math.max(1, ctx.settings.spec.sleep_buffer);
  if (client.downlink.length >= limit) dropOldest(ctx, client);
  // In octets too: sleep_buffer messages of up to max_packet each can be many megabytes.
  const maxBytes = ctx.settings.spec.sleep_buffer_bytes;
  let held = client.downlink.reduce((n, d) => n + deliveryOctets(d), 0);
  while (client.downlink.length > 0 && held + deliveryOctets(delivery) > maxBytes)
    held -= deliveryOctets(dropOldest(ctx, client));
  client.downlink.push(delivery);
  pumpDownlink(ctx, client);
}

/**
 * The oldest message still waiting goes. The one in flight (always downlink[0]: the
 * acknowledgement handlers shift it off) goes only when it is all there is, and then the
 * exchange is abandoned with it — else its PUBACK would shift off another message.
 */
function dropOldest(ctx: SnContext, client: ClientSession): Delivery {
  const inFlight = client.outstanding?.delivery;
  const at = client.downlink[0] === inFlight && client.downlink.length > 1 ? 1 : 0;
  const [dropped] = client.downlink.splice(at, 1);
  if (dropped === inFlight) client.outstanding = null;
  drop(ctx, 'sleep_buffer_full', `oldest message for ${printable(client.clientId)} dropped`, client.address);
  return dropped as Delivery;
}

/** Sends what can go now; for an Awake client with nothing left, PINGRESP and back to sleep. */
export function pumpDownlink(ctx: SnContext, client: ClientSession): void {
  if (client.state !== 'active' && client.state !== 'awake') return;
  while (client.outstanding === null) {
    const next = client.downlink[0];
    if (next === undefined) break;
    const topic = next.topic ?? topicFor(ctx, client, next.name);
    if (topic === undefined) {
      startRegister(ctx, client, next);
      return;
    }
    next.topic = topic;
    if (next.qos === 0) {
      client.downlink.shift();
      publish(ctx, client, next, 0, false);
      ctx.counters.delivered += 1;
      continue;
    }
    const msgId = client.takeMsgId();
    client.outstanding = { kind: 'publish', msgId, delivery: next, sentAt: ctx.env.now(), tries: 1 };
    publish(ctx, client, next, msgId, false);
  }
  if (client.state === 'awake' && client.outstanding === null && client.downlink.length === 0) {
    send(ctx, client.address, { type: 'PINGRESP' });
    client.asleepSince = ctx.env.now();
    setState(ctx, client, 'asleep');
  }
}

/** The topic form the client can read now: predefined id, short name, or a known normal id. */
function topicFor(ctx: SnContext, client: ClientSession, name: string): PublishTopic | undefined {
  const predefined = ctx.settings.predefinedIds.get(name);
  if (predefined !== undefined) return { kind: 'predefined', id: predefined };
  const id = client.topics.idOf(name);
  return id !== undefined && client.knownIds.has(id) ? { kind: 'normal', id } : undefined;
}

function startRegister(ctx: SnContext, client: ClientSession, delivery: Delivery): void {
  const topicId = client.topics.assign(delivery.name);
  if (topicId === undefined) {
    client.downlink.shift();
    drop(ctx, 'delivery_dropped', `topic table full for ${delivery.name}`, client.address);
    return pumpDownlink(ctx, client);
  }
  const msgId = client.takeMsgId();
  client.outstanding = { kind: 'register', msgId, delivery, sentAt: ctx.env.now(), tries: 1 };
  send(ctx, client.address, { type: 'REGISTER', topicId, msgId, topicName: delivery.name });
}

function publish(ctx: SnContext, client: ClientSession, d: Delivery, msgId: number, dup: boolean): void {
  send(ctx, client.address, {
    type: 'PUBLISH',
    dup,
    qos: d.qos,
    retain: d.retain,
    topic: d.topic as PublishTopic,
    msgId,
    payload: d.payload,
  });
}

/** §6.10: the client's answer to the gateway's REGISTER. */
export function onRegAck(ctx: SnContext, client: ClientSession, p: PacketOf<'REGACK'>): void {
  const o = client.outstanding;
  if (o === null || o.kind !== 'register' || o.msgId !== p.msgId) return;
  client.outstanding = null;
  if (p.returnCode === ReturnCode.ACCEPTED) {
    client.knownIds.add(p.topicId);
    o.delivery.topic = { kind: 'normal', id: p.topicId };
  } else {
    // §6.10: a rejected REGISTER drops this delivery (and acts as an unsubscribe there).
    client.downlink.shift();
    client.topics.forget(p.topicId);
    drop(ctx, 'delivery_failed', `${o.delivery.name}: REGACK 0x${p.returnCode.toString(16)}`, client.address);
  }
  pumpDownlink(ctx, client);
}

/** PUBACK for the gateway's QoS 1 PUBLISH (or an error for any QoS, §5.4.13). */
export function onPubAck(ctx: SnContext, client: ClientSession, p: PacketOf<'PUBACK'>): void {
  const o = client.outstanding;
  if (o === null || o.kind !== 'publish' || o.msgId !== p.msgId) {
    // An error PUBACK for a QoS 0 PUBLISH: the client does not know that id (§6.10).
    if (p.returnCode === ReturnCode.REJECTED_INVALID_TOPIC_ID) forgetId(client, p.topicId);
    return;
  }
  if (p.returnCode === ReturnCode.REJECTED_CONGESTION && o.tries <= ctx.settings.spec.retries) {
    // §6.6: congestion — wait (T_retry here) and send the same message again (DUP).
    o.sentAt = ctx.env.now();
    return;
  }
  client.outstanding = null;
  // §6.10: the client lost the id; the mapping goes even when this message is given up.
  if (p.returnCode === ReturnCode.REJECTED_INVALID_TOPIC_ID) forgetId(client, p.topicId);
  if (p.returnCode === ReturnCode.ACCEPTED) {
    client.downlink.shift();
    ctx.counters.delivered += 1;
  } else if (p.returnCode === ReturnCode.REJECTED_INVALID_TOPIC_ID && o.tries < 2) {
    // Register again and resend once.
    delete o.delivery.topic;
  } else {
    client.downlink.shift();
    drop(ctx, 'delivery_failed', `${o.delivery.name}: PUBACK 0x${p.returnCode.toString(16)}`, client.address);
  }
  pumpDownlink(ctx, client);
}

export function onPubRec(ctx: SnContext, client: ClientSession, p: PacketOf<'PUBREC'>): void {
  const o = client.outstanding;
  if (o === null || o.msgId !== p.msgId || (o.kind !== 'publish' && o.kind !== 'pubrel')) return;
  o.kind = 'pubrel';
  o.sentAt = ctx.env.now();
  o.tries = 1;
  send(ctx, client.address, { type: 'PUBREL', msgId: p.msgId });
}

export function onPubComp(ctx: SnContext, client: ClientSession, p: PacketOf<'PUBCOMP'>): void {
  const o = client.outstanding;
  if (o === null || o.kind !== 'pubrel' || o.msgId !== p.msgId) return;
  client.outstanding = null;
  client.downlink.shift();
  ctx.counters.delivered += 1;
  pumpDownlink(ctx, client);
}

/** §6.13: T_retry / N_retry for the one outstanding exchange of each client. */
export function retryDownlink(ctx: SnContext): void {
  const now = ctx.env.now();
  const { retry, retries } = ctx.settings.spec;
  for (const client of ctx.clients.values()) {
    const o = client.outstanding;
    if (o === null || now - o.sentAt < retry) continue;
    if (client.state !== 'active' && client.state !== 'awake') continue;
    if (o.tries > retries) {
      client.outstanding = null;
      client.downlink.shift();
      drop(ctx, 'delivery_failed', `${o.delivery.name}: no answer after ${o.tries} tries`, client.address);
      pumpDownlink(ctx, client);
      continue;
    }
    o.tries += 1;
    o.sentAt = now;
    if (o.kind === 'register')
      send(ctx, client.address, {
        type: 'REGISTER',
        topicId: client.topics.idOf(o.delivery.name) ?? 0,
        msgId: o.msgId,
        topicName: o.delivery.name,
      });
    else if (o.kind === 'pubrel') send(ctx, client.address, { type: 'PUBREL', msgId: o.msgId });
    else publish(ctx, client, o.delivery, o.msgId, true);
  }
}

function forgetId(client: ClientSession, topicId: number): void {
  client.knownIds.delete(topicId);
}
