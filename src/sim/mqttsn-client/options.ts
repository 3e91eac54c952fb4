// The options and argument types of the simulated MQTT-SN client (client.ts).
import type { MqttSnPacket, PublishQos, PublishTopic } from '../../mqttsn/packet-types.ts';
import type { PacketFraming } from '../../framing/packet-framers.ts';
import type { Scheduler } from '../device.ts';
import type { MqttSnMessage } from './inbound.ts';
import type { SessionState, SessionWill } from './session.ts';

/** The Will (§6.3): sent in the CONNECT handshake, changed by updateWill(). */
export type MqttSnWill = SessionWill;

export interface MqttSnClientOptions {
  /** 1–23 octets (§5.3.1). */
  clientId: string;
  framing: PacketFraming;
  write: (bytes: Buffer) => void;
  /** CONNECT Duration (§5.4.4); default 60. PINGREQ every 75 % of it unless autoPing is false. */
  keepAliveS?: number;
  autoPing?: boolean;
  /** Default true. */
  cleanSession?: boolean;
  will?: MqttSnWill;
  /** T_retry (§6.13), ms; default 2000. */
  retryMs?: number;
  /** N_retry (§6.13); default 5. */
  maxRetries?: number;
  /** Requests (publishes included) waiting behind the current one; default 1000. */
  maxQueued?: number;
  /** Wireless Node Id: wrap every packet in Forwarder Encapsulation (§5.5); slip/cobs only. */
  nodeId?: Buffer;
  /** Pre-defined topic ids (§6.9), to name incoming PUBLISHes. */
  predefined?: Record<number, string>;
  /** Answer the gateway's REGISTER of these names with REGACK 0x03 (for tests). */
  rejectRegister?: (name: string) => boolean;
  onMessage?: (m: MqttSnMessage) => void;
  /** Every packet as on the wire (encapsulated if so), for tracing. */
  onPacket?: (dir: 'in' | 'out', p: MqttSnPacket) => void;
  /** Clock for the framer (ms); default Date.now. */
  now?: () => number;
  /** Timers; default setTimeout/clearTimeout. */
  scheduler?: Scheduler;
}

/** §6.14 from the client's side; `lost`: the gateway dropped the session, reconnect pending. */
export type MqttSnClientState = SessionState;

/** A topic to publish to; a string is a topic name, registered (and cached) first. */
export type PublishTarget = PublishTopic | string;
/** A topic to subscribe to; a string is a topic name or filter (+ and # allowed). */
export type SubscribeTarget = string | { kind: 'predefined'; id: number } | { kind: 'short'; name: string };

export interface PublishOptions {
  qos: PublishQos;
  retain?: boolean;
}
