// What the MQTT-SN handlers share: the port's settings, its clients, its counters, and the
// environment — everything with I/O or time behind one interface, so the protocol logic
// stays pure and testable with a fake (docs/architecture.md: a clock is injected).
import type { MqttSnSpec } from '../config/schema.ts';
import type { FieldTable } from '../pipeline/validate.ts';
import type { OutMessage, SeqMark, SubmitResult } from '../pipeline/message.ts';
import type { ClientSession, ClientState } from './client-state.ts';
import type { InnerPacket, Qos } from './packet-types.ts';

/** Why a packet from a device was not acted on (counted per reason, logged at a limited rate). */
export type SnDropReason =
  | 'not_connected'
  | 'unsupported_protocol'
  | 'unexpected'
  | 'invalid_topic_id'
  | 'topic_refused'
  | 'payload_refused'
  | 'queue_full'
  | 'too_many_clients'
  | 'too_many_subscriptions'
  | 'delivery_dropped'
  | 'delivery_too_large'
  | 'delivery_failed'
  | 'sleep_buffer_full';

export interface SnEnvironment {
  now(): number;
  /** To one client; the port wraps it for a forwarder's node (§5.5) and frames it. */
  send(address: string, packet: InnerPacket): void;
  /** Into the durable queue (QoS 1/2) or the ring (QoS 0), with an optional de-dup mark. */
  queue(messages: OutMessage[], mark?: SeqMark): Promise<SubmitResult>;
  /** The marks committed under a key (restores a client's de-dup window after a restart). */
  marks(key: string): readonly SeqMark[];
  /** Deletes the marks under a key, in memory and on disk: the client's session ended for good. */
  forgetMarks(key: string): void;
  /** Upstream subscriptions, counted by the environment (many clients, one filter). */
  subscribe(filter: string, qos: Qos): void;
  /** Ends one subscribe(filter, qos) made earlier. */
  unsubscribe(filter: string, qos: Qos): void;
  drop(reason: SnDropReason, detail: string, address: string): void;
  clientChanged(client: ClientSession, from: ClientState): void;
}

export interface SnSettings {
  /** The port's name: OutMessage.port and the de-dup mark keys. */
  port: string;
  /** `base_topic/<port>`: every device topic lives under it (docs/contract.md §4.2). */
  prefix: string;
  spec: MqttSnSpec;
  /** Fields by wire key, the key being the device-relative topic name. */
  fields: FieldTable;
  /** Predefined topic id → device-relative name (§6.9). */
  predefined: ReadonlyMap<number, string>;
  /** Device-relative name → predefined id (downlink uses the id where there is one). */
  predefinedIds: ReadonlyMap<string, number>;
  /** Names under the port the gateway publishes itself: no device may write them (publish-rules.ts). */
  reserved: ReadonlySet<string>;
}

export interface SnCounters {
  packetsIn: number;
  packetsOut: number;
  connects: number;
  /** PUBLISHes from devices queued for the broker. */
  published: number;
  /** Retransmissions (DUP) recognised and acknowledged again, not queued twice. */
  duplicates: number;
  /** Messages from the broker handed to devices (PUBLISH sent; QoS 1/2 acknowledged). */
  delivered: number;
  willsPublished: number;
  lost: number;
  drops: Partial<Record<SnDropReason, number>>;
}

export function createSnCounters(): SnCounters {
  return {
    packetsIn: 0,
    packetsOut: 0,
    connects: 0,
    published: 0,
    duplicates: 0,
    delivered: 0,
    willsPublished: 0,
    lost: 0,
    drops: {},
  };
}

export interface SnContext {
  readonly env: SnEnvironment;
  readonly settings: SnSettings;
  readonly clients: Map<string, ClientSession>;
  readonly counters: SnCounters;
}

export function send(ctx: SnContext, address: string, packet: InnerPacket): void {
  ctx.counters.packetsOut += 1;
  ctx.env.send(address, packet);
}

export function drop(ctx: SnContext, reason: SnDropReason, detail: string, address: string): void {
  ctx.counters.drops[reason] = (ctx.counters.drops[reason] ?? 0) + 1;
  ctx.env.drop(reason, detail, address);
}

/**
 * The topic id of `name` for a client that asked for it (REGISTER §6.5, SUBSCRIBE to a topic
 * name §6.9): the client learns it from the REGACK/SUBACK. Undefined, dropped and counted,
 * when the client's topic table is full.
 */
export function assignTopicId(ctx: SnContext, client: ClientSession, name: string): number | undefined {
  const id = client.topics.assign(name);
  if (id === undefined) {
    drop(
      ctx,
      'topic_refused',
      `topic table full (max_topics ${ctx.settings.spec.max_topics})`,
      client.address,
    );
    return undefined;
  }
  client.knownIds.add(id);
  return id;
}

export function setState(ctx: SnContext, client: ClientSession, state: ClientState): void {
  const from = client.state;
  if (from === state) return;
  client.state = state;
  ctx.env.clientChanged(client, from);
}
