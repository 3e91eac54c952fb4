// The gateway's publisher when the broker is the embedded one: it hands each message to aedes
// in the process (EmbeddedBroker.publishAsGateway) instead of encoding it in an MQTT.js
// client, sending it through a loopback socket and parsing it again in aedes. That round trip
// made the embedded site cost 1.48× a gateway with Mosquitto (docs/performance.md).
//
// The outbox rule is BrokerClient's: lease only what the window holds (queue.inflight),
// acknowledge a message to the outbox only when the broker has it (publishAsGateway's
// callback), dead-letter what the gateway's login may not publish (as a broker's 0x87 would),
// retry what failed otherwise. There is no connection to lose: the broker lives and dies
// with this process, so there is no session to resume and no will to leave.
import type { Logger } from '../log/logger.ts';
import type { QueuedMessage, SessionOutbox } from '../queue/outbox.ts';
import { decideOnFailure } from '../mqtt/delivery-failure.ts';
import { PUMP_BATCH } from '../mqtt/publisher.ts';
import type { BrokerClientProgress, BrokerClientStatus, Publisher } from '../mqtt/publisher.ts';
import type { LocalMessage } from './embedded.ts';
import { LocalSubscriptions } from './local-subscriptions.ts';
import type { SubscribeLocally } from './local-subscriptions.ts';
import { IdleWait } from '../mqtt/idle-wait.ts';

/** What LocalPublisher needs of the broker (EmbeddedBroker). */
export interface LocalBroker {
  publishAsGateway(message: LocalMessage, done: (refusal: string | null, error?: Error) => void): void;
  subscribeAsGateway: SubscribeLocally;
}

export interface LocalPublisherOptions {
  broker: LocalBroker;
  outbox: SessionOutbox;
  inflight: number;
  log: Logger;
  /** Called once started: publish retained state (gateway/state, availability). */
  onConnect?: () => void;
  /** A message delivered: its latency from reading to the broker having it (/metrics). */
  onDelivered?: (qos: 0 | 1 | 2, latencyMs: number) => void;
}

export class LocalPublisher implements Publisher {
  readonly name = 'publisher';
  readonly subscriptions: LocalSubscriptions;
  private running = false;
  private pumping = false;
  private pumpScheduled = false;
  private inflight = 0;
  private published = 0;
  private refusedByBroker = 0;
  private lastError: string | null = null;
  private lastProgressAt = performance.now();
  private unsubscribeOutbox: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly idle = new IdleWait(() => this.options.outbox.stats().depth === 0 && this.inflight === 0);

  constructor(private readonly options: LocalPublisherOptions) {
    this.subscriptions = new LocalSubscriptions(
      (filter, deliver) => options.broker.subscribeAsGateway(filter, deliver),
      options.log,
    );
  }

  start(_signal: AbortSignal): Promise<void> {
    const { outbox, log } = this.options;
    // A session stored by an earlier run that published over a socket died with that run's
    // broker (aedes keeps sessions in memory): its messages are sent again, at least once.
    const resumed = outbox.packets.all().length;
    if (resumed > 0) outbox.packets.clear();
    this.running = true;
    this.unsubscribeOutbox = outbox.onAvailable(() => this.schedulePump());
    // Messages waiting for a retry become leasable with time, not with an event.
    this.retryTimer = setInterval(() => this.pump(), 1000);
    this.retryTimer.unref();
    // The same line as BrokerClient's: whoever waits for it (people, scripts) finds it here too.
    log.info({ url: 'in-process', inflight: this.options.inflight, resumed }, 'connected to broker');
    outbox.setWriteBehind?.(true);
    this.options.onConnect?.();
    this.pump();
    return Promise.resolve();
  }

  get connected(): boolean {
    return this.running;
  }

  status(): BrokerClientStatus {
    return {
      connected: this.running,
      url: 'in-process',
      connects: this.running ? 1 : 0,
      lastError: this.lastError,
      inflight: this.inflight,
      inflightLimit: this.options.inflight,
      published: this.published,
      refusedByBroker: this.refusedByBroker,
    };
  }

  progress(): BrokerClientProgress {
    return { connected: this.running, inflight: this.inflight, lastProgressAt: this.lastProgressAt };
  }

  publishNow(topic: string, payload: string, opts: { qos: 0 | 1 | 2; retain: boolean }): Promise<boolean> {
    if (!this.running) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.options.broker.publishAsGateway(
        { topic, payload: Buffer.from(payload), qos: opts.qos, retain: opts.retain },
        (refusal, error) => {
          const why = refusal ?? error?.message;
          if (why !== undefined) this.options.log.debug({ topic, err: why }, 'status publish failed');
          resolve(why === undefined);
        },
      );
    });
  }

  drain(timeoutMs: number): Promise<boolean> {
    return this.idle.until(timeoutMs);
  }

  stop(): Promise<void> {
    this.running = false;
    clearInterval(this.retryTimer);
    this.unsubscribeOutbox?.();
    this.unsubscribeOutbox = undefined;
    return Promise.resolve();
  }

  /** One pump after the current callbacks (all reads of this turn), however many asked. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Leases and publishes until the window is full or the outbox is empty. */
  private pump(): void {
    if (this.pumping || !this.running) return;
    this.pumping = true;
    try {
      for (;;) {
        const room = Math.min(this.options.inflight - this.inflight, PUMP_BATCH);
        if (room <= 0) break;
        const batch = this.options.outbox.lease(room);
        for (const message of batch) this.send(message);
        if (batch.length < room) break;
      }
    } finally {
      this.pumping = false;
    }
    this.idle.check();
  }

  private send(message: QueuedMessage): void {
    if (this.inflight === 0) this.lastProgressAt = performance.now(); // was idle
    this.inflight += 1;
    this.options.broker.publishAsGateway(message, (refusal, error) => this.finish(message, refusal, error));
  }

  private finish(message: QueuedMessage, refusal: string | null, error: Error | undefined): void {
    const { outbox, log } = this.options;
    this.inflight -= 1;
    this.lastProgressAt = performance.now();
    if (refusal === null && error === undefined) {
      this.published += 1;
      outbox.ack(message.id);
      this.options.onDelivered?.(message.qos, Date.now() - message.createdAt);
    } else {
      // Refused by the gateway's login's ACL: what a broker answers with 0x87 (permanent);
      // anything else as a broker's unspecified error 0x80 (retried, then dead-lettered).
      this.refusedByBroker += 1;
      this.lastError = refusal ?? error?.message ?? null;
      const decision = decideOnFailure(refusal === null ? 0x80 : 0x87, message.attempts);
      if (decision.action === 'dead_letter') {
        const reason = `${decision.reason}: ${this.lastError}`;
        log.warn({ queueId: message.id, topic: message.topic, reason }, 'message moved to the dead letters');
        outbox.deadLetter(message.id, reason);
      } else {
        log.warn(
          { queueId: message.id, err: this.lastError, retryInMs: decision.delayMs },
          'embedded broker did not take a message; will retry',
        );
        outbox.release(message.id, { delayMs: decision.delayMs, attempted: true });
      }
    }
    this.schedulePump();
  }
}
