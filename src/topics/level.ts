// THE one-level rule (docs/contract.md §5): "Every level that the configuration or a device
// contributes is exactly one level matching `[A-Za-z0-9_.-]{1,64}`: `/`, `+`, `#`, NUL,
// control characters, a leading `$` and invalid UTF-8 never reach a topic." The pattern
// admits none of / + # NUL $ or any control character (MQTT 3.1.1 §4.7.1, §4.7.2), and JS
// strings cannot hold invalid UTF-8 (the framers refuse it earlier).
//
// Two variants, deliberately:
// - a topic level (config prefixes, port names, vars, fields, template values): the rule;
// - a device level (an MQTT-SN name a client sends, docs/contract.md §4.2): the rule, and not
//   `.` or `..`. MQTT gives them no meaning, but `home/kitchen/../x` reads like an escape from
//   the port's subtree to a person and to tools that treat topics as paths. The configuration
//   and line devices keep accepting them, as they always have.

/** docs/contract.md §5: exactly one topic level. Has no g/y flag: test() keeps no state. */
export const LEVEL_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The rule in words, as messages quote it. */
export const LEVEL_CHARS = 'A-Z a-z 0-9 _ . -';
export const LEVEL_RULE = `1 to 64 of ${LEVEL_CHARS}`;
export const LEVEL_MESSAGE = `must be one topic level: ${LEVEL_RULE}`;
export const LEVELS_MESSAGE = `must be topic levels joined by "/", each ${LEVEL_RULE}`;

/** True when `s` is exactly one topic level: 1 to 64 of A-Z a-z 0-9 _ . - */
export function isTopicLevel(s: string): boolean {
  return LEVEL_PATTERN.test(s);
}

/** True when `s` is one or more topic levels joined by `/` (`iot/home1`, `sensors/temp`). */
export function areTopicLevels(s: string): boolean {
  return s.split('/').every(isTopicLevel);
}

/** True when `s` is one level an MQTT-SN device may send: a topic level, and not `.` or `..`. */
export function isDeviceLevel(s: string): boolean {
  return isTopicLevel(s) && s !== '.' && s !== '..';
}

/** Any text as one topic level: each character outside the rule becomes `-`, at most 64 kept. */
export function toTopicLevel(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64);
}
