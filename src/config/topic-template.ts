// Config-side checks of a profile's publish topic template (docs/contract.md §3, §5): every level is
// a literal level or exactly one placeholder, and the template starts with `{port}` so a
// device's topics stay under base_topic/<port>/. Pure.
import type { DeviceProfile } from './schema.ts';
import { LEVEL_PATTERN } from './schema.ts';

/** Placeholders the gateway fills in itself; port vars may not use these names. */
export const RESERVED_PLACEHOLDERS: readonly string[] = ['port', 'field', 'gateway', 'node'];

const PLACEHOLDER_LEVEL = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

export function defaultTopicTemplate(profile: DeviceProfile): string {
  const mysensors = profile.line?.format === 'mysensors';
  if (profile.publish.mode === 'json') return mysensors ? '{port}/{node}' : '{port}';
  return mysensors ? '{port}/{node}/{field}' : '{port}/{field}';
}

export interface TemplateCheck {
  /** What is wrong with the template itself, worded to follow the key path. */
  problems: string[];
  /** Placeholders that must come from the vars of every port using the profile. */
  vars: string[];
}

export function checkTopicTemplate(template: string, profile: DeviceProfile): TemplateCheck {
  const problems: string[] = [];
  const vars: string[] = [];
  const used = new Set<string>();
  const levels = template.split('/');
  if (levels[0] !== '{port}')
    problems.push(
      `"${template}" must start with the level {port}, so each port's topics stay under base_topic/<port>/`,
    );
  for (const lvl of levels) {
    const name = PLACEHOLDER_LEVEL.exec(lvl)?.[1];
    if (name !== undefined) used.add(name);
    else if (lvl === '')
      problems.push(`"${template}" has an empty level (a leading, trailing or double "/")`);
    else if (!LEVEL_PATTERN.test(lvl))
      problems.push(
        `level "${lvl}" of "${template}" must be one literal level (A-Z a-z 0-9 _ . -) or exactly one {placeholder}`,
      );
  }
  for (const name of used) {
    if (name === 'node' && profile.line?.format !== 'mysensors')
      problems.push(`{node} is only available with line format mysensors`);
    else if (!RESERVED_PLACEHOLDERS.includes(name)) vars.push(name);
  }
  if (profile.publish.mode === 'per_field' && !used.has('field'))
    problems.push(`"${template}" must contain {field} with mode per_field (one topic per field)`);
  if (profile.publish.mode === 'json' && used.has('field'))
    problems.push(`"${template}" must not contain {field} with mode json (one object for all fields)`);
  return { problems, vars };
}

/** A topic under base_topic as the summary shows it; unknown placeholders stay visible. */
export function renderTopic(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => values[name] ?? whole);
}
