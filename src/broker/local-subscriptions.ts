// Messages from the embedded broker to parts of the gateway, in the process (the counterpart
// of mqtt/subscriptions.ts for LocalPublisher): one broker subscription per filter while it
// has handlers, each handler getting a message at no more than the QoS it asked for
// (MQTT 3.1.1 §3.8.4: the lower of the published QoS and the granted one).
import type { Logger } from '../log/logger.ts';
import type { InboundHandler, QoS } from '../mqtt/subscriptions.ts';
import { topicMatches } from '../topics/filter.ts';
import { errorMessage } from '../errors.ts';
import type { LocalMessage } from './embedded.ts';

/** What LocalSubscriptions needs of the broker (EmbeddedBroker.subscribeAsGateway). */
export type SubscribeLocally = (
  filter: string,
  deliver: (message: LocalMessage) => void,
) => (() => void) | null;

interface Entry {
  qos: QoS;
  handler: InboundHandler;
}

export class LocalSubscriptions {
  private readonly byFilter = new Map<string, { entries: Set<Entry>; remove: () => void }>();

  constructor(
    private readonly subscribeLocally: SubscribeLocally,
    private readonly log: Logger,
  ) {}

  /** Adds a handler for `filter`; returns the function that removes it again. */
  add(filter: string, qos: QoS, handler: InboundHandler): () => void {
    const entry: Entry = { qos, handler };
    let held = this.byFilter.get(filter);
    if (held === undefined) {
      const entries = new Set<Entry>();
      // Added before subscribing: the retained messages it delivers go to this handler too.
      entries.add(entry);
      const remove = this.subscribeLocally(filter, (message) => this.dispatch(filter, entries, message));
      if (remove === null) {
        this.log.warn({ filter }, 'the embedded broker refused a subscription (ACL?)');
        return () => entries.delete(entry);
      }
      held = { entries, remove };
      this.byFilter.set(filter, held);
    } else held.entries.add(entry);
    const current = held;
    return () => {
      current.entries.delete(entry);
      if (current.entries.size > 0 || this.byFilter.get(filter) !== current) return;
      this.byFilter.delete(filter);
      current.remove();
    };
  }

  /** Whether a message on `topic` would come back to the gateway (a filter with handlers). */
  covers(topic: string): boolean {
    for (const filter of this.byFilter.keys()) if (topicMatches(filter, topic)) return true;
    return false;
  }

  private dispatch(filter: string, entries: ReadonlySet<Entry>, message: LocalMessage): void {
    for (const { qos, handler } of entries) {
      try {
        handler({
          topic: message.topic,
          payload: message.payload,
          qos: Math.min(qos, message.qos) as QoS,
          retain: message.retain,
        });
      } catch (error) {
        // One faulty consumer must not stop the others or the broker's delivery.
        this.log.error({ filter, topic: message.topic, err: errorMessage(error) }, 'message handler failed');
      }
    }
  }
}
