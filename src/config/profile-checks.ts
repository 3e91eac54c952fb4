// A profile's checks the schema cannot express (docs/contract.md §3, §5): the folder name, the
// topic template and its placeholders, command writes, Home Assistant's classes. They read
// the profile as written, each check guarding the types it needs, so they run even when the
// schema refused other keys: one run of `check` says everything that is wrong with a profile.
import type { ConfigProblem } from '../errors.ts';
import {
  checkTopicTemplate,
  defaultTopicTemplate,
  parseTemplate,
  RESERVED_PLACEHOLDERS,
} from '../topics/template.ts';
import type { TemplateProfile } from '../topics/template.ts';
import { homeAssistantFieldChecks } from './home-assistant-checks.ts';
import { patternProblem } from './pattern-check.ts';
import type { ConfigPath } from './positions.ts';
import { closestKey } from './suggest.ts';
import { problemAt } from './yaml-source.ts';
import type { YamlSource } from './yaml-source.ts';

type Raw = Record<string, unknown>;

const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const entries = (v: unknown): [string, Raw][] =>
  isRecord(v) ? Object.entries(v).flatMap(([k, x]) => (isRecord(x) ? [[k, x] as [string, Raw]] : [])) : [];

export interface ProfileFindings {
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

interface TopicOf {
  template: string;
  where: ConfigPath;
  shape: TemplateProfile;
  format: string | undefined;
}

/**
 * The topic template as the loader would take it, or undefined when what it depends on is
 * itself refused (a `publish.mode` of `perfield`): the schema has said that.
 */
function templateOf(profile: Raw): TopicOf | undefined {
  const publish = profile['publish'] ?? {};
  if (!isRecord(publish)) return undefined;
  const mode = publish['mode'] ?? 'per_field';
  if (mode !== 'per_field' && mode !== 'json') return undefined;
  const line = profile['line'];
  const format = isRecord(line) && typeof line['format'] === 'string' ? line['format'] : undefined;
  const shape: TemplateProfile = { publish: { mode }, ...(format === undefined ? {} : { line: { format } }) };
  const topic = publish['topic'];
  if (topic === undefined)
    return { template: defaultTopicTemplate(shape), where: ['publish'], shape, format };
  if (typeof topic !== 'string' || topic === '') return undefined;
  return { template: topic, where: ['publish', 'topic'], shape, format };
}

/**
 * A placeholder a few letters from one the gateway fills in (`{feild}`) is a typo, not a port
 * var: without this it would be reported, if at all, as a var every port must define.
 */
function placeholderTypos(
  src: YamlSource,
  template: string,
  where: ConfigPath,
  format: string | undefined,
): ConfigProblem[] {
  const known = RESERVED_PLACEHOLDERS.filter((p) => p !== 'node' || format === 'mysensors');
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const level of parseTemplate(template)) {
    if (level.kind !== 'placeholder' || RESERVED_PLACEHOLDERS.includes(level.name) || seen.has(level.name))
      continue;
    seen.add(level.name);
    const guess = closestKey(level.name, known, { prefix: false });
    if (guess !== undefined)
      problems.push(
        problemAt(
          src,
          where,
          `{${level.name}} is not a placeholder (did you mean {${guess}}?); the gateway fills in {${known.join('} {')}}, any other name must be in the vars of every port using the profile`,
        ),
      );
  }
  return problems;
}

/** `{value}` is the one placeholder of a command's `write` (device-commands/render.ts). */
function writeProblems(src: YamlSource, name: string, command: Raw): ConfigProblem[] {
  const write = command['write'];
  if (typeof write !== 'string') return [];
  const at: ConfigPath = ['commands', name, 'write'];
  const problems: ConfigProblem[] = [];
  // docs/contract.md §3: one command is one line on the wire.
  if (/[\r\n\0]/.test(write))
    problems.push(problemAt(src, at, 'must not contain CR, LF or NUL (a newline is appended)'));
  const payload = command['payload'];
  const type = isRecord(payload) ? payload['type'] : undefined;
  // Other `{word}`s may be the device's own syntax and are written as they are; one a letter or
  // two from `value` is a typo that would write the braces instead of the value.
  for (const [, word] of write.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    if (word === undefined) continue;
    if (word === 'value' && type === 'none')
      problems.push(
        problemAt(
          src,
          at,
          'has {value}, but payload type none takes no value: it would be written as the text "{value}"',
        ),
      );
    else if (word !== 'value' && closestKey(word, ['value'], { prefix: false }) !== undefined)
      problems.push(
        problemAt(
          src,
          at,
          `{${word}} is not a placeholder (did you mean {value}?); it would be written as it is`,
        ),
      );
  }
  return problems;
}

function commandProblems(src: YamlSource, profile: Raw): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [name, command] of entries(profile['commands'])) {
    problems.push(...writeProblems(src, name, command));
    const reply = command['reply'];
    for (const key of ['ok', 'error'] as const) {
      const pattern = isRecord(reply) ? reply[key] : undefined;
      const problem = typeof pattern === 'string' ? patternProblem(pattern) : undefined;
      if (problem !== undefined) problems.push(problemAt(src, ['commands', name, 'reply', key], problem));
    }
    // The payload pattern runs on every …/set message: the same check as fields.*.pattern.
    const payload = command['payload'];
    if (isRecord(payload) && payload['type'] === 'string' && typeof payload['pattern'] === 'string') {
      const problem = patternProblem(payload['pattern']);
      if (problem !== undefined)
        problems.push(problemAt(src, ['commands', name, 'payload', 'pattern'], problem));
    }
    if (profile['protocol'] === 'mqttsn')
      problems.push(
        problemAt(
          src,
          ['commands', name],
          'MQTT-SN devices subscribe to their own command topics; commands: is for line devices',
        ),
      );
  }
  return problems;
}

/** Every check of a profile that the schema does not make, on the profile as written. */
export function checkProfileData(src: YamlSource, id: string, data: unknown): ProfileFindings {
  const profile = isRecord(data) ? data : {};
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  if (typeof profile['id'] === 'string' && profile['id'] !== id)
    problems.push(problemAt(src, ['id'], `"${profile['id']}" must equal the profile's folder name "${id}"`));
  const topic = templateOf(profile);
  if (topic !== undefined) {
    for (const message of checkTopicTemplate(topic.template, topic.shape).problems)
      problems.push(problemAt(src, topic.where, message));
    problems.push(...placeholderTypos(src, topic.template, topic.where, topic.format));
    // docs/contract.md §5: <port>/availability is the gateway's own topic for the port.
    if (
      topic.template === '{port}/{field}' &&
      isRecord(profile['fields']) &&
      'availability' in profile['fields']
    )
      problems.push(
        problemAt(
          src,
          ['fields', 'availability'],
          'a field named "availability" would publish to <port>/availability, the port\'s own status topic; rename the field (its wire name can stay: key: availability)',
        ),
      );
  }
  problems.push(...commandProblems(src, profile));
  for (const [name, field] of entries(profile['fields'])) {
    const found = homeAssistantFieldChecks(src, ['fields', name], field);
    problems.push(...found.problems);
    warnings.push(...found.warnings);
  }
  return { problems, warnings };
}
