// Messages from the broker to parts of the gateway (device commands, requests, MQTT-SN
// devices' subscriptions, MySensors commands): each part adds a filter with a handler; one broker subscription per
// filter, at the highest QoS asked for it, dropped with its last handler. The MQTT session
// is persistent (broker-client.ts: clean = false), so the broker keeps subscriptions and queues
// QoS 1/2 messages while the gateway is away. What the broker has confirmed (SUBACK) is
// remembered until its UNSUBACK; on every connect whatever it lacks is subscribed —
// everything when the session is new (CONNACK session present = 0, MQTT 3.1.1 §3.2.2.2) —
// what it holds that no handler wants any more is unsubscribed, and nothing is subscribed
// twice, which would make the broker send retained messages again
// ([MQTT-3.8.4-3]). MQTT.js's own `resubscribe` is therefore off for this client.
import type { MqttClient } from 'mqtt';
import type { Logger } from '../log/logger.ts';
import type { QoS } from '../pipeline/message.ts';
import { topicMatches } from '../topics/filter.ts';
import { errorMessage } from '../errors.ts';

export type { QoS };

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** MQTT 5 Message Expiry Interval in seconds, as the broker forwarded it (§3.3.2.3.3). */
  expirySeconds?: number;
  /** MQTT 5 Correlation Data (§3.3.2.3.6). */
  correlationData?: Buffer;
  /** MQTT 5 Response Topic (§3.3.2.3.5). */
  responseTopic?: string;
}

export type InboundHandler = (message: InboundMessage) => void;

/** Adds a broker subscription with its handler; returns its removal (Subscriptions.add). */
export type Subscribe = (filter: string, qos: QoS, handler: InboundHandler) => () => void;

interface Entry {
  qos: QoS;
  handler: InboundHandler;
}

export class Subscriptions {
  private readonly byFilter = new Map<string, Set<Entry>>();
  /** Filters the broker has confirmed in this session, with their QoS. */
  private readonly confirmed = new Map<string, QoS>();
  /** SUBSCRIBEs sent and not yet answered (not sent twice while one is on its way). */
  private readonly requested = new Map<string, QoS>();
  /**
   * UNSUBSCRIBEs sent and not yet answered. Their filters stay `confirmed` until the UNSUBACK:
   * the persistent session keeps the subscription if the connection ends first, and the
   * next connect must unsubscribe it again.
   */
  private readonly unsubscribing = new Set<string>();
  private client: MqttClient | undefined;

  constructor(private readonly log: Logger) {}

  /** Called by the publisher once its client exists (before it connects). */
  attach(client: MqttClient): void {
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      const message: InboundMessage = { topic, payload, qos: packet.qos, retain: packet.retain };
      const expiry = packet.properties?.messageExpiryInterval;
      if (expiry !== undefined) message.expirySeconds = expiry;
      const correlation = packet.properties?.correlationData;
      if (correlation !== undefined) message.correlationData = correlation;
      const responseTopic = packet.properties?.responseTopic;
      if (responseTopic !== undefined) message.responseTopic = responseTopic;
      this.dispatch(message);
    });
    client.on('connect', (connack) => {
      if (!connack.sessionPresent) this.confirmed.clear();
      this.requested.clear(); // unanswered ones died with the old connection
      this.unsubscribing.clear();
      for (const filter of new Set([...this.byFilter.keys(), ...this.confirmed.keys()])) this.sync(filter);
    });
  }

  /** Adds a handler for `filter`; returns the function that removes it again. */
  add(filter: string, qos: QoS, handler: InboundHandler): () => void {
    const entry: Entry = { qos, handler };
    const entries = this.byFilter.get(filter) ?? new Set<Entry>();
    entries.add(entry);
    this.byFilter.set(filter, entries);
    this.sync(filter);
    return () => {
      entries.delete(entry);
      if (entries.size === 0) this.byFilter.delete(filter);
      this.sync(filter);
    };
  }

  /** Filters the broker has confirmed, with their QoS, for status and tests. */
  filters(): ReadonlyMap<string, QoS> {
    return this.confirmed;
  }

  /**
   * Whether a message on `topic` would come back to the gateway: a filter with handlers, or
   * one the broker still holds for this session. The gateway never answers a request there
   * (requests/response-topic.ts).
   */
  covers(topic: string): boolean {
    for (const filter of new Set([
      ...this.byFilter.keys(),
      ...this.confirmed.keys(),
      ...this.requested.keys(),
    ]))
      if (topicMatches(filter, topic)) return true;
    return false;
  }

  private dispatch(message: InboundMessage): void {
    for (const [filter, entries] of this.byFilter) {
      if (!topicMatches(filter, message.topic)) continue;
      for (const { handler } of entries) {
        try {
          handler(message);
        } catch (error) {
          // One faulty consumer must not stop the others or the MQTT client's event loop.
          this.log.error({ topic: message.topic, err: errorMessage(error) }, 'message handler failed');
        }
      }
    }
  }

  /** Brings the broker's subscription for `filter` in line with its handlers (when connected). */
  private sync(filter: string): void {
    const client = this.client;
    if (client === undefined || !client.connected) return; // done on connect
    const entries = this.byFilter.get(filter);
    // An UNSUBSCRIBE on its way is answered first; its answer syncs the filter again.
    if (this.unsubscribing.has(filter)) return;
    const wanted = entries === undefined ? undefined : (Math.max(...[...entries].map((e) => e.qos)) as QoS);
    if (wanted === (this.requested.get(filter) ?? this.confirmed.get(filter))) return;
    if (wanted === undefined) {
      this.requested.delete(filter);
      this.unsubscribing.add(filter);
      client.unsubscribe(filter, (error) => {
        this.unsubscribing.delete(filter);
        // Unanswered because the connection ended: the session still holds it, and the next
        // connect unsubscribes it again. The connection's loss has its own warning.
        if (error && connectionEnded(client))
          return this.log.debug(
            { filter, err: error.message },
            'unsubscribe unanswered; again at the next connect',
          );
        if (error) return this.log.warn({ filter, err: error.message }, 'unsubscribe failed');
        this.confirmed.delete(filter);
        this.sync(filter); // a handler added meanwhile subscribes it again
      });
      return;
    }
    this.requested.set(filter, wanted);
    client.subscribe(filter, { qos: wanted }, (error, granted) => {
      if (this.requested.get(filter) === wanted) this.requested.delete(filter);
      // Unanswered because the connection ended: the next connect subscribes again (above),
      // and the connection's loss has its own warning. Not a failure to report twice.
      if (error && connectionEnded(client))
        return this.log.debug(
          { filter, err: error.message },
          'subscribe unanswered; again at the next connect',
        );
      if (error) return this.log.warn({ filter, err: error.message }, 'subscribe failed');
      const refused = granted?.find((g) => g.qos >= 0x80);
      if (refused !== undefined)
        return this.log.warn({ filter, code: refused.qos }, 'the broker refused a subscription (ACL?)');
      this.confirmed.set(filter, wanted);
    });
  }
}

/**
 * Whether a request's error came from the connection ending: MQTT.js answers pending
 * SUBSCRIBEs and UNSUBSCRIBEs with an error as its socket closes, before it clears `connected`.
 */
function connectionEnded(client: MqttClient): boolean {
  return !client.connected || client.stream.destroyed;
}
