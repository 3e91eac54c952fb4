// A simulated MQTT-SN v1.2 client (the device side), for tests and `tty2mqtt simulate`:
// transport-agnostic — bytes in through onInput(), bytes out through `write` — with the
// framing (raw, SLIP, COBS) and optional Forwarder Encapsulation (§5.5) of mqttsn-client-link.
//
// Requests run one at a time from a bounded queue, each supervised by T_retry/N_retry
// (§6.13, mqttsn-client-exchange). Session requests reconnect on their own when the gateway
// has dropped the session (DISCONNECT, or N_retry unanswered resends) — CONNECT, the Will
// handshake, the client's subscriptions again — and carry on; the PUBLISH flow is in
// mqttsn-client-outbound, what the gateway starts in mqttsn-client-inbound.
import { ReturnCode } from '../../mqttsn/packet-types.ts';
import type { InnerPacket, PublishTopic, Qos, SubscribeTopic } from '../../mqttsn/packet-types.ts';
import type { Scheduler } from '../device.ts';
import { Exchange, MqttSnClientError } from './exchange.ts';
import { InboundDelivery } from './inbound.ts';
import { MqttSnLink, type MqttSnClientStats } from './link.ts';
import { deliver, publishPacket, sendUnacknowledged } from './outbound.ts';
import type { OutboundMessage, PublishSession } from './outbound.ts';
import { RequestQueue } from './queue.ts';
import { SessionRequests } from './session.ts';
import type { SubackResult } from './session.ts';
import type {
  MqttSnClientOptions,
  MqttSnClientState,
  MqttSnWill,
  PublishOptions,
  PublishTarget,
  SubscribeTarget,
} from './options.ts';
import { asError } from '../../errors.ts';

export { MqttSnClientError } from './exchange.ts';
export type { MqttSnClientErrorCode } from './exchange.ts';
export type { MqttSnMessage } from './inbound.ts';
export type { MqttSnClientStats } from './link.ts';
export type { SubackResult } from './session.ts';
export type {
  MqttSnClientOptions,
  MqttSnClientState,
  MqttSnWill,
  PublishOptions,
  PublishTarget,
  SubscribeTarget,
} from './options.ts';

const realScheduler: Scheduler = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class MqttSnClient {
  readonly stats: MqttSnClientStats = {
    in: {},
    out: {},
    resends: 0,
    reconnects: 0,
    discards: 0,
    errorAcks: 0,
  };
  readonly #keepAliveS: number;
  readonly #autoPing: boolean;
  readonly #retryMs: number;
  readonly #maxRetries: number;
  readonly #scheduler: Scheduler;
  readonly #link: MqttSnLink;
  readonly #exchange: Exchange;
  readonly #inbound: InboundDelivery;
  readonly #session: SessionRequests;
  readonly #queue: RequestQueue;
  #stopped = false;
  #keepAliveTimer: unknown;

  constructor(options: MqttSnClientOptions) {
    this.#keepAliveS = checkInt(options.keepAliveS ?? 60, 0, 0xffff, 'keepAliveS');
    this.#autoPing = options.autoPing ?? true;
    this.#retryMs = options.retryMs ?? 2000;
    if (!Number.isFinite(this.#retryMs) || this.#retryMs <= 0) throw new RangeError('retryMs must be > 0');
    this.#maxRetries = checkInt(options.maxRetries ?? 5, 0, 1000, 'maxRetries');
    this.#queue = new RequestQueue(
      checkInt(options.maxQueued ?? 1000, 1, Number.MAX_SAFE_INTEGER, 'maxQueued'),
    );
    this.#scheduler = options.scheduler ?? realScheduler;
    this.#link = new MqttSnLink({
      framing: options.framing,
      write: options.write,
      now: options.now ?? Date.now,
      stats: this.stats,
      nodeId: options.nodeId,
      onPacket: options.onPacket,
    });
    const send = (p: InnerPacket): void => this.#link.send(p);
    this.#exchange = new Exchange({
      send,
      scheduler: this.#scheduler,
      retryMs: this.#retryMs,
      maxRetries: this.#maxRetries,
      onResend: () => this.stats.resends++,
    });
    this.#inbound = new InboundDelivery({
      send,
      predefined: options.predefined,
      rejectRegister: options.rejectRegister,
      onMessage: options.onMessage,
    });
    this.#session = new SessionRequests({
      clientId: options.clientId,
      keepAliveS: this.#keepAliveS,
      cleanSession: options.cleanSession ?? true,
      will: options.will,
      exchange: this.#exchange,
      inbound: this.#inbound,
      stats: this.stats,
      retryMs: this.#retryMs,
      maxRetries: this.#maxRetries,
      send,
      onActive: () => this.#armKeepAlive(),
    });
  }

  get state(): MqttSnClientState {
    return this.#session.state;
  }

  /** The topic id this client registered for `name` in the current session. */
  topicIdOf(name: string): number | undefined {
    return this.#session.registered.get(name);
  }

  /** Bytes from the gateway, in any chunks. */
  onInput(chunk: Buffer): void {
    if (this.#stopped) return;
    for (const p of this.#link.receive(chunk)) this.#dispatch(p);
  }

  /** CONNECT (with the Will handshake, §6.3); resolves with the CONNACK return code. */
  connect(): Promise<number> {
    return this.#enqueue(() => this.#session.connect());
  }

  /** REGISTER (§6.5); resolves with the topic id, rejects (`rejected`, returnCode) on refusal. */
  register(topicName: string): Promise<number> {
    return this.#enqueue(() => this.#session.withSession(() => this.#session.register(topicName)));
  }

  /**
   * PUBLISH (§6.7). QoS 1 resolves with the PUBACK return code, QoS 2 with 0 after PUBCOMP
   * (or a PUBACK's error code). QoS 0/−1 resolve with 0 once sent — at once when the topic
   * needs no REGISTER and the session is up; a later PUBACK error counts in stats.errorAcks.
   */
  publish(target: PublishTarget, payload: Buffer | string, options: PublishOptions): Promise<number> {
    if (this.#stopped) return Promise.reject(stoppedError());
    const { qos } = options;
    const name = typeof target === 'string' ? target : this.#session.nameOf(target);
    const m: OutboundMessage = {
      topic: typeof target === 'string' ? undefined : target,
      name,
      payload: typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload,
      qos,
      retain: options.retain ?? false,
      msgId: 0,
      sent: false,
    };
    if (qos === -1 && (m.topic === undefined || m.topic.kind === 'normal'))
      return Promise.reject(
        new MqttSnClientError('invalid', 'QoS −1 needs a pre-defined topic id or a short name (§6.8)'),
      );
    const ready = qos === -1 || this.state === 'active' ? this.#readyTopic(m) : undefined;
    if (qos <= 0 && ready !== undefined) {
      try {
        this.#link.send(publishPacket(m, ready));
      } catch (error) {
        return Promise.reject(asError(error));
      }
      return Promise.resolve(ReturnCode.ACCEPTED);
    }
    const publishSession = this.#publishSession();
    if (qos <= 0) return this.#enqueue(() => sendUnacknowledged(publishSession, m));
    return this.#enqueue(() => deliver(publishSession, m));
  }

  /** SUBSCRIBE (§6.9); a topic name in SUBACK's TopicId is remembered for incoming PUBLISHes. */
  subscribe(target: SubscribeTarget, qos: Qos): Promise<SubackResult> {
    const topic = subscribeTopic(target);
    return this.#enqueue(() => this.#session.withSession(() => this.#session.subscribe(topic, qos, true)));
  }

  /** UNSUBSCRIBE (§6.10). */
  unsubscribe(target: SubscribeTarget): Promise<void> {
    const topic = subscribeTopic(target);
    return this.#enqueue(() => this.#session.withSession(() => this.#session.unsubscribe(topic)));
  }

  /** PINGREQ → PINGRESP (§6.11). No answer after N_retry: the session counts as lost. */
  ping(): Promise<void> {
    return this.#enqueue(() => this.#session.ping());
  }

  /** DISCONNECT with Duration (§6.14): asleep once the gateway answers with DISCONNECT. */
  sleep(durationS: number): Promise<void> {
    return this.#enqueue(async () => {
      await this.#session.sleep(durationS);
      this.#clearKeepAlive();
    });
  }

  /**
   * PINGREQ with the ClientId (§6.14): awake; the gateway's buffered messages arrive through
   * onMessage; resolves on PINGRESP, asleep again.
   */
  wake(): Promise<void> {
    return this.#enqueue(() => this.#session.wake());
  }

  /** DISCONNECT without Duration (§6.14); resolves on the gateway's DISCONNECT. */
  disconnect(): Promise<void> {
    return this.#enqueue(async () => {
      this.#clearKeepAlive();
      await this.#session.disconnect();
    });
  }

  /** SEARCHGW (§6.1); resolves with the GwId of the first GWINFO. */
  searchGateway(radius: number): Promise<number> {
    return this.#enqueue(() => this.#session.searchGateway(radius));
  }

  /**
   * WILLTOPICUPD then WILLMSGUPD (§6.4); `null` deletes the Will. Resolves with the first
   * non-zero return code, or 0. The new Will is also used by later CONNECTs.
   */
  updateWill(will: MqttSnWill | null): Promise<number> {
    return this.#enqueue(() => this.#session.withSession(() => this.#session.updateWill(will)));
  }

  /** Clears every timer and rejects what is pending or queued (`stopped`). Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#clearKeepAlive();
    const error = stoppedError();
    this.#exchange.cancel(error);
    this.#queue.close(error);
    this.#link.reset();
  }

  #dispatch(p: InnerPacket): void {
    if (this.#inbound.handle(p)) return;
    switch (p.type) {
      case 'WILLTOPICREQ':
      case 'WILLMSGREQ':
        this.#session.answerWillRequest(p.type);
        this.#exchange.alive();
        return;
      case 'PINGREQ':
        this.#link.send({ type: 'PINGRESP' }); // §6.11: the gateway may ping the client too
        return;
      case 'DISCONNECT':
        if (this.#exchange.offer(p)) return;
        // §6.13: the gateway dropped us (e.g. it restarted): the request in flight learns it.
        this.#exchange.lost();
        // Reconnect soon even if nothing else is sent (the keep-alive tick does it while lost).
        if (this.#session.markLost()) this.#armKeepAlive(this.#retryMs);
        return;
      case 'PUBACK':
        if (this.#exchange.offer(p)) return;
        if (p.returnCode !== ReturnCode.ACCEPTED) {
          this.stats.errorAcks++;
          if (p.returnCode === ReturnCode.REJECTED_INVALID_TOPIC_ID) this.#session.forgetTopicId(p.topicId);
        }
        return;
      default:
        this.#exchange.offer(p);
    }
  }

  /** The topic of `m` if it can be sent without a REGISTER first. */
  #readyTopic(m: OutboundMessage): PublishTopic | undefined {
    if (m.name === undefined) return m.topic;
    const id = this.#session.registered.get(m.name);
    return id === undefined ? undefined : { kind: 'normal', id };
  }

  #publishSession(): PublishSession {
    const session = this.#session;
    return {
      exchange: this.#exchange,
      stats: this.stats,
      retryMs: this.#retryMs,
      maxRetries: this.#maxRetries,
      ensureSession: () => session.ensureSession(),
      markLost: () => void session.markLost(),
      topicIdOf: (name) => session.topicIdOf(name),
      forgetTopic: (name) => session.registered.delete(name),
      nextMsgId: () => session.nextMsgId(),
      send: (p) => this.#link.send(p),
    };
  }

  #enqueue<T>(run: () => Promise<T>): Promise<T> {
    return this.#stopped ? Promise.reject(stoppedError()) : this.#queue.add(run);
  }

  /** §6.11: PINGREQ within each keep-alive period; while `lost`, the tick reconnects instead. */
  #armKeepAlive(ms = this.#keepAliveS * 750): void {
    this.#clearKeepAlive();
    if (this.#stopped || !this.#autoPing || this.#keepAliveS === 0) return;
    this.#keepAliveTimer = this.#scheduler.setTimeout(() => this.#keepAliveTick(), ms);
  }

  #keepAliveTick(): void {
    this.#keepAliveTimer = undefined;
    const state = this.state;
    if (state !== 'active' && state !== 'lost') return;
    if (this.#queue.idle) {
      if (state === 'active') this.ping().catch(ignore);
      else this.#enqueue(() => this.#session.ensureSession()).catch(ignore);
    }
    this.#armKeepAlive();
  }

  #clearKeepAlive(): void {
    if (this.#keepAliveTimer === undefined) return;
    this.#scheduler.clearTimeout(this.#keepAliveTimer);
    this.#keepAliveTimer = undefined;
  }
}

function subscribeTopic(target: SubscribeTarget): SubscribeTopic {
  return typeof target === 'string' ? { kind: 'name', name: target } : target;
}

function stoppedError(): MqttSnClientError {
  return new MqttSnClientError('stopped', 'the MQTT-SN client was stopped');
}

function checkInt(value: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${what} must be an integer ${min}..${max}, got ${value}`);
  return value;
}

function ignore(): void {}
