// The session of the simulated MQTT-SN client: its state (§6.14 seen from the client),
// CONNECT with the Will handshake (§6.3), REGISTER (§6.5), SUBSCRIBE/UNSUBSCRIBE (§6.9,
// §6.10), sleep/wake (§6.14), Will updates (§6.4) — and the automatic reconnect that lets
// every session request survive a gateway that forgot the client (§6.13: "the client should
// then reconnect"). Each request returns an Outcome: `lost` means "reconnect and try again".
import { PROTOCOL_ID, ReturnCode } from '../../mqttsn/packet-types.ts';
import type { InnerPacket, PublishTopic, Qos, SubscribeTopic } from '../../mqttsn/packet-types.ts';
import { MqttSnClientError, NO_MATCH, only, timeoutError } from './exchange.ts';
import type { Exchange, Outcome } from './exchange.ts';
import type { InboundDelivery } from './inbound.ts';
import type { MqttSnClientStats } from './link.ts';

export type SessionState = 'disconnected' | 'active' | 'lost' | 'asleep' | 'awake';

export interface SessionWill {
  topic: string;
  payload: Buffer | string;
  qos: Qos;
  retain: boolean;
}

export interface SubackResult {
  returnCode: number;
  topicId: number;
  qos: Qos;
}

export interface SessionOptions {
  clientId: string;
  keepAliveS: number;
  cleanSession: boolean;
  will: SessionWill | undefined;
  exchange: Exchange;
  inbound: InboundDelivery;
  stats: MqttSnClientStats;
  retryMs: number;
  maxRetries: number;
  send(p: InnerPacket): void;
  /** CONNACK 0x00: the session is (again) active. */
  onActive(): void;
}

type SubscribePacket = Extract<InnerPacket, { type: 'SUBSCRIBE' }>;

export class SessionRequests {
  /** Names this client registered in the current session → topic id. */
  readonly registered = new Map<string, number>();
  readonly #o: SessionOptions;
  #state: SessionState = 'disconnected';
  #will: SessionWill | undefined;
  #msgId = 0;
  /** What to subscribe again after a reconnect with CleanSession=1. */
  readonly #subscriptions = new Map<string, { topic: SubscribeTopic; qos: Qos }>();

  constructor(options: SessionOptions) {
    this.#o = options;
    this.#will = options.will;
  }

  get state(): SessionState {
    return this.#state;
  }

  /** MsgIds 1..65535, wrapping (0x0000 is for QoS 0, §5.3.7). */
  nextMsgId(): number {
    this.#msgId = (this.#msgId % 0xffff) + 1;
    return this.#msgId;
  }

  /** The session is gone (the next session request reconnects); true if it was up. */
  markLost(): boolean {
    if (this.#state !== 'active' && this.#state !== 'awake') return false;
    this.#state = 'lost';
    return true;
  }

  /** connect(): CONNECT; the CONNACK return code. */
  async connect(): Promise<number> {
    const out = await this.#connectOnce();
    if (out.kind === 'lost') throw timeoutError('CONNECT');
    if (out.value === ReturnCode.ACCEPTED && this.#o.cleanSession) this.#subscriptions.clear();
    return out.value;
  }

  /** Active, reconnecting first if the gateway dropped the session; false: it did not answer. */
  async ensureSession(): Promise<boolean> {
    if (this.#state === 'active') return true;
    if (this.#state === 'disconnected')
      throw new MqttSnClientError('not_connected', 'not connected: call connect() first');
    const out = await this.#connectOnce();
    if (out.kind === 'lost' || out.value === ReturnCode.REJECTED_CONGESTION) return false;
    if (out.value !== ReturnCode.ACCEPTED)
      throw new MqttSnClientError('rejected', `reconnect: CONNACK return code ${out.value}`, out.value);
    this.#o.stats.reconnects++;
    if (!this.#o.cleanSession) return true;
    for (const { topic, qos } of [...this.#subscriptions.values()]) {
      const sub = await this.subscribe(topic, qos, false);
      if (sub.kind === 'lost') {
        this.markLost();
        return false;
      }
    }
    return true;
  }

  /** Runs `attempt` in an active session, reconnecting after a loss, N_retry times at most. */
  async withSession<T>(attempt: () => Promise<Outcome<T>>): Promise<T> {
    for (let lost = 0; ;) {
      if (await this.ensureSession()) {
        const out = await attempt();
        if (out.kind === 'reply') return out.value;
      }
      this.markLost();
      if (++lost > this.#o.maxRetries) throw timeoutError(`after ${lost} attempts to reach it`);
    }
  }

  /** REGISTER (§6.5); REGACK 0x01 waits T_WAIT (retryMs here) and tries again. */
  async register(name: string): Promise<Outcome<number>> {
    for (let congestion = 0; ; congestion++) {
      const msgId = this.nextMsgId();
      const out = await this.#o.exchange.run({
        packet: { type: 'REGISTER', topicId: 0, msgId, topicName: name },
        match: (p) => (p.type === 'REGACK' && p.msgId === msgId ? p : NO_MATCH),
      });
      if (out.kind === 'lost') return out;
      const { returnCode, topicId } = out.value;
      if (returnCode === ReturnCode.ACCEPTED) {
        this.registered.set(name, topicId);
        this.#o.inbound.topics.set(topicId, name); // §7.3: one table per client, both directions
        return { kind: 'reply', value: topicId };
      }
      if (returnCode !== ReturnCode.REJECTED_CONGESTION || congestion >= this.#o.maxRetries)
        throw new MqttSnClientError('rejected', `REGISTER ${name}: return code ${returnCode}`, returnCode);
      await this.#o.exchange.pause(this.#o.retryMs);
    }
  }

  /** The registered topic id of `name`, registering it first if needed. */
  topicIdOf(name: string): Promise<Outcome<number>> {
    const id = this.registered.get(name);
    return id === undefined ? this.register(name) : Promise.resolve({ kind: 'reply', value: id });
  }

  /** The name this client registered as normal topic id `topic.id`, if any. */
  nameOf(topic: PublishTopic): string | undefined {
    if (topic.kind !== 'normal') return undefined;
    for (const [name, id] of this.registered) if (id === topic.id) return name;
    return undefined;
  }

  /** PUBACK 0x02 (§6.7): the gateway no longer knows this id; register the name again next time. */
  forgetTopicId(topicId: number): void {
    for (const [name, id] of this.registered) if (id === topicId) this.registered.delete(name);
  }

  /** SUBSCRIBE (§6.9), resent with DUP=1; `track`: subscribe again after a reconnect. */
  async subscribe(topic: SubscribeTopic, qos: Qos, track: boolean): Promise<Outcome<SubackResult>> {
    const msgId = this.nextMsgId();
    const packet: SubscribePacket = { type: 'SUBSCRIBE', dup: false, qos, msgId, topic };
    const out = await this.#o.exchange.run<SubackResult>({
      packet,
      resend: { ...packet, dup: true },
      match: (p) =>
        p.type === 'SUBACK' && p.msgId === msgId
          ? { returnCode: p.returnCode, topicId: p.topicId, qos: p.qos }
          : NO_MATCH,
    });
    if (out.kind === 'reply' && out.value.returnCode === ReturnCode.ACCEPTED) {
      // §6.9: SUBACK carries the topic id of a name without wildcards; 0x0000 otherwise.
      if (topic.kind === 'name' && out.value.topicId !== 0)
        this.#o.inbound.topics.set(out.value.topicId, topic.name);
      if (track) this.#subscriptions.set(subscriptionKey(topic), { topic, qos });
    }
    return out;
  }

  /** UNSUBSCRIBE (§6.10). */
  async unsubscribe(topic: SubscribeTopic): Promise<Outcome<void>> {
    const msgId = this.nextMsgId();
    const out = await this.#o.exchange.run({
      packet: { type: 'UNSUBSCRIBE', msgId, topic },
      match: (p) => (p.type === 'UNSUBACK' && p.msgId === msgId ? undefined : NO_MATCH),
    });
    if (out.kind === 'reply') this.#subscriptions.delete(subscriptionKey(topic));
    return out;
  }

  /** PINGREQ → PINGRESP (§6.11). No answer after N_retry: the session counts as lost. */
  async ping(): Promise<void> {
    const out = await this.#o.exchange.run({ packet: { type: 'PINGREQ' }, match: only('PINGRESP') });
    if (out.kind === 'lost') {
      this.markLost();
      throw timeoutError('PINGREQ');
    }
  }

  /** SEARCHGW (§6.1) → the GwId of the first GWINFO; needs no session. */
  async searchGateway(radius: number): Promise<number> {
    const out = await this.#o.exchange.run({
      packet: { type: 'SEARCHGW', radius },
      match: (p) => (p.type === 'GWINFO' ? p.gwId : NO_MATCH),
    });
    if (out.kind === 'lost') throw timeoutError('SEARCHGW');
    return out.value;
  }

  /** DISCONNECT with Duration (§6.14): asleep once the gateway answers with DISCONNECT. */
  async sleep(durationS: number): Promise<void> {
    if (this.#state === 'disconnected')
      throw new MqttSnClientError('not_connected', 'sleep() before connect()');
    if (this.#state === 'lost' && !(await this.ensureSession())) throw timeoutError('CONNECT');
    const out = await this.#o.exchange.run({
      packet: { type: 'DISCONNECT', duration: durationS },
      match: only('DISCONNECT'),
    });
    if (out.kind === 'lost') {
      this.markLost();
      throw timeoutError('DISCONNECT (sleep)');
    }
    this.#state = 'asleep';
  }

  /** PINGREQ with the ClientId (§6.14): awake until PINGRESP, then asleep again. */
  async wake(): Promise<void> {
    if (this.#state !== 'asleep' && this.#state !== 'awake')
      throw new MqttSnClientError('invalid', `wake() while ${this.#state}, not asleep`);
    this.#state = 'awake';
    const out = await this.#o.exchange.run({
      packet: { type: 'PINGREQ', clientId: this.#o.clientId },
      match: only('PINGRESP'),
    });
    if (this.#state === 'awake') this.#state = 'asleep';
    if (out.kind === 'lost') throw timeoutError('PINGREQ (wake)');
  }

  /** DISCONNECT without Duration (§6.14): disconnected whatever the gateway says. */
  async disconnect(): Promise<void> {
    this.#state = 'disconnected';
    const out = await this.#o.exchange.run({ packet: { type: 'DISCONNECT' }, match: only('DISCONNECT') });
    if (out.kind === 'lost') throw timeoutError('DISCONNECT');
  }

  /** WILLTOPICUPD then WILLMSGUPD (§6.4); the first non-zero return code, or 0. */
  async updateWill(will: SessionWill | null): Promise<Outcome<number>> {
    const { exchange } = this.#o;
    const topic = await exchange.run({
      packet: { type: 'WILLTOPICUPD', will: will === null ? null : willFields(will) },
      match: (p) => (p.type === 'WILLTOPICRESP' ? p.returnCode : NO_MATCH),
    });
    if (topic.kind === 'lost' || topic.value !== ReturnCode.ACCEPTED) return topic;
    if (will !== null) {
      const msg = await exchange.run({
        packet: { type: 'WILLMSGUPD', willMsg: willPayload(will) },
        match: (p) => (p.type === 'WILLMSGRESP' ? p.returnCode : NO_MATCH),
      });
      if (msg.kind === 'lost' || msg.value !== ReturnCode.ACCEPTED) return msg;
    }
    this.#will = will ?? undefined;
    return { kind: 'reply', value: ReturnCode.ACCEPTED };
  }

  /** §6.3: WILLTOPICREQ → WILLTOPIC, WILLMSGREQ → WILLMSG (the empty forms without a Will). */
  answerWillRequest(type: 'WILLTOPICREQ' | 'WILLMSGREQ'): void {
    const will = this.#will;
    if (type === 'WILLTOPICREQ')
      this.#o.send({ type: 'WILLTOPIC', will: will === undefined ? null : willFields(will) });
    else this.#o.send({ type: 'WILLMSG', willMsg: will === undefined ? Buffer.alloc(0) : willPayload(will) });
  }

  /** CONNECT (§6.3) with the Will flag when a Will is set; the Will requests are answered by the dispatcher. */
  async #connectOnce(): Promise<Outcome<number>> {
    const { cleanSession, keepAliveS, clientId } = this.#o;
    const out = await this.#o.exchange.run({
      packet: {
        type: 'CONNECT',
        will: this.#will !== undefined,
        cleanSession,
        protocolId: PROTOCOL_ID,
        duration: keepAliveS,
        clientId,
      },
      match: (p) => (p.type === 'CONNACK' ? p.returnCode : NO_MATCH),
    });
    if (out.kind === 'reply' && out.value === ReturnCode.ACCEPTED) {
      this.#state = 'active';
      this.registered.clear(); // re-registered on demand: the gateway may have restarted
      if (cleanSession) this.#o.inbound.clear();
      this.#o.onActive();
    }
    return out;
  }
}

function willFields(will: SessionWill): { qos: Qos; retain: boolean; topic: string } {
  return { qos: will.qos, retain: will.retain, topic: will.topic };
}

function willPayload(will: SessionWill): Buffer {
  return typeof will.payload === 'string' ? Buffer.from(will.payload, 'utf8') : will.payload;
}

function subscriptionKey(topic: SubscribeTopic): string {
  return topic.kind === 'predefined' ? `predefined:${topic.id}` : `${topic.kind}:${topic.name}`;
}
