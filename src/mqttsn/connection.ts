// Connecting, the Will, keep-alive, sleep and disconnect: MQTT-SN 1.2 §6.2–6.4, §6.11–6.14.
import { printable } from '../log/detail.ts';
import { ClientSession } from './client-state.ts';
import { drop, send, setState } from './context.ts';
import type { SnContext } from './context.ts';
import { relativeName } from './device-topics.ts';
import { refusePublish, refuseTopic } from './publish-rules.ts';
import { pumpDownlink } from './downlink.ts';
import { unsubscribeAll } from './subscribe.ts';
import { PROTOCOL_ID, ReturnCode } from './packet-types.ts';
import type { PacketOf, WillTopicFields } from './packet-types.ts';

/** §6.2: CONNECT. Also the way back from Lost, Asleep, Awake and Disconnected (§6.14). */
export function onConnect(ctx: SnContext, address: string, p: PacketOf<'CONNECT'>): void {
  const now = ctx.env.now();
  if (p.protocolId !== PROTOCOL_ID) {
    // §5.3.8: other ProtocolIds are reserved; "not supported" lets the client give up cleanly.
    send(ctx, address, { type: 'CONNACK', returnCode: ReturnCode.REJECTED_NOT_SUPPORTED });
    return drop(ctx, 'unsupported_protocol', `CONNECT with ProtocolId ${p.protocolId}`, address);
  }
  let client = ctx.clients.get(address);
  if (client === undefined) {
    if (ctx.clients.size >= ctx.settings.spec.max_clients && !evictGone(ctx)) {
      drop(ctx, 'too_many_clients', `max_clients ${ctx.settings.spec.max_clients}`, address);
      send(ctx, address, { type: 'CONNACK', returnCode: ReturnCode.REJECTED_CONGESTION });
      return;
    }
    client = new ClientSession(address, ctx.settings.spec.max_topics, now);
    ctx.clients.set(address, client);
  }
  // Another device on the same address (a board swapped on the port) starts afresh.
  const sameClient = client.clientId === p.clientId;
  if (p.cleanSession || !sameClient) {
    unsubscribeAll(ctx, client);
    client.clean();
  }
  if (!sameClient) {
    client.clientId = p.clientId;
    restoreDedupe(ctx, client);
  }
  // §6.2: CleanSession ends the session before this one, so its stored marks go. The window
  // restored above stays in memory for this connection: a client resending its unacknowledged
  // PUBLISH (DUP) right after reconnecting, as Paho-style clients do after a gateway restart
  // even with CleanSession, is still recognised.
  if (p.cleanSession) forgetStoredMarks(ctx, client);
  // §6.10: after a reconnect the gateway registers its topics again before using them.
  client.knownIds.clear();
  client.outstanding = null;
  client.cleanSession = p.cleanSession;
  client.keepAliveMs = p.duration * 1000;
  client.lastHeard = now;
  client.pendingWill = null;
  ctx.counters.connects += 1;
  if (p.will) {
    setState(ctx, client, 'connecting');
    send(ctx, address, { type: 'WILLTOPICREQ' });
    return;
  }
  accept(ctx, client);
}

/** §6.3: the Will topic of the handshake; an empty WILLTOPIC means no Will. */
export function onWillTopic(ctx: SnContext, client: ClientSession, p: PacketOf<'WILLTOPIC'>): void {
  if (client.state !== 'connecting')
    return drop(ctx, 'unexpected', 'WILLTOPIC outside CONNECT', client.address);
  if (p.will === null) {
    client.will = null;
    return accept(ctx, client);
  }
  const topic = willTopic(ctx, client, p.will);
  if (topic === null) return refuseConnect(ctx, client);
  client.pendingWill = { topic, qos: p.will.qos, retain: p.will.retain };
  send(ctx, client.address, { type: 'WILLMSGREQ' });
}

/** §6.3: the Will message; the gateway answers it with CONNACK, refusing what a PUBLISH could not carry. */
export function onWillMsg(ctx: SnContext, client: ClientSession, p: PacketOf<'WILLMSG'>): void {
  if (client.state !== 'connecting' || client.pendingWill === null)
    return drop(ctx, 'unexpected', 'WILLMSG outside CONNECT', client.address);
  const pending = client.pendingWill;
  client.pendingWill = null;
  if (!willPayloadAllowed(ctx, client, pending.topic, p.willMsg)) return refuseConnect(ctx, client);
  client.will = { ...pending, payload: p.willMsg };
  accept(ctx, client);
}

/** §6.4: WILLTOPICUPD — an empty one deletes the Will topic and message. */
export function onWillTopicUpd(ctx: SnContext, client: ClientSession, p: PacketOf<'WILLTOPICUPD'>): void {
  if (p.will === null) client.will = null;
  else {
    const topic = willTopic(ctx, client, p.will);
    // The message kept from before must pass the new topic's field too. (Without a Will yet,
    // the message comes with WILLMSGUPD and is checked then; lose() checks once more.)
    const refused =
      topic === null ||
      (client.will !== null && !willPayloadAllowed(ctx, client, topic, client.will.payload));
    if (refused || topic === null) {
      send(ctx, client.address, { type: 'WILLTOPICRESP', returnCode: ReturnCode.REJECTED_NOT_SUPPORTED });
      return;
    }
    client.will = {
      topic,
      qos: p.will.qos,
      retain: p.will.retain,
      payload: client.will?.payload ?? Buffer.alloc(0),
    };
  }
  send(ctx, client.address, { type: 'WILLTOPICRESP', returnCode: ReturnCode.ACCEPTED });
}

export function onWillMsgUpd(ctx: SnContext, client: ClientSession, p: PacketOf<'WILLMSGUPD'>): void {
  if (client.will === null) {
    // §6.4 updates the message of an existing Will; without a Will topic there is nothing to update.
    send(ctx, client.address, { type: 'WILLMSGRESP', returnCode: ReturnCode.REJECTED_NOT_SUPPORTED });
    return;
  }
  if (!willPayloadAllowed(ctx, client, client.will.topic, p.willMsg)) {
    send(ctx, client.address, { type: 'WILLMSGRESP', returnCode: ReturnCode.REJECTED_NOT_SUPPORTED });
    return;
  }
  client.will = { ...client.will, payload: p.willMsg };
  send(ctx, client.address, { type: 'WILLMSGRESP', returnCode: ReturnCode.ACCEPTED });
}

/**
 * §6.11 keep-alive, §6.14 waking: PINGREQ with a ClientId from a sleeping client makes it
 * Awake; its buffered messages go out and PINGRESP follows (downlink.ts). Without one it
 * is a plain keep-alive.
 */
export function onPingReq(ctx: SnContext, address: string, p: PacketOf<'PINGREQ'>): void {
  const client = ctx.clients.get(address);
  if (client === undefined || client.state === 'disconnected' || client.state === 'lost') {
    // A sleeping client waking after a gateway restart is unknown here: DISCONNECT tells it
    // at once to CONNECT again, rather than after its retries run out.
    send(ctx, address, { type: 'DISCONNECT' });
    return drop(ctx, 'not_connected', 'PINGREQ from a client that is not connected', address);
  }
  client.lastHeard = ctx.env.now();
  if (p.clientId !== undefined && (client.state === 'asleep' || client.state === 'awake')) {
    if (p.clientId !== client.clientId) {
      send(ctx, address, { type: 'DISCONNECT' });
      return drop(
        ctx,
        'unexpected',
        `PINGREQ from "${printable(p.clientId)}" for "${printable(client.clientId)}"`,
        address,
      );
    }
    setState(ctx, client, 'awake');
    return pumpDownlink(ctx, client);
  }
  send(ctx, address, { type: 'PINGRESP' });
}

/** §6.12/§6.14: DISCONNECT — with a Duration the client goes to sleep. The Will is not sent. */
export function onDisconnect(ctx: SnContext, client: ClientSession, p: PacketOf<'DISCONNECT'>): void {
  send(ctx, client.address, { type: 'DISCONNECT' });
  if (p.duration !== undefined && p.duration > 0) {
    client.sleepMs = p.duration * 1000;
    client.asleepSince = ctx.env.now();
    client.outstanding = null; // resent when it wakes
    setState(ctx, client, 'asleep');
    return;
  }
  client.downlink.length = 0;
  client.outstanding = null;
  if (client.cleanSession) {
    // §6.12 without Duration: a clean session ends for good; a client that is not clean may
    // come back and resend, so it keeps its marks (as it does when Lost, §6.11: its Will
    // went out, its session did not end).
    unsubscribeAll(ctx, client);
    client.dedupe.clear();
    forgetStoredMarks(ctx, client);
  }
  setState(ctx, client, 'disconnected');
}

/**
 * §6.11, §6.14: a client silent for longer than its keep-alive (with the spec's tolerance:
 * 1.5×, as the README documents) or asleep past 1.5× its sleep duration is Lost and its Will is
 * published. Runs from the port's timer.
 */
export function supervise(ctx: SnContext): void {
  const now = ctx.env.now();
  for (const client of ctx.clients.values()) {
    const active = client.state === 'active' || client.state === 'connecting' || client.state === 'awake';
    const silentFor = now - client.lastHeard;
    if (active && client.keepAliveMs > 0 && silentFor > client.keepAliveMs * 1.5) lose(ctx, client);
    else if (client.state === 'asleep' && now - client.asleepSince > client.sleepMs * 1.5) lose(ctx, client);
  }
}

/** Lost: the Will goes to the broker through the queue, like any reading (§6.3). */
export function lose(ctx: SnContext, client: ClientSession): void {
  ctx.counters.lost += 1;
  const will = client.will;
  client.downlink.length = 0;
  client.outstanding = null;
  if (client.cleanSession) unsubscribeAll(ctx, client);
  setState(ctx, client, 'lost');
  if (will === null) return;
  // Checked when given; once more here, for a Will whose message never came (WILLTOPICUPD
  // alone leaves it empty), so what is published always passes the PUBLISH rules.
  if (!willPayloadAllowed(ctx, client, will.topic, will.payload)) return;
  ctx.counters.willsPublished += 1;
  ctx.env
    .queue([
      {
        port: ctx.settings.port,
        topic: will.topic,
        payload: will.payload,
        qos: will.qos,
        retain: will.retain,
        createdAt: ctx.env.now(),
      },
    ])
    .then(
      (r) => {
        if (r.status === 'full')
          drop(ctx, 'queue_full', `Will of ${printable(client.clientId)}`, client.address);
      },
      (error: unknown) =>
        drop(ctx, 'queue_full', `Will of ${printable(client.clientId)}: ${String(error)}`, client.address),
    );
}

function accept(ctx: SnContext, client: ClientSession): void {
  setState(ctx, client, 'active');
  send(ctx, client.address, { type: 'CONNACK', returnCode: ReturnCode.ACCEPTED });
  pumpDownlink(ctx, client);
}

/** §6.3: a refused Will ends the handshake with CONNACK 0x03; the client is not connected. */
function refuseConnect(ctx: SnContext, client: ClientSession): void {
  send(ctx, client.address, { type: 'CONNACK', returnCode: ReturnCode.REJECTED_NOT_SUPPORTED });
  setState(ctx, client, 'disconnected');
}

/** The Will's broker topic if a PUBLISH could write it (publish-rules.ts), else null (counted). */
function willTopic(ctx: SnContext, client: ClientSession, will: WillTopicFields): string | null {
  const refusal = refuseTopic(ctx, will.topic);
  if (refusal === null) return `${ctx.settings.prefix}/${will.topic}`;
  drop(ctx, refusal.reason, `Will topic ${refusal.detail}`, client.address);
  return null;
}

/** Whether a PUBLISH of `payload` on the Will's broker `topic` would pass its field's schema. */
function willPayloadAllowed(ctx: SnContext, client: ClientSession, topic: string, payload: Buffer): boolean {
  const name = relativeName(ctx.settings.prefix, topic) ?? '';
  const refusal = refusePublish(ctx, name, payload);
  if (refusal === null) return true;
  drop(ctx, refusal.reason, `Will message: ${refusal.detail}`, client.address);
  return false;
}

/** The MsgIds this client's retransmissions may repeat, as committed before a restart. */
function restoreDedupe(ctx: SnContext, client: ClientSession): void {
  client.dedupe.clear();
  for (const m of ctx.env.marks(ClientSession.markKey(ctx.settings.port, client.clientId)))
    client.dedupe.commit(m.seq, m.hash);
}

function forgetStoredMarks(ctx: SnContext, client: ClientSession): void {
  ctx.env.forgetMarks(ClientSession.markKey(ctx.settings.port, client.clientId));
}

/** Makes room for a new client by forgetting one that is gone (disconnected or lost). */
function evictGone(ctx: SnContext): boolean {
  for (const [address, client] of ctx.clients)
    if (client.state === 'disconnected' || client.state === 'lost') {
      unsubscribeAll(ctx, client);
      ctx.clients.delete(address);
      return true;
    }
  return false;
}
