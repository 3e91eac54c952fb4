// Which MQTT 5 Response Topic (§3.3.2.3.5) a request may name. The gateway publishes its
// answer there under its own identity, with its own broker permissions: left unchecked,
// anyone allowed to publish on `<base>/gateway/request/#` could have the gateway publish on
// `<base>/<port>/<command>/set` and so write to a device (a confused deputy). So a Response
// Topic is honoured only
//   - under the gateway's own answer namespace `<base>/gateway/response/`, with a non-empty rest;
//   - if it is not one of the gateway's own subscriptions (a topic it subscribes to would be
//     delivered straight back to one of its handlers: a device command, an MQTT-SN device);
//   - as a topic NAME: no `+`/`#` (MQTT 5 §3.3.2.3.5 "MUST NOT contain wildcard characters"),
//     no U+0000 (§1.5.4), and not a `$`-topic (§4.7.2: reserved for the broker);
//   - at most MAX_RESPONSE_TOPIC_BYTES long (it is echoed in logs and published).
// Pure: the subscription check is passed in.
import { isValidTopicName } from '../topics/filter.ts';
import { responsePrefix } from '../topics/gateway-owned.ts';

export type ResponseTopicRefusal = 'dollar' | 'wildcard' | 'too_long' | 'outside' | 'subscribed';

/** Far above any real answer topic; bounds what a refused one costs in a log line. */
export const MAX_RESPONSE_TOPIC_BYTES = 512;

/** Why `topic` may not carry an answer, or null when it may. */
export function refuseResponseTopic(
  topic: string,
  base: string,
  isSubscribed: (topic: string) => boolean,
): ResponseTopicRefusal | null {
  if (Buffer.byteLength(topic, 'utf8') > MAX_RESPONSE_TOPIC_BYTES) return 'too_long';
  if (topic.startsWith('$')) return 'dollar';
  if (!isValidTopicName(topic)) return 'wildcard';
  const prefix = responsePrefix(base);
  if (!topic.startsWith(prefix) || topic.length === prefix.length) return 'outside';
  if (isSubscribed(topic)) return 'subscribed';
  return null;
}

/** A topic for a log line: bounded, so a 64 KiB topic cannot make a 64 KiB line. */
export function topicForLog(topic: string): string {
  return topic.length > 128 ? `${topic.slice(0, 128)}…` : topic;
}
