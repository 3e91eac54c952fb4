// What the gateway needs from whatever carries its messages to the broker: BrokerClient
// (MQTT.js and a socket, any broker) or LocalPublisher (the embedded broker, in the process;
// broker/local-publisher.ts). Both drain the same outbox by the same rule: lease within a
// window, acknowledge to the outbox only when the broker has the message.
import type { Service } from '../service.ts';
import type { Qos0WindowStatus } from './qos0-window.ts';
import type { Subscribe } from './subscriptions.ts';
import type { TlsLinkStatus } from './tls-refusals.ts';

/**
 * Messages a publisher leases per step of its pump. BrokerClient looks at the socket between
 * steps, so no more than about this many go past its high-water mark (socketBackedUp()).
 */
export const PUMP_BATCH = 256;

export interface Publisher extends Service {
  readonly connected: boolean;
  status(): BrokerClientStatus;
  progress(): BrokerClientProgress;
  /** Status messages outside the outbox (broker-client.ts publishNow); false when not sent. */
  publishNow(
    topic: string,
    payload: string,
    opts: { qos: 0 | 1 | 2; retain: boolean; correlationData?: Buffer },
  ): Promise<boolean>;
  /** Resolves true once the outbox is empty and nothing is in flight, false at the deadline. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Messages from the broker to the gateway's consumers (commands, requests, MQTT-SN). */
  readonly subscriptions: {
    add: Subscribe;
    /** Whether a message on `topic` would come back to the gateway (subscriptions.ts covers). */
    covers(topic: string): boolean;
  };
}

export interface BrokerClientStatus {
  connected: boolean;
  url: string;
  connects: number;
  lastError: string | null;
  inflight: number;
  inflightLimit: number;
  published: number;
  refusedByBroker: number;
  /** TLS refusals of the broker's certificate; see tls-refusals.ts. Set by BrokerClient. */
  tls?: TlsLinkStatus;
  /** QoS 0 publishes waiting for the socket (qos0-window.ts). Set by BrokerClient. */
  qos0Window?: Qos0WindowStatus;
}

/** For the systemd watchdog (src/ops/liveness.ts); times on performance.now()'s clock. */
export interface BrokerClientProgress {
  connected: boolean;
  inflight: number;
  /** Last connect, completed delivery, or start of an in-flight period after an idle one. */
  lastProgressAt: number;
}
