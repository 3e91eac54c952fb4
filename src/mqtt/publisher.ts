// The network half's only MQTT.js user (ARCHITECTURE.md boundary): drains the outbox to
// the broker. It leases only while connected, keeps at most min(queue.inflight, the
// broker's Receive Maximum [MQTT-3.3.4-9]) messages in flight, and acknowledges a message
// to the outbox only when the broker's PUBACK/PUBCOMP reports success.
//
// It never uses connectAsync at start-up (that rejects and ends the client when the
// broker is down): it connects in the background and reconnects with jittered backoff.
import type { Socket } from 'node:net';
import mqtt from 'mqtt';
import type { IConnackPacket, MqttClient } from 'mqtt';
import type { Logger } from '../log.ts';
import type { Outbox, QueuedMessage } from '../queue/outbox.ts';
import type { Service } from '../service.ts';
import { createBackoff } from './backoff.ts';
import { redactUrl, toClientOptions } from './connect-options.ts';
import type { BrokerLink } from './connect-options.ts';

export interface PublisherOptions {
  link: BrokerLink;
  outbox: Outbox;
  inflight: number;
  log: Logger;
  /** Called after every successful (re)connect: republish retained state (gateway/state, availability). */
  onConnect?: () => void;
}

export interface PublisherStatus {
  connected: boolean;
  url: string;
  connects: number;
  lastError: string | null;
  inflight: number;
  inflightLimit: number;
  published: number;
  rejectedByBroker: number;
}

/** MQTT 5 reason codes ≥ 0x80 are failures (MQTT 5 §2.4). */
function reasonCodeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export class Publisher implements Service {
  readonly name = 'publisher';
  private client: MqttClient | undefined;
  private readonly backoff = createBackoff(1000, 60_000);
  private reconnectTimer: NodeJS.Timeout | undefined;
  private unsubscribeOutbox: (() => void) | undefined;
  private inflightLimit: number;
  private inflight = 0;
  private connects = 0;
  private published = 0;
  private rejectedByBroker = 0;
  private lastError: string | null = null;
  private stopping = false;
  private pumping = false;
  private readonly idleWaiters = new Set<() => void>();

  constructor(private readonly options: PublisherOptions) {
    this.inflightLimit = options.inflight;
  }

  start(_signal: AbortSignal): Promise<void> {
    const { link, log } = this.options;
    const client = mqtt.connect(link.url, toClientOptions(link));
    this.client = client;
    client.on('connect', (connack) => this.onConnect(connack));
    client.on('close', () => this.onClose());
    client.on('error', (error) => {
      this.lastError = error.message;
      log.warn({ err: error.message, url: redactUrl(link.url) }, 'broker connection error');
    });
    this.unsubscribeOutbox = this.options.outbox.onAvailable(() => this.pump());
    log.info({ url: redactUrl(link.url), clientId: link.clientId }, 'connecting to broker');
    return Promise.resolve();
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  status(): PublisherStatus {
    return {
      connected: this.connected,
      url: redactUrl(this.options.link.url),
      connects: this.connects,
      lastError: this.lastError,
      inflight: this.inflight,
      inflightLimit: this.inflightLimit,
      published: this.published,
      rejectedByBroker: this.rejectedByBroker,
    };
  }

  /**
   * Publishes a status message (gateway/state, availability, health) directly, outside the
   * outbox: these describe the present, so only the latest matters and the owner
   * republishes it on every reconnect. Resolves false when not connected.
   */
  publishNow(topic: string, payload: string, opts: { qos: 0 | 1 | 2; retain: boolean }): Promise<boolean> {
    const client = this.client;
    if (client === undefined || !client.connected) return Promise.resolve(false);
    return new Promise((resolve) => {
      client.publish(topic, payload, opts, (error) => {
        // MQTT.js passes undefined or null for success depending on the path.
        if (error) this.options.log.debug({ topic, err: error.message }, 'status publish failed');
        resolve(!error);
      });
    });
  }

  /** Resolves true once the outbox is empty and nothing is in flight, false at the deadline. */
  async drain(timeoutMs: number): Promise<boolean> {
    const isIdle = (): boolean => this.options.outbox.stats().depth === 0 && this.inflight === 0;
    if (isIdle()) return true;
    if (!this.connected) return false;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters.delete(check);
        resolve(false);
      }, timeoutMs);
      const check = (): void => {
        if (!isIdle()) return;
        clearTimeout(timer);
        this.idleWaiters.delete(check);
        resolve(true);
      };
      this.idleWaiters.add(check);
    });
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    this.unsubscribeOutbox?.();
    const client = this.client;
    if (client === undefined) return;
    // A clean DISCONNECT suppresses the will: the owner has already published `offline`.
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
    this.backoff.reset();
    this.lastError = null;
    const receiveMaximum = connack.properties?.receiveMaximum ?? 65535;
    this.inflightLimit = Math.max(1, Math.min(this.options.inflight, receiveMaximum));
    // MQTT.js leaves Nagle on: without no-delay, small publishes wait up to 40 ms.
    (this.client?.stream as Partial<Socket> | undefined)?.setNoDelay?.(true);
    log.info({ url: redactUrl(link.url), inflight: this.inflightLimit }, 'connected to broker');
    this.options.onConnect?.();
    this.pump();
  }

  private onClose(): void {
    if (this.stopping) return;
    const delay = this.backoff.next();
    this.options.log.warn(
      { url: redactUrl(this.options.link.url), retryInMs: delay, lastError: this.lastError },
      'broker connection lost; messages stay queued',
    );
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      if (!this.stopping) this.client?.reconnect();
    }, delay);
  }

  /** Leases and sends until the in-flight window is full or the outbox is empty. */
  private pump(): void {
    if (this.pumping || this.stopping) return;
    this.pumping = true;
    try {
      while (this.connected && this.inflight < this.inflightLimit) {
        const batch = this.options.outbox.lease(this.inflightLimit - this.inflight);
        if (batch.length === 0) break;
        for (const message of batch) this.send(message);
      }
    } finally {
      this.pumping = false;
    }
    for (const waiter of [...this.idleWaiters]) waiter();
  }

  private send(message: QueuedMessage): void {
    const client = this.client;
    if (client === undefined) return;
    this.inflight += 1;
    client.publish(message.topic, message.payload, { qos: message.qos, retain: message.retain }, (error) => {
      this.inflight -= 1;
      if (!error) {
        this.published += 1;
        this.options.outbox.ack(message.id);
      } else if ((reasonCodeOf(error) ?? 0) >= 0x80) {
        // Refused for good by the broker (MQTT 5 §3.4.2.1): it must not block the rest.
        // Issue 3 moves such messages to a dead-letter table; until then they are counted.
        this.rejectedByBroker += 1;
        this.options.log.warn({ topic: message.topic, err: error.message }, 'broker refused message');
        this.options.outbox.ack(message.id);
      } else {
        // Connection closed under it while stopping: give it back to the queue.
        this.options.outbox.release(message.id);
      }
      this.pump();
    });
  }
}
