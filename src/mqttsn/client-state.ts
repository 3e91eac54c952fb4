// One MQTT-SN client as the gateway sees it (MQTT-SN 1.2 §6.14, Fig. 4): its state, keep-
// alive, Will, topic table, subscriptions and what is on its way to it. Plain data plus
// small helpers; the handlers (connection.ts, uplink.ts, downlink.ts) change it.
import type { PublishTopic, Qos } from './packet-types.ts';
import { TopicRegistry } from './topic-registry.ts';
import { createSeqWindow } from '../line/seq-window.ts';
import type { SeqWindow } from '../line/seq-window.ts';

/**
 * §6.14: Active, Asleep, Awake, Disconnected, Lost. `connecting` is the Will handshake of
 * §6.3 (CONNECT → WILLTOPICREQ → WILLTOPIC → WILLMSGREQ → WILLMSG → CONNACK).
 */
export type ClientState = 'connecting' | 'active' | 'asleep' | 'awake' | 'disconnected' | 'lost';

export interface Will {
  topic: string; // the broker topic, already confined
  qos: Qos;
  retain: boolean;
  payload: Buffer;
}

export interface Subscription {
  /** The broker filter (confined under the port's prefix). */
  filter: string;
  qos: Qos;
  /** How the client asked: deliveries on a predefined id or short name use that form. */
  topic: { kind: 'name' } | { kind: 'predefined'; id: number } | { kind: 'short'; name: string };
}

/** A message on its way to the client (§6.10: REGISTER first where needed, then PUBLISH). */
export interface Delivery {
  /** Name relative to the port's prefix. */
  name: string;
  payload: Buffer;
  qos: Qos;
  retain: boolean;
  /** Set once chosen: predefined id, short name, or a registered normal id. */
  topic?: PublishTopic;
}

/** The one exchange with the client the gateway waits for (§6.13: T_retry, N_retry). */
export interface Outstanding {
  kind: 'register' | 'publish' | 'pubrel';
  msgId: number;
  delivery: Delivery;
  sentAt: number;
  tries: number;
}

export class ClientSession {
  state: ClientState = 'connecting';
  clientId = '';
  keepAliveMs = 0;
  lastHeard: number;
  sleepMs = 0;
  asleepSince = 0;
  cleanSession = true;
  will: Will | null = null;
  /** The Will topic received in the handshake, waiting for WILLMSG. */
  pendingWill: Omit<Will, 'payload'> | null = null;
  readonly topics: TopicRegistry;
  /** Normal ids the client knows: it REGISTERed them, or it REGACKed ours (§6.10). */
  readonly knownIds = new Set<number>();
  readonly subscriptions = new Map<string, Subscription>();
  /** QoS 2 PUBLISHes queued and PUBRECed, waiting for the client's PUBREL (§6.7). */
  readonly awaitingRel = new Set<number>();
  /** Uplink retransmissions recognised by MsgId and content (DUP = 1), across restarts. */
  dedupe: SeqWindow = createSeqWindow(256);
  /** QoS 1/2 PUBLISHes being queued, by MsgId: a resend waits for the first copy. */
  readonly pendingUplink = new Map<number, Promise<void>>();
  /** Deliveries waiting their turn (also the sleep buffer, §6.14), oldest first. */
  readonly downlink: Delivery[] = [];
  outstanding: Outstanding | null = null;
  private nextMsgId = 1;

  constructor(
    readonly address: string,
    maxTopics: number,
    now: number,
  ) {
    this.topics = new TopicRegistry(maxTopics);
    this.lastHeard = now;
  }

  /** A MsgId for the gateway's own REGISTER or PUBLISH: 1..0xFFFF, never 0 (§5.3.7). */
  takeMsgId(): number {
    const id = this.nextMsgId;
    this.nextMsgId = id >= 0xffff ? 1 : id + 1;
    return id;
  }

  /** §6.2 clean session: forget subscriptions, topics, Will, and what was on its way. */
  clean(): void {
    this.topics.clear();
    this.knownIds.clear();
    this.subscriptions.clear();
    this.awaitingRel.clear();
    this.downlink.length = 0;
    this.outstanding = null;
    this.will = null;
  }

  /** Key of the client's `#seq`-style marks in the queue database (docs/contract.md §4.1 reused). */
  static markKey(port: string, clientId: string): string {
    return `${port}\u0000mqttsn:${clientId}`;
  }
}
