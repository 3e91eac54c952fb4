// SUBSCRIBE and UNSUBSCRIBE from a client (MQTT-SN 1.2 §6.9), confined to the port's
// subtree (docs/contract.md §4.2). The gateway subscribes upstream on the client's behalf; the
// environment counts filters so many clients share one broker subscription.
import type { ClientSession, Subscription } from './client-state.ts';
import { assignTopicId, drop, send } from './context.ts';
import type { SnContext } from './context.ts';
import { confineFilter, isWildcardFilter } from './device-topics.ts';
import { ReturnCode } from './packet-types.ts';
import type { PacketOf, Qos, SubscribeTopic } from './packet-types.ts';

type Resolved =
  { ok: true; filter: string; sub: Subscription['topic']; name: string } | { ok: false; code: 2 | 3 };

function resolve(ctx: SnContext, client: ClientSession, topic: SubscribeTopic): Resolved {
  let name: string;
  let sub: Subscription['topic'];
  if (topic.kind === 'predefined') {
    const predefined = ctx.settings.predefined.get(topic.id);
    if (predefined === undefined) return { ok: false, code: ReturnCode.REJECTED_INVALID_TOPIC_ID };
    name = predefined;
    sub = { kind: 'predefined', id: topic.id };
  } else if (topic.kind === 'short') {
    name = topic.name;
    sub = { kind: 'short', name: topic.name };
  } else {
    name = topic.name;
    sub = { kind: 'name' };
  }
  const confined = confineFilter(ctx.settings.prefix, name);
  if (!confined.ok) {
    drop(ctx, 'topic_refused', `SUBSCRIBE "${name.slice(0, 80)}": ${confined.reason}`, client.address);
    return { ok: false, code: ReturnCode.REJECTED_NOT_SUPPORTED };
  }
  return { ok: true, filter: confined.topic, sub, name };
}

export function onSubscribe(ctx: SnContext, client: ClientSession, p: PacketOf<'SUBSCRIBE'>): void {
  const r = resolve(ctx, client, p.topic);
  const suback = (qos: Qos, topicId: number, returnCode: 0 | 1 | 2 | 3): void =>
    send(ctx, client.address, { type: 'SUBACK', qos, topicId, msgId: p.msgId, returnCode });
  if (!r.ok) return suback(0, 0, r.code);
  const limit = client.subscriptions.has(r.filter) ? null : subscriptionLimit(ctx, client);
  if (limit !== null) {
    drop(ctx, 'too_many_subscriptions', `SUBSCRIBE "${r.name.slice(0, 80)}": ${limit}`, client.address);
    // Table 5 has no "limit reached" code; 0x02 tells the client this filter will not get a
    // subscription, and unlike 0x01 (congestion, §6.9) it does not invite a retry later.
    return suback(0, 0, ReturnCode.REJECTED_INVALID_TOPIC_ID);
  }
  // §6.9: a topic name without wildcards gets its topic id in the SUBACK; a wildcard gets
  // 0x0000 and each matching topic is REGISTERed before its first PUBLISH (§6.10).
  let topicId = 0;
  if (p.topic.kind === 'predefined') topicId = p.topic.id;
  else if (p.topic.kind === 'name' && !isWildcardFilter(r.name)) {
    const id = assignTopicId(ctx, client, r.name);
    if (id === undefined) return suback(0, 0, ReturnCode.REJECTED_CONGESTION);
    topicId = id;
  }
  const previous = client.subscriptions.get(r.filter);
  client.subscriptions.set(r.filter, { filter: r.filter, qos: p.qos, topic: r.sub });
  if (previous === undefined) ctx.env.subscribe(r.filter, p.qos);
  else if (previous.qos !== p.qos) {
    ctx.env.unsubscribe(r.filter, previous.qos);
    ctx.env.subscribe(r.filter, p.qos);
  }
  suback(p.qos, topicId, ReturnCode.ACCEPTED);
}

/**
 * Why one more subscription is refused, or null. Every filter is a broker subscription and
 * every broker message is matched against each (downlink.ts), so both the client's and the
 * whole port's count are bounded (the port's: many clients behind one forwarder, §5.5).
 */
function subscriptionLimit(ctx: SnContext, client: ClientSession): string | null {
  const { max_subscriptions: perClient, max_port_subscriptions: perPort } = ctx.settings.spec;
  if (client.subscriptions.size >= perClient) return `client holds max_subscriptions ${perClient}`;
  let total = 0;
  for (const c of ctx.clients.values()) total += c.subscriptions.size;
  return total >= perPort ? `port holds max_port_subscriptions ${perPort}` : null;
}

export function onUnsubscribe(ctx: SnContext, client: ClientSession, p: PacketOf<'UNSUBSCRIBE'>): void {
  const r = resolve(ctx, client, p.topic);
  const sub = r.ok ? client.subscriptions.get(r.filter) : undefined;
  if (sub !== undefined) {
    client.subscriptions.delete(sub.filter);
    ctx.env.unsubscribe(sub.filter, sub.qos);
  }
  // §6.9: UNSUBACK either way (there is no return code to say the name was unknown).
  send(ctx, client.address, { type: 'UNSUBACK', msgId: p.msgId });
}

/** Drops every upstream subscription the client holds (clean session, lost, evicted). */
export function unsubscribeAll(ctx: SnContext, client: ClientSession): void {
  for (const sub of client.subscriptions.values()) ctx.env.unsubscribe(sub.filter, sub.qos);
  client.subscriptions.clear();
}
