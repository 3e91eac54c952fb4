// The gateway's one MQTT client, and the network half's only MQTT.js user (docs/architecture.md
// boundary): it drains the outbox to the broker, and its `subscriptions` bring commands down.
// It leases only while connected, keeps at most min(queue.inflight, the broker's Receive
// Maximum [MQTT-3.3.4-9]) messages in flight, and acknowledges a message
// to the outbox only when the broker's PUBACK/PUBCOMP reports success. QoS 0 messages do
// not take part in that window (they are never acknowledged): a window of its own bounds
// them by count and bytes while they wait for the socket (qos0-window.ts). The MQTT session is persistent (clean = false, MQTT 5
// session expiry) and its QoS 2 packets live in the queue database (session-store.ts), so
// QoS 2 stays exactly-once across a crash.
//
// It never uses connectAsync at start-up (that rejects and ends the client when the
// broker is down): it connects in the background and reconnects with jittered backoff.
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { mqtt } from './mqtt-js.ts';
import type { IClientPublishOptions, IConnackPacket, IPublishPacket, MqttClient, Packet, Store } from 'mqtt';
import type { Logger } from '../log/logger.ts';
import { createBoundLog } from '../log/bound-log.ts';
import type { BoundLog } from '../log/bound-log.ts';
import { memoryCostOf } from '../queue/limits.ts';
import type { QueuedMessage, SessionOutbox } from '../queue/outbox.ts';
import { createBackoff } from './backoff.ts';
import { redactUrl } from '../config/redact-url.ts';
import { toClientOptions } from './connect-options.ts';
import type { BrokerLink } from './connect-options.ts';
import { decideOnFailure } from './delivery-failure.ts';
import { PublishBatch, publishLength } from './publish-packet.ts';
import type { PublishFields } from './publish-packet.ts';
import './packet-numbers.ts';
import { Qos0Window } from './qos0-window.ts';
import { RefillHold } from './refill-hold.ts';
import { PUMP_BATCH } from './publisher.ts';
import type { BrokerClientProgress, BrokerClientStatus, Publisher } from './publisher.ts';
import { SessionStore } from './session-store.ts';
import { Subscriptions } from './subscriptions.ts';
import { TlsRefusals, urlHost } from './tls-refusals.ts';
import type { RecordedRefusal } from './tls-refusals.ts';
import { IdleWait } from './idle-wait.ts';
import { IdMap, IdSet } from '../id-map.ts';

export type { BrokerClientProgress, BrokerClientStatus };

export interface BrokerClientOptions {
  link: BrokerLink;
  outbox: SessionOutbox;
  inflight: number;
  /** For the stable message id `<gateway>/<port>/<portSeq>` (MQTT 5 user property `id`). */
  gatewayId: string;
  log: Logger;
  /** Called after every successful (re)connect: republish retained state (gateway/state, availability). */
  onConnect?: () => void;
  /** A message delivered: its latency from reading to broker ack (/metrics). */
  onDelivered?: (qos: 0 | 1 | 2, latencyMs: number) => void;
  /** Byte bound of the QoS 0 send window (default QOS0_WINDOW_BYTES, qos0-window.ts). */
  qos0WindowBytes?: number;
}

/** MQTT 5 session expiry: keep the session (and our QoS 1/2 state) for a week of outage. */
const SESSION_EXPIRY_S = 7 * 24 * 3600;

export class BrokerClient implements Publisher {
  readonly name = 'publisher';
  private client: MqttClient | undefined;
  private readonly backoff = createBackoff(1000, 60_000);
  private reconnectTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private unsubscribeOutbox: (() => void) | undefined;
  private inflightLimit: number;
  private maxPacketSize = Number.POSITIVE_INFINITY;
  /** Queue ids in flight: leased and sent, or resumed from the stored session. */
  private readonly inflight = new IdSet();
  /** Of those, the QoS 0 ones (waiting for the socket, not for the broker). */
  private readonly qos0: Qos0Window;
  private readonly bounds: BoundLog;
  private pumpScheduled = false;
  /**
   * Whether MQTT.js has finished the connection's start (CONNACK, then its replay of the
   * stored session: it emits 'connect' only after that). Until then nothing new is sent:
   * it would overtake the replayed messages, or wait inside MQTT.js where
   * reconcileInflight() cannot see it.
   */
  private ready = false;
  /** QoS 0 and 1 PUBLISHes of the current pump step, written by us in one socket write (send()). */
  private readonly batch = new PublishBatch();
  /** The QoS 0 messages in `batch`: done when the socket has taken its write (writeBatch()). */
  private qos0InBatch: { message: QueuedMessage; cost: number }[] = [];
  /** Whether a refill of the window waits for more acknowledgements (refill-hold.ts). */
  private readonly refillHold = new RefillHold(() => this.pump());
  /** The socket whose 'drain' the publisher waits for (socketBackedUp()). */
  private drainAwaited: Writable | undefined;
  /** The message inside client.publish() right now (see send()). */
  private sending: QueuedMessage | undefined;
  private readonly session: SessionStore;
  /** Messages from the broker to the gateway's consumers (MQTT-SN devices, commands). */
  readonly subscriptions: Subscriptions;
  /**
   * Per message sent: attempts before this one, and when its reading arrived (for the
   * latency in /metrics). Messages resumed from a previous run's session have no entry.
   */
  private readonly sent = new IdMap<{ attempts: number; createdAt: number; qos: 1 | 2 }>();
  /**
   * Queue ids of QoS 1/2 publishes not yet put into the session store, by topic+payload.
   * MQTT.js clones a packet before storing it, so identity is lost; it stores packets in
   * publish order, so the oldest id waiting under the same content is the right one.
   */
  private readonly awaitingPut = new Map<string, number[]>();
  private connects = 0;
  /** Whether the log has said once that the broker's window is below queue.inflight. */
  private narrowWindowSaid = false;
  private published = 0;
  private refusedByBroker = 0;
  private lastError: string | null = null;
  /** Why the current connection attempt (or connection) ended, for its one log line. */
  private attemptError: string | null = null;
  /** Whether the current attempt got as far as CONNACK: its end is a loss, not a failure. */
  private wasConnected = false;
  private stopping = false;
  private pumping = false;
  private lastProgressAt = performance.now();
  private readonly idle = new IdleWait(
    () => this.options.outbox.stats().depth === 0 && this.inflight.size === 0,
  );

  private readonly tls: TlsRefusals;

  constructor(private readonly options: BrokerClientOptions) {
    this.tls = new TlsRefusals({
      host: urlHost(options.link.url),
      caConfigured: options.link.tls?.ca != null,
      clientCertConfigured: options.link.tls?.cert != null,
    });
    this.inflightLimit = options.inflight;
    this.qos0 = new Qos0Window(undefined, options.qos0WindowBytes);
    this.bounds = createBoundLog(options.log);
    this.session = new SessionStore(options.outbox.packets, (packet) => this.takeAwaitingPut(packet));
    this.subscriptions = new Subscriptions(options.log);
    for (const id of this.session.queueIds()) this.inflight.add(id);
  }

  start(_signal: AbortSignal): Promise<void> {
    const { link, log, outbox } = this.options;
    const clientOptions = toClientOptions(link);
    clientOptions.clean = false;
    clientOptions.outgoingStore = this.session;
    clientOptions.resubscribe = false; // subscriptions.ts resubscribes what the broker lacks
    if (link.protocolVersion === 5) clientOptions.properties = { sessionExpiryInterval: SESSION_EXPIRY_S };
    const client = mqtt.connect(link.url, clientOptions);
    this.client = client;
    this.tls.watch(client.stream);
    this.subscriptions.attach(client);
    client.on('connect', (connack) => this.onConnect(connack));
    client.on('close', () => this.onClose());
    client.on('packetreceive', (packet) => this.onPacket(packet));
    client.on('error', (error) => {
      this.lastError = error.message;
      this.attemptError ??= error.message;
      const refused = this.tls.record(error);
      if (refused !== null) return this.onTlsRefusal(refused);
      // Said once, with the retry, when the connection closes (onClose): one line per attempt.
      log.debug({ err: error.message, url: redactUrl(link.url) }, 'broker connection error');
    });
    // MQTT 5: the broker says why it ends the connection (§3.14.2.1, e.g. 0x8B server shutting down).
    client.on('disconnect', (packet) => {
      this.attemptError ??= `disconnected by the broker (reason code ${packet.reasonCode ?? 0})`;
    });
    // One pump per turn of the event loop (setImmediate: after every read of this turn),
    // not one per submit: the PUBLISHes of all lines read in a turn leave in one socket
    // write instead of one write each (the kernel's per-write cost was ~20 % of the CPU).
    this.unsubscribeOutbox = outbox.onAvailable(() => this.schedulePump());
    // Messages waiting for a retry become leasable with time, not with an event.
    this.retryTimer = setInterval(() => this.pump(), 1000);
    this.retryTimer.unref();
    if (link.tls?.insecure === true)
      log.warn(
        { url: redactUrl(link.url) },
        "mqtt.tls.insecure is true: the broker's certificate is NOT verified; anyone on the path can pose as the broker",
      );
    log.info(
      { url: redactUrl(link.url), clientId: link.clientId, resumed: this.inflight.size },
      'connecting to broker',
    );
    return Promise.resolve();
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  status(): BrokerClientStatus {
    return {
      connected: this.connected,
      url: redactUrl(this.options.link.url),
      connects: this.connects,
      lastError: this.lastError,
      inflight: this.inflight.size,
      inflightLimit: this.inflightLimit,
      published: this.published,
      refusedByBroker: this.refusedByBroker,
      tls: this.tls.status(),
      qos0Window: this.qos0.status(),
    };
  }

  progress(): BrokerClientProgress {
    return { connected: this.connected, inflight: this.inflight.size, lastProgressAt: this.lastProgressAt };
  }

  /**
   * Publishes a status message (gateway/state, availability, health) directly, outside the
   * outbox: these describe the present, so only the latest matters and the owner
   * republishes it on every reconnect. Resolves false when not connected.
   */
  publishNow(
    topic: string,
    payload: string,
    opts: { qos: 0 | 1 | 2; retain: boolean; correlationData?: Buffer },
  ): Promise<boolean> {
    const client = this.client;
    if (client === undefined || !client.connected) return Promise.resolve(false);
    const fields = { topic, payload: Buffer.from(payload), qos: opts.qos, retain: opts.retain, messageId: 1 };
    // Correlation Data (MQTT 5 §3.3.2.3.6): identifier, two bytes of length, the bytes; and
    // up to three more bytes of Property Length.
    const correlationBytes = opts.correlationData === undefined ? 0 : 3 + opts.correlationData.length + 3;
    if (publishLength(fields, this.options.link.protocolVersion) + correlationBytes > this.maxPacketSize) {
      // A broker closes the connection on a packet over its maximum: never send one.
      this.options.log.warn(
        { topic, maxPacketSize: this.maxPacketSize },
        'status message too large for the broker; not sent',
      );
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const { correlationData, ...flags } = opts;
      // MQTT 5 §4.10 request/response: the answer carries the request's Correlation Data.
      const properties =
        correlationData !== undefined && this.options.link.protocolVersion === 5
          ? { correlationData }
          : undefined;
      client.publish(topic, payload, properties === undefined ? flags : { ...flags, properties }, (error) => {
        // MQTT.js passes undefined or null for success depending on the path.
        if (error) this.options.log.debug({ topic, err: error.message }, 'status publish failed');
        resolve(!error);
      });
    });
  }

  /** Resolves true once the outbox is empty and nothing is in flight, false at the deadline. */
  drain(timeoutMs: number): Promise<boolean> {
    // Not connected: nothing will move before the deadline (unless already idle).
    if (!this.connected) return this.idle.until(0);
    return this.idle.until(timeoutMs);
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.retryTimer);
    this.refillHold.stop();
    this.unsubscribeOutbox?.();
    const client = this.client;
    if (client === undefined) return;
    // A clean DISCONNECT suppresses the will: the owner has already published `offline`.
    // What is still in flight stays in the stored session and is resumed at the next start.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => client.end(true, {}, () => resolve()), 1000);
      client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private onConnect(connack: IConnackPacket): void {
    const { log, link } = this.options;
    this.connects += 1;
    this.ready = true;
    this.wasConnected = true;
    this.attemptError = null;
    this.lastProgressAt = performance.now();
    this.backoff.reset();
    this.tls.connected();
    this.lastError = null;
    const props = connack.properties;
    this.inflightLimit = Math.max(1, Math.min(this.options.inflight, props?.receiveMaximum ?? 65535));
    this.maxPacketSize = props?.maximumPacketSize ?? Number.POSITIVE_INFINITY;
    // MQTT.js leaves Nagle on: without no-delay, small publishes wait up to 40 ms.
    (this.client?.stream as Partial<Socket> | undefined)?.setNoDelay?.(true);
    log.info(
      {
        url: redactUrl(link.url),
        inflight: this.inflightLimit,
        sessionPresent: connack.sessionPresent,
        resumed: this.inflight.size,
      },
      'connected to broker',
    );
    this.sayNarrowWindow();
    this.reconcileInflight();
    this.options.outbox.setWriteBehind?.(true);
    this.options.onConnect?.();
    this.pump();
  }

  /**
   * Once per process: the broker's Receive Maximum (MQTT 5 §3.2.2.3.3) caps the window below
   * queue.inflight. Nothing is wrong, but a backlog then drains one message per
   * acknowledgement, at about two thirds of the rate a window of 32 reached in the bench
   * (docs/performance.md), and the broker's setting is the only place to change it.
   */
  private sayNarrowWindow(): void {
    if (this.narrowWindowSaid || this.inflightLimit >= this.options.inflight) return;
    this.narrowWindowSaid = true;
    this.options.log.info(
      { brokerReceiveMaximum: this.inflightLimit, queueInflight: this.options.inflight },
      `the broker takes ${this.inflightLimit} unacknowledged messages, fewer than queue.inflight (${this.options.inflight}): ` +
        'backlogs drain at its pace (Mosquitto: max_inflight_messages in mosquitto.conf)',
    );
  }

  /**
   * On a new connection, whatever we count in flight must be in the stored session (MQTT.js
   * resends those); anything else died with the old connection and is leased again.
   */
  private reconcileInflight(): void {
    const stored = this.session.queueIds();
    this.qos0.reset(); // QoS 0 writes die with the connection (their callbacks have run)
    for (const id of [...this.inflight.keys()]) {
      if (stored.has(id)) continue;
      this.inflight.delete(id);
      this.sent.delete(id);
      this.options.outbox.release(id);
    }
    this.awaitingPut.clear();
  }

  private onClose(): void {
    this.ready = false;
    // Nothing will be acknowledged now: whatever waits in memory goes to disk at once.
    this.options.outbox.setWriteBehind?.(false);
    if (this.stopping) return;
    const delay = this.backoff.next();
    this.logAttemptEnd(delay);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.attemptError = null;
      this.wasConnected = false;
      const client = this.client;
      // reconnect() without stores would replace ours with empty in-memory ones and lose
      // the stored session (MQTT.js client.reconnect): hand the same ones back.
      if (!this.stopping && client !== undefined) {
        // (Its options are typed as the Store class; any IStore works at run time.)
        client.reconnect({
          incomingStore: client.incomingStore as unknown as Store,
          outgoingStore: client.outgoingStore as unknown as Store,
        });
        this.tls.watch(client.stream);
      }
    }, delay);
  }

  /**
   * One line per connection that ended — a failed attempt, or a connection lost — with its
   * cause and when the next attempt is: `broker connection failed: connect ECONNREFUSED
   * 127.0.0.1:1883; retry in 4.2 s`. After a TLS refusal (logged once per cause in
   * onTlsRefusal) every retry is debug.
   */
  private logAttemptEnd(delayMs: number): void {
    const lost = this.wasConnected;
    const cause = this.attemptError ?? (lost ? 'connection closed' : 'closed before CONNACK');
    const seconds = (delayMs / 1000).toFixed(delayMs < 10_000 ? 1 : 0);
    this.options.log[this.tls.refusedThisAttempt ? 'debug' : 'warn'](
      {
        url: redactUrl(this.options.link.url),
        err: cause,
        retryInMs: delayMs,
        nextAttemptAt: new Date(Date.now() + delayMs).toISOString(),
        queued: this.options.outbox.stats().depth,
      },
      `broker connection ${lost ? 'lost' : 'failed'}: ${cause}; retry in ${seconds} s, messages stay queued`,
    );
  }

  /**
   * The broker's certificate (or its verdict on ours) was refused: one clear line per
   * distinct cause while the link is down, then quiet; the backoff retry goes on.
   */
  private onTlsRefusal({ refusal, news, duplicate }: RecordedRefusal): void {
    this.lastError = refusal.message;
    if (duplicate) return;
    const fields = { url: redactUrl(this.options.link.url), code: refusal.code, cause: refusal.cause };
    if (news) this.options.log.error(fields, `${refusal.message}; not connected, retrying with backoff`);
    else this.options.log.debug(fields, refusal.message);
  }

  /**
   * PUBACK, PUBREC and PUBCOMP, for messages sent now and for those resumed from the
   * stored session alike. Runs before MQTT.js removes the stored packet, so the queue row
   * is gone first: a crash in between replays a PUBLISH with DUP (QoS 1: at least once) or
   * a PUBREL (QoS 2: completes nothing twice), never a second QoS 2 message.
   */
  private onPacket(packet: Packet): void {
    if (packet.cmd !== 'puback' && packet.cmd !== 'pubrec' && packet.cmd !== 'pubcomp') return;
    if (packet.messageId === undefined) return;
    const code = packet.reasonCode ?? 0;
    if (packet.cmd === 'pubrec' && code < 0x80) return; // QoS 2 goes on with PUBREL
    const queueId = this.session.queueIdFor(packet.messageId);
    if (queueId === null) return;
    this.finish(queueId, code);
  }

  private finish(queueId: number, code: number): void {
    const { outbox, log } = this.options;
    this.lastProgressAt = performance.now();
    this.inflight.delete(queueId);
    const sent = this.sent.get(queueId);
    this.sent.delete(queueId);
    const attemptsBefore = sent?.attempts ?? 0;
    if (code < 0x80) {
      this.published += 1;
      outbox.ack(queueId);
      // Resumed from a previous run's session: no arrival time known, nothing observed.
      if (sent !== undefined) this.options.onDelivered?.(sent.qos, Date.now() - sent.createdAt);
    } else {
      this.refusedByBroker += 1;
      const decision = decideOnFailure(code, attemptsBefore);
      if (decision.action === 'dead_letter') {
        log.warn({ queueId, reason: decision.reason }, 'message moved to the dead letters');
        outbox.deadLetter(queueId, decision.reason);
      } else {
        log.warn({ queueId, code, retryInMs: decision.delayMs }, 'broker refused message; will retry');
        outbox.release(queueId, { delayMs: decision.delayMs, attempted: true });
      }
    }
    // Send more once MQTT.js has handled every acknowledgement this turn brought (it takes
    // one packet per tick): the freed window is refilled in one socket write, not one
    // PUBLISH per ack (with the broker's Receive Maximum of 20 that halved saturated
    // throughput, docs/performance.md).
    this.schedulePump();
  }

  /** One pump after the current callbacks, however many of them asked for it. */
  private schedulePump(later: (run: () => void) => void = setImmediate): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    later(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Leases and sends until the in-flight window is full or the outbox is empty. */
  private pump(): void {
    if (this.pumping || this.stopping) return;
    this.pumping = true;
    try {
      for (;;) {
        // A leased message may be of either kind: lease no more than both windows hold.
        const awaitingAck = this.inflight.size - this.qos0.messages;
        const acked = this.inflightLimit - awaitingAck;
        const room = Math.min(acked, this.qos0.room(), PUMP_BATCH);
        if (!this.ready || !this.connected || this.socketBackedUp()) break;
        if (room <= 0) {
          if (this.qos0.bytes >= this.qos0.maxBytes) this.qos0Full();
          break;
        }
        if (this.refillHold.holds(acked, this.inflightLimit, awaitingAck)) break;
        const batch = this.options.outbox.lease(room);
        const sent = this.sendUntilFull(batch);
        this.writeBatch();
        if (sent > 0) this.refillHold.refilled();
        if (sent < batch.length) {
          // The QoS 0 window is full by bytes: the rest goes back to the queue, unsent and
          // in order (not an attempt), and waits there until the socket drains.
          for (const message of batch.slice(sent)) this.options.outbox.release(message.id);
          this.qos0Full();
          break;
        }
        if (batch.length < room) break; // the outbox has nothing more now
      }
    } finally {
      this.pumping = false;
    }
    this.idle.check();
  }

  /**
   * Whether the socket's write buffer is over its high-water mark; if so the publisher waits
   * for its 'drain' (one listener) before writing more. Written anyway, the messages would
   * pile up in the socket's user-space buffer (and each QoS 0 PUBLISH handed to MQTT.js adds a
   * 'drain' listener of its own, client.js _writePacket: removing thousands of them one by
   * one once cost a third of the CPU at saturation, docs/performance.md). The messages wait
   * in the outbox meanwhile, where they are bounded.
   */
  private socketBackedUp(): boolean {
    const stream = this.client?.stream as Writable | undefined;
    if (stream === undefined || stream.writableNeedDrain !== true) return false;
    if (this.drainAwaited !== stream) {
      this.drainAwaited = stream;
      stream.once('drain', () => {
        if (this.drainAwaited === stream) this.drainAwaited = undefined;
        this.schedulePump();
      });
    }
    return true;
  }

  /** Sends in order until a QoS 0 message does not fit its window; returns how many went. */
  private sendUntilFull(batch: readonly QueuedMessage[]): number {
    for (let i = 0; i < batch.length; i += 1) {
      const message = batch[i] as QueuedMessage;
      if (message.qos === 0 && !this.qos0.fits(memoryCostOf(message))) return i;
      this.send(message);
    }
    return batch.length;
  }

  /** The QoS 0 window is full by bytes: the publisher waits for the socket (said once per wait). */
  private qos0Full(): void {
    if (!this.qos0.blocked()) return;
    const { bytes, maxBytes, messages } = this.qos0.status();
    this.bounds.bit(
      'qos0_window_bytes',
      { bytes, maxBytes, messages },
      'QoS 0 send window full (bytes): waiting for the broker connection to drain; readings wait in the queue',
    );
  }

  private send(message: QueuedMessage): void {
    const client = this.client;
    if (client === undefined) return;
    const { outbox, gatewayId, link } = this.options;
    const messageKey = `${gatewayId}/${message.port}/${message.portSeq}`;
    const fields = {
      topic: message.topic,
      payload: message.payload,
      qos: message.qos,
      retain: message.retain,
      messageId: 1,
      userProperty: link.protocolVersion === 5 ? (['id', messageKey] as const) : undefined,
    };
    // Sized only against a known maximum (Mosquitto announces none by default).
    const size =
      this.maxPacketSize === Number.POSITIVE_INFINITY ? 0 : publishLength(fields, link.protocolVersion);
    if (size > this.maxPacketSize) {
      // Sending it would get the connection closed (MQTT 5 §3.1.2.11.4): refuse it here.
      const reason = `packet of ${size} bytes exceeds the broker's maximum packet size ${this.maxPacketSize}`;
      this.options.log.warn(
        { queueId: message.id, topic: message.topic, reason },
        'message moved to the dead letters',
      );
      outbox.deadLetter(message.id, reason);
      return;
    }
    if (this.inflight.size === 0) this.lastProgressAt = performance.now(); // was idle
    this.inflight.add(message.id);
    const cost = memoryCostOf(message);
    if (message.qos === 0) this.qos0.add(cost);
    // QoS 1/2 only: they finish in finish(), which removes the entry. A QoS 0 message is done
    // in its publish callback below and needs none (an entry per QoS 0 message used to stay
    // for good: the map grew with every QoS 0 reading).
    if (message.qos !== 0)
      this.sent.set(message.id, {
        attempts: message.attempts,
        createdAt: message.createdAt,
        qos: message.qos,
      });
    if (message.qos === 1 && this.writeQos1(client, message, fields)) return;
    if (message.qos === 0 && this.writeQos0(message, fields, cost)) return;
    // What this step wrote itself leaves first: the order of the messages is kept.
    this.writeBatch();
    const payload = message.payload;
    const opts: IClientPublishOptions = { qos: message.qos, retain: message.retain };
    if (link.protocolVersion === 5) opts.properties = { userProperties: { id: messageKey } };
    // MQTT.js puts a QoS 1/2 PUBLISH into the store synchronously inside publish(), whether
    // it sends it now or keeps it for the next connection: `sending` answers that put
    // without building a content key. Should it come later anyway, the content key does.
    if (message.qos > 0) this.sending = message;
    client.publish(message.topic, payload, opts, (error) => {
      if (message.qos === 0) {
        this.qos0Written(message, cost, error);
        return;
      }
      // QoS 1/2 complete in onPacket. An error without a broker reason means the packet
      // never reached the session store (client ending): make it leasable again.
      if (error && (error as { code?: unknown }).code === undefined && !this.isStored(message.id)) {
        this.dropAwaitingPut(message.topic, payload, message.id);
        this.inflight.delete(message.id);
        // Not sent (the client was ending, or the session store could not write: disk
        // full). Later, not at once: an immediate retry would spin on a full disk.
        outbox.release(message.id, { delayMs: 1000 });
      }
    });
    if (this.sending === message) {
      this.sending = undefined;
      const key = contentKey(message.topic, payload);
      const waiting = this.awaitingPut.get(key);
      if (waiting === undefined) this.awaitingPut.set(key, [message.id]);
      else waiting.push(message.id);
    }
  }

  /**
   * A QoS 1 message, written by us into this step's batch (publish-packet.ts) and held in the
   * session store and in MQTT.js's table of outgoing packets exactly as client.publish()
   * holds one: MQTT.js matches the PUBACK, frees the packet id and deletes the stored packet
   * (after onPacket has acknowledged it to the outbox), and resends it with DUP after a
   * reconnect. False when no packet id is free: client.publish() then keeps it queued.
   */
  private writeQos1(client: MqttClient, message: QueuedMessage, fields: PublishFields): boolean {
    const messageId = client.messageIdProvider.allocate();
    if (messageId === null) return false;
    fields.messageId = messageId;
    try {
      this.batch.add(fields, this.options.link.protocolVersion);
    } catch {
      // Not encodable (a topic over 65,535 bytes): client.publish() refuses it as it always has.
      client.messageIdProvider.deallocate(messageId);
      return false;
    }
    const packet: IPublishPacket & { messageId: number } = {
      cmd: 'publish',
      topic: message.topic,
      payload: message.payload,
      qos: 1,
      retain: message.retain,
      messageId,
      dup: false,
    };
    if (fields.userProperty !== undefined)
      packet.properties = { userProperties: { id: fields.userProperty[1] } };
    client.outgoing[messageId] = { volatile: false, cmd: 'publish', cb: completedInOnPacket };
    this.session.holdPublish(packet, message.id);
    return true;
  }

  /**
   * A QoS 0 message, written by us into this step's batch like a QoS 1 one (writeQos1): it
   * needs nothing of MQTT.js, no packet id and no store, and through client.publish() it cost
   * the same options, copies and small writes. False when it cannot be encoded (a topic over
   * 65,535 bytes): client.publish() then refuses it as it always has.
   */
  private writeQos0(message: QueuedMessage, fields: PublishFields, cost: number): boolean {
    try {
      this.batch.add(fields, this.options.link.protocolVersion);
    } catch {
      return false;
    }
    this.qos0InBatch.push({ message, cost });
    return true;
  }

  /**
   * This step's PUBLISHes to the socket, in one write. Its QoS 0 messages are done when the
   * socket has taken the write: the stream calls back once the kernel has the bytes, or
   * with an error when the connection died first (they are then leased again).
   */
  private writeBatch(): void {
    const packets = this.batch.take();
    if (packets === undefined) return;
    const stream = this.client?.stream as Writable | undefined;
    const qos0 = this.qos0InBatch;
    if (qos0.length === 0) {
      stream?.write(packets);
      return;
    }
    this.qos0InBatch = [];
    const done = (error?: Error | null): void => {
      for (const { message, cost } of qos0) this.qos0Written(message, cost, error);
    };
    if (stream === undefined) done(new Error('no connection'));
    else stream.write(packets, done);
  }

  /** A QoS 0 PUBLISH left (or failed to leave) through the socket. */
  private qos0Written(message: QueuedMessage, cost: number, error: Error | null | undefined): void {
    // Once only: the connection's reconciliation may have released it already.
    if (!this.inflight.delete(message.id)) return;
    this.qos0.remove(cost);
    this.lastProgressAt = performance.now();
    const { outbox } = this.options;
    // At most once: written to the socket is as far as it goes.
    if (error) outbox.release(message.id, { delayMs: 1000 });
    else {
      this.published += 1;
      outbox.ack(message.id);
      this.options.onDelivered?.(0, Date.now() - message.createdAt);
    }
    // Never send from inside a write's or MQTT.js's callbacks: on a keepalive timeout they
    // run while the dying connection still says `connected`, and what is sent then is lost.
    this.schedulePump();
  }

  private takeAwaitingPut(packet: Packet): number | null {
    const { topic, payload } = packet as { topic?: unknown; payload?: unknown };
    if (typeof topic !== 'string') return null;
    const body = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : '');
    const sending = this.sending;
    if (sending !== undefined && sending.topic === topic && sending.payload.equals(body)) {
      this.sending = undefined;
      return sending.id;
    }
    const key = contentKey(topic, body);
    const waiting = this.awaitingPut.get(key);
    const id = waiting?.shift();
    if (waiting !== undefined && waiting.length === 0) this.awaitingPut.delete(key);
    return id ?? null;
  }

  private dropAwaitingPut(topic: string, payload: Buffer, queueId: number): void {
    const key = contentKey(topic, payload);
    const waiting = this.awaitingPut.get(key)?.filter((id) => id !== queueId) ?? [];
    if (waiting.length === 0) this.awaitingPut.delete(key);
    else this.awaitingPut.set(key, waiting);
  }

  private isStored(queueId: number): boolean {
    return this.session.queueIds().has(queueId);
  }
}

/** What MQTT.js calls on a PUBACK: nothing is left to do by then (onPacket ran first). */
function completedInOnPacket(): void {}

function contentKey(topic: string, payload: Buffer): string {
  return `${topic}\u0000${payload.toString('latin1')}`;
}
