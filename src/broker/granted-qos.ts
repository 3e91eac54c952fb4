// MQTT 3.1.1 §3.8.4 [MQTT-3.8.4-6] / §3.3.5: a message is delivered at the minimum of its
// QoS and the maximum QoS granted to the client's matching subscriptions. aedes 1.2 looks the
// granted QoS up by the *topic* (client.subscriptions[packet.topic]), so a QoS 1 subscription
// to `t/#` receives QoS 2 deliveries; embedded.ts applies this in authorizeForward instead.
// Pure.
import { topicMatches } from '../topics/filter.ts';

/** The highest QoS granted to any of `subscriptions` (filter → QoS) matching `topic`. */
export function maxGrantedQos(subscriptions: ReadonlyMap<string, number>, topic: string): number | undefined {
  let max: number | undefined;
  for (const [filter, qos] of subscriptions) {
    if (topicMatches(filter, topic) && (max === undefined || qos > max)) max = qos;
  }
  return max;
}
