// Topic templates (docs/contract.md §3 `publish.topic`, §5): a profile's topic relative to
// base_topic is a list of levels, each a literal level or exactly one `{placeholder}`, and the
// first is `{port}`, so every port's topics stay inside `<base>/<port>/` and ports cannot
// collide (docs/decisions/0001-topic-templates-start-with-port.md). The one grammar of
// templates: `check` (checkTopicTemplate), the line mapper (compileTemplate, renderTopic),
// Home Assistant's state topics and the summary's example topics all parse them here.
//
// Rendering is where the one-level rule (level.ts) meets device data: a literal is checked
// once, when the template is compiled; a value is checked every time it is substituted. A
// value that is not one level is never escaped, trimmed or "fixed" — the topic is rejected.
import { quote } from '../log/detail.ts';
import { isTopicLevel, LEVEL_CHARS, LEVEL_MESSAGE, LEVEL_RULE } from './level.ts';

/** Placeholders the gateway fills in itself; port vars may not use these names. */
export const RESERVED_PLACEHOLDERS: readonly string[] = ['port', 'field', 'gateway', 'node'];

/** A placeholder level: `{name}`, the name made of letters, digits and `_`, not starting with a digit. */
const PLACEHOLDER = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** One level of a template as written. */
export type TemplateLevel =
  | { kind: 'literal'; text: string }
  | { kind: 'placeholder'; name: string }
  /** A leading, trailing or double `/`. */
  | { kind: 'empty' }
  /** Neither one literal level nor exactly one placeholder (`a{field}`, `{}`, `a+b`). */
  | { kind: 'invalid'; text: string };

export type TemplatePart = Extract<TemplateLevel, { kind: 'literal' | 'placeholder' }>;

export interface CompiledTemplate {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
  /** Placeholder names in order of first use, each once. */
  readonly placeholders: readonly string[];
}

export type CompileResult = { ok: true; template: CompiledTemplate } | { ok: false; message: string };

export type RenderResult =
  { ok: true; topic: string } | { ok: false; reason: 'topic_rejected'; detail: string };

/** The levels of `source`, split on `/`, each classified; the grammar of templates. */
export function parseTemplate(source: string): TemplateLevel[] {
  return source.split('/').map((text): TemplateLevel => {
    const name = PLACEHOLDER.exec(text)?.[1];
    if (name !== undefined) return { kind: 'placeholder', name };
    if (text === '') return { kind: 'empty' };
    return isTopicLevel(text) ? { kind: 'literal', text } : { kind: 'invalid', text };
  });
}

function startsWithPort(levels: readonly TemplateLevel[]): boolean {
  const first = levels[0];
  return first?.kind === 'placeholder' && first.name === 'port';
}

/** Compiles a template for rendering, or says what is wrong first (the line mapper's view). */
export function compileTemplate(source: string): CompileResult {
  if (source === '') return { ok: false, message: 'must not be empty' };
  const levels = parseTemplate(source);
  const parts: TemplatePart[] = [];
  const placeholders: string[] = [];
  for (const [i, level] of levels.entries()) {
    if (level.kind === 'empty')
      return { ok: false, message: `level ${i + 1} is empty (no leading, trailing or double "/")` };
    if (level.kind === 'invalid')
      return {
        ok: false,
        message:
          level.text.includes('{') || level.text.includes('}')
            ? `level ${quote(level.text)} must be a literal level or exactly one {placeholder}`
            : `level ${quote(level.text)} ${LEVEL_MESSAGE}`,
      };
    if (level.kind === 'placeholder' && !placeholders.includes(level.name)) placeholders.push(level.name);
    parts.push(level);
  }
  if (!startsWithPort(levels)) return { ok: false, message: 'must start with {port}' };
  return { ok: true, template: { source, parts, placeholders } };
}

/** What of a profile its template depends on (a DeviceProfile is one). */
export interface TemplateProfile {
  readonly publish: { readonly mode: 'per_field' | 'json' };
  readonly line?: { readonly format: string } | undefined;
}

/** `publish.topic` when the profile states none (docs/contract.md §5). */
export function defaultTopicTemplate(profile: TemplateProfile): string {
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

/** `check`'s view: every problem of a profile's template at once, and the port vars it needs. */
export function checkTopicTemplate(template: string, profile: TemplateProfile): TemplateCheck {
  const problems: string[] = [];
  const vars: string[] = [];
  const used = new Set<string>();
  const levels = parseTemplate(template);
  if (!startsWithPort(levels))
    problems.push(
      `"${template}" must start with the level {port}, so each port's topics stay under base_topic/<port>/`,
    );
  for (const level of levels) {
    if (level.kind === 'placeholder') used.add(level.name);
    else if (level.kind === 'empty')
      problems.push(`"${template}" has an empty level (a leading, trailing or double "/")`);
    else if (level.kind === 'invalid')
      problems.push(
        `level "${level.text}" of "${template}" must be one literal level (${LEVEL_CHARS}) or exactly one {placeholder}`,
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

/**
 * `<base>/<level>/<level>…`. `base` is the configured base_topic (validated by the config
 * schema); every substituted value must be one level, and a missing one rejects the topic.
 * `vars` is read with own-property lookups only, so `{constructor}` finds nothing inherited.
 */
export function renderTopic(
  base: string,
  template: CompiledTemplate,
  vars: Readonly<Record<string, string>>,
): RenderResult {
  let topic = base;
  for (const part of template.parts) {
    if (part.kind === 'literal') {
      topic += `/${part.text}`;
      continue;
    }
    const value: unknown = Object.hasOwn(vars, part.name) ? vars[part.name] : undefined;
    if (typeof value !== 'string')
      return { ok: false, reason: 'topic_rejected', detail: `no value for {${part.name}}` };
    if (!isTopicLevel(value))
      return {
        ok: false,
        reason: 'topic_rejected',
        detail: `{${part.name}} = ${quote(value)} is not one topic level (${LEVEL_RULE})`,
      };
    topic += `/${value}`;
  }
  return { ok: true, topic };
}

/**
 * A topic under base_topic as `check`'s summary shows it: values are put in as given
 * (`<node>` for a level the device supplies), and a placeholder without one stays `{name}`.
 */
export function exampleTopic(template: string, values: Readonly<Record<string, string>>): string {
  return parseTemplate(template)
    .map((level) => {
      if (level.kind !== 'placeholder') return level.kind === 'empty' ? '' : level.text;
      const value = Object.hasOwn(values, level.name) ? values[level.name] : undefined;
      return value ?? `{${level.name}}`;
    })
    .join('/');
}
