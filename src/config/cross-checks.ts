// Checks that span keys or files (docs/contract.md §2, §5). They read the data as written, so they
// still run when the schema found other problems: every problem is reported in one go.
import type { ConfigProblem } from '../errors.ts';
import { filterCovers } from '../topics/filter.ts';
import { checkTopicTemplate, RESERVED_PLACEHOLDERS } from '../topics/template.ts';
import type { LoadedProfile, ProfileRef } from './profiles.ts';
import { closestKey } from './suggest.ts';
import { problemAt } from './yaml-source.ts';
import type { YamlSource } from './yaml-source.ts';

type Raw = Record<string, unknown>;

const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The raw `ports` entries that are mappings, with their index. */
export function rawPorts(data: unknown): { index: number; port: Raw }[] {
  const ports = isRecord(data) ? data['ports'] : undefined;
  if (!Array.isArray(ports)) return [];
  return ports.flatMap((port: unknown, index) => (isRecord(port) ? [{ index, port }] : []));
}

/** Every port's `device:` value, for profile loading. */
export function profileRefs(data: unknown): ProfileRef[] {
  return rawPorts(data).flatMap(({ index, port }) =>
    typeof port['device'] === 'string' && port['device'] !== ''
      ? [{ id: port['device'], path: ['ports', index, 'device'] }]
      : [],
  );
}

function checkMqtt(src: YamlSource, data: unknown): ConfigProblem[] {
  const mqtt = isRecord(data) ? data['mqtt'] : undefined;
  if (!isRecord(mqtt) || mqtt['url'] === undefined) return [];
  const broker = mqtt['broker'] ?? 'embedded';
  const url = mqtt['url'];
  // TLS settings with a plain URL would be ignored without a word: the user believes the
  // link is encrypted and verified while passwords and readings cross the network in clear.
  if (
    broker !== 'embedded' &&
    isRecord(mqtt['tls']) &&
    typeof url === 'string' &&
    /^(mqtt|tcp|ws):/.test(url)
  )
    return [
      problemAt(
        src,
        ['mqtt', 'url'],
        `tls is set but ${url.split(':')[0]}:// is a plain connection; use ${url.startsWith('ws:') ? 'wss' : 'mqtts'}:// (or remove tls)`,
      ),
    ];
  if (broker !== 'embedded') return [];
  return [
    problemAt(
      src,
      ['mqtt', 'url'],
      'url is only used with broker: external; remove it or set broker: external',
    ),
  ];
}

function checkPorts(
  src: YamlSource,
  data: unknown,
  profiles: ReadonlyMap<string, LoadedProfile>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const names = new Map<string, number>();
  for (const { index, port } of rawPorts(data)) {
    const name = port['name'];
    // Same wording as the schema's own check, which only runs once everything else is valid.
    if (typeof name === 'string') {
      const first = names.get(name);
      if (first !== undefined)
        problems.push(
          problemAt(
            src,
            ['ports', index, 'name'],
            `"${name}" is already the name of ports[${first}]; port names must be unique`,
          ),
        );
      else names.set(name, index);
    }
    const vars = isRecord(port['vars']) ? port['vars'] : {};
    for (const key of Object.keys(vars)) {
      if (RESERVED_PLACEHOLDERS.includes(key))
        problems.push(
          problemAt(
            src,
            ['ports', index, 'vars', key],
            `"${key}" is reserved ({${RESERVED_PLACEHOLDERS.join('} {')}} are set by the gateway); choose another name`,
            'key',
          ),
        );
    }
    const profile = typeof port['device'] === 'string' ? profiles.get(port['device']) : undefined;
    if (profile === undefined) continue;
    for (const v of checkTopicTemplate(profile.topicTemplate, profile).vars) {
      if (Object.hasOwn(vars, v)) continue;
      // A var the port has under a near spelling: one of the two names is a typo.
      const near = closestKey(v, Object.keys(vars), { prefix: false });
      const hint = near === undefined ? '' : ` (it has ${near}: did you mean {${near}}?)`;
      // A missing `vars:` is located at the port mapping, where it should be added.
      problems.push(
        problemAt(
          src,
          ['ports', index, 'vars'],
          `profile "${profile.id}" uses {${v}} in its topic "${profile.topicTemplate}"; add ${v} to this port's vars${hint}`,
        ),
      );
    }
  }
  return problems;
}

/**
 * The gateway's own publishes pass the embedded broker's checks like anyone's. With
 * `users` set and mqtt.username given, the gateway logs in as that user, so the user must exist
 * and (with an ACL) may publish and subscribe under every root the gateway uses. Without
 * mqtt.username it uses an internal login that is always allowed exactly those roots.
 */
function checkGatewayLogin(src: YamlSource, data: unknown): ConfigProblem[] {
  const root = isRecord(data) ? data : {};
  const mqtt = isRecord(root['mqtt']) ? root['mqtt'] : {};
  const broker = isRecord(root['embedded_broker']) ? root['embedded_broker'] : {};
  const users = Array.isArray(broker['users']) ? broker['users'].filter(isRecord) : [];
  const username = mqtt['username'];
  if ((mqtt['broker'] ?? 'embedded') !== 'embedded' || users.length === 0 || typeof username !== 'string')
    return [];
  if (!users.some((u) => u['username'] === username))
    return [
      problemAt(
        src,
        ['mqtt', 'username'],
        `the gateway logs in to the embedded broker as "${username}", which is not one of embedded_broker.users; add it there, or remove mqtt.username so the gateway uses its internal login`,
      ),
    ];
  const acl = Array.isArray(broker['acl']) ? broker['acl'].filter(isRecord) : [];
  if (acl.length === 0) return [];
  const gateway = isRecord(root['gateway']) ? root['gateway'] : {};
  const ha = isRecord(root['homeassistant']) ? root['homeassistant'] : {};
  const base = typeof gateway['base_topic'] === 'string' ? gateway['base_topic'] : 'tty2mqtt';
  const prefix = typeof ha['prefix'] === 'string' ? ha['prefix'] : 'homeassistant';
  const roots = [`${base}/#`, ...(ha['discovery'] === true ? [`${prefix}/#`] : [])];
  const mine = acl.filter((e) => e['username'] === username);
  const filters = (key: string): string[] =>
    mine.flatMap((e) => (Array.isArray(e[key]) ? e[key].filter((f) => typeof f === 'string') : []));
  const problems: ConfigProblem[] = [];
  for (const key of ['publish', 'subscribe'] as const)
    for (const needed of roots)
      if (!filters(key).some((f) => filterCovers(f, needed)))
        problems.push(
          problemAt(
            src,
            ['embedded_broker', 'acl'],
            `the gateway logs in as "${username}" (mqtt.username) and must ${key} under "${needed}", which this ACL does not allow; add "${needed}" to ${key} of its entry, or remove mqtt.username so the gateway uses its internal login`,
          ),
        );
  return problems;
}

export function crossCheck(
  src: YamlSource,
  data: unknown,
  profiles: ReadonlyMap<string, LoadedProfile>,
): ConfigProblem[] {
  return [...checkMqtt(src, data), ...checkPorts(src, data, profiles), ...checkGatewayLogin(src, data)];
}
