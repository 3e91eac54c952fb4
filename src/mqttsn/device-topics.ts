// docs/contract.md §4.2: a device's topic names are relative to `base_topic/<port>/` and can
// never leave that subtree; and §5: every level a device supplies must
// match `[A-Za-z0-9_.-]{1,64}`. An MQTT-SN topic name (REGISTER, SUBSCRIBE, a Will, a short
// name, a predefined id's topic) is therefore always relative to the port's prefix: `temp`
// from the device on port `kitchen` is `home/kitchen/temp` at the broker. A leading `/`,
// an empty level, `$`, `..`-style tricks and wildcards in names all fail the device-level
// rule (topics/level.ts isDeviceLevel: the §5 rule, and not `.` or `..`).
import { isDeviceLevel, LEVEL_CHARS } from '../topics/level.ts';

/** Maximum levels a device topic may have (bounds filters and the registry). */
const MAX_LEVELS = 16;

export type TopicCheck = { ok: true; topic: string } | { ok: false; reason: string };

/** A device topic name (no wildcards) → the broker topic under `prefix`. */
export function confineName(prefix: string, name: string): TopicCheck {
  const levels = name.split('/');
  if (levels.length > MAX_LEVELS) return { ok: false, reason: `more than ${MAX_LEVELS} levels` };
  for (const level of levels)
    if (!isDeviceLevel(level))
      return {
        ok: false,
        reason: `level "${level.slice(0, 70)}" is not 1-64 of ${LEVEL_CHARS} (nor . or ..)`,
      };
  return { ok: true, topic: `${prefix}/${name}` };
}

/**
 * A device topic filter (MQTT 3.1.1 §4.7.1: `+` one level, `#` the last level only) → the
 * broker filter under `prefix`. `#` alone is the device's whole subtree.
 */
export function confineFilter(prefix: string, filter: string): TopicCheck {
  const levels = filter.split('/');
  if (levels.length > MAX_LEVELS) return { ok: false, reason: `more than ${MAX_LEVELS} levels` };
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level === '+') continue;
    if (level === '#') {
      if (i === levels.length - 1) continue;
      return { ok: false, reason: '"#" must be the last level' };
    }
    if (!isDeviceLevel(level))
      return {
        ok: false,
        reason: `level "${level.slice(0, 70)}" is not 1-64 of ${LEVEL_CHARS} (nor . or ..), + or #`,
      };
  }
  return { ok: true, topic: `${prefix}/${filter}` };
}

export function isWildcardFilter(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/** The device-relative name of a broker topic under `prefix`, or null if it is not under it. */
export function relativeName(prefix: string, topic: string): string | null {
  return topic.startsWith(`${prefix}/`) && topic.length > prefix.length + 1
    ? topic.slice(prefix.length + 1)
    : null;
}
