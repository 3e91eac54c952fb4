// Checks that span keys or files (PRODUCT.md §2, §5). They read the data as written, so they
// still run when the schema found other problems: every problem is reported in one go.
import type { ConfigProblem } from '../errors.ts';
import type { LoadedProfile, ProfileRef } from './profiles.ts';
import { checkTopicTemplate, RESERVED_PLACEHOLDERS } from './topic-template.ts';
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
      // A missing `vars:` is located at the port mapping, where it should be added.
      problems.push(
        problemAt(
          src,
          ['ports', index, 'vars'],
          `profile "${profile.id}" uses {${v}} in its topic "${profile.topicTemplate}"; add ${v} to this port's vars`,
        ),
      );
    }
  }
  return problems;
}

export function crossCheck(
  src: YamlSource,
  data: unknown,
  profiles: ReadonlyMap<string, LoadedProfile>,
): ConfigProblem[] {
  return [...checkMqtt(src, data), ...checkPorts(src, data, profiles)];
}
