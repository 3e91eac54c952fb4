// MQTT topic-filter matching: the embedded broker's ACL (docs/contract.md §2 `embedded_broker.acl`) and
// the dispatch of messages from the broker to subscribers inside the gateway (MQTT-SN, commands).
// Pure: no I/O. Implements MQTT 3.1.1 §4.7 (topic names and filters).

/**
 * Does `filter` (may contain `+` and `#`) match the topic name `topic`?
 * - `+` matches exactly one level (possibly empty), `#` the parent level and any number of
 *   child levels (§4.7.1.2: `sport/#` also matches `sport`).
 * - A filter starting with a wildcard never matches a topic starting with `$` (§4.7.2,
 *   [MQTT-4.7.2-1]): `#` does not see `$SYS/…`.
 * - A malformed filter (`a#`, `#/a`, `a+b`) matches nothing.
 */
export function topicMatches(filter: string, topic: string): boolean {
  // A topic name is a filter without wildcards, and the topics it matches are itself alone.
  return isValidTopicName(topic) && filterCovers(filter, topic);
}

/**
 * Is every topic that `requested` can match also matched by `allowed`? Used to authorise a
 * SUBSCRIBE: a client allowed `home/+/temp` may subscribe to `home/kitchen/temp` or to
 * `home/+/temp`, but not to `home/#`.
 */
export function filterCovers(allowed: string, requested: string): boolean {
  if (!isValidTopicFilter(allowed) || !isValidTopicFilter(requested)) return false;
  const a = allowed.split('/');
  const r = requested.split('/');
  // [MQTT-4.7.2-1]: a leading wildcard in `allowed` says nothing about `$` topics.
  if (requested.startsWith('$') && (a[0] === '+' || a[0] === '#')) return false;
  for (let i = 0; i < a.length; i++) {
    const level = a[i];
    if (level === '#') return true;
    const req = r[i];
    if (req === undefined || req === '#') return false;
    if (level === '+') continue;
    if (req !== level) return false; // a literal covers only the same literal (not `+`)
  }
  return a.length === r.length;
}

/** MQTT 3.1.1 §4.7.3: a topic name is non-empty, has no wildcards and no U+0000. */
export function isValidTopicName(topic: string): boolean {
  return topic.length > 0 && !topic.includes('+') && !topic.includes('#') && !topic.includes('\u0000');
}

/** MQTT 3.1.1 §4.7.1: `#` only as a whole last level, `+` only as a whole level. */
export function isValidTopicFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level.includes('#')) return level === '#' && i === levels.length - 1;
    if (level.includes('+')) return level === '+';
    return true;
  });
}
