// An MQTT-SN port's broker subscriptions: its clients' SUBSCRIBEs (MQTT-SN 1.2 §6.9), one
// handler per client subscription, by filter and QoS. Subscriptions (mqtt/subscriptions.ts)
// keeps one broker subscription per filter at the highest QoS still wanted.
import type { InboundMessage, QoS, Subscribe } from '../mqtt/subscriptions.ts';

export class MqttSnUpstream {
  private readonly removers = new Map<string, (() => void)[]>();
  /** The last broker message handed on: one message may match several of our filters. */
  private lastInbound: object | null = null;

  constructor(
    private readonly subscribe: Subscribe,
    private readonly deliver: (m: InboundMessage) => void,
  ) {}

  add(filter: string, qos: QoS): void {
    const key = `${qos} ${filter}`;
    const removers = this.removers.get(key) ?? [];
    removers.push(
      this.subscribe(filter, qos, (m) => {
        // Subscriptions hands one message object to every matching handler; the gateway
        // matches each client's filters itself, so one call per message is enough.
        if (m === this.lastInbound) return;
        this.lastInbound = m;
        this.deliver(m);
      }),
    );
    this.removers.set(key, removers);
  }

  /** Ends one add(filter, qos) made earlier. */
  remove(filter: string, qos: QoS): void {
    const key = `${qos} ${filter}`;
    const removers = this.removers.get(key);
    removers?.pop()?.();
    if (removers?.length === 0) this.removers.delete(key);
  }

  /** The port stopped: every broker subscription it made ends. */
  clear(): void {
    for (const removers of this.removers.values()) for (const remove of removers) remove();
    this.removers.clear();
  }
}
