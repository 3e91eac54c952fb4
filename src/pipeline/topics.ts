// Topic templates and THE one-level rule (docs/contract.md §5): "Every level a device or config
// contributes is exactly one level: `/`, `+`, `#`, NUL, control characters, a leading `$`
// and invalid UTF-8 never reach a topic; every level a device supplies … must match
// [A-Za-z0-9_.-]{1,64} or the message is rejected and counted."
//
// This file is the only place that rule is enforced for rendered topics: a template is a
// list of levels, each either a literal (checked once, when the template is compiled) or
// exactly one `{placeholder}` whose value is checked every time it is substituted. A value
// that is not one level is never escaped, trimmed or "fixed" — the message is rejected.
// LEVEL_PATTERN admits none of / + # NUL $ or any control character, and the values here
// are JS strings, so invalid UTF-8 cannot be represented (the framer rejects it earlier).
import { LEVEL_MESSAGE, LEVEL_PATTERN } from '../config/schema.ts';
import { quote } from '../log/detail.ts';

export type TemplatePart = { kind: 'literal'; text: string } | { kind: 'placeholder'; name: string };

export interface CompiledTemplate {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
  /** Placeholder names in order of first use, each once. */
  readonly placeholders: readonly string[];
}

export type CompileResult = { ok: true; template: CompiledTemplate } | { ok: false; message: string };

export type RenderResult =
  { ok: true; topic: string } | { ok: false; reason: 'topic_rejected'; detail: string };

const PLACEHOLDER = /^\{([A-Za-z0-9_.-]{1,64})\}$/;

/** True when `s` is exactly one safe topic level: 1 to 64 of A-Z a-z 0-9 _ . - */
export function isValidLevel(s: string): boolean {
  // LEVEL_PATTERN has no g/y flag, so test() keeps no state between calls.
  return LEVEL_PATTERN.test(s);
}

/**
 * Compiles a profile's `publish.topic` (relative to base_topic). Levels are split on `/`;
 * each is a literal level or exactly one `{name}`; the first must be `{port}`, so every
 * port's topics stay inside `<base>/<port>/` and ports cannot collide.
 */
export function compileTemplate(template: string): CompileResult {
  if (template === '') return { ok: false, message: 'must not be empty' };
  const parts: TemplatePart[] = [];
  const placeholders: string[] = [];
  const levels = template.split('/');
  for (let i = 0; i < levels.length; i++) {
    const text = levels[i] ?? '';
    if (text === '')
      return { ok: false, message: `level ${i + 1} is empty (no leading, trailing or double "/")` };
    const match = PLACEHOLDER.exec(text);
    if (match?.[1] !== undefined) {
      const name = match[1];
      parts.push({ kind: 'placeholder', name });
      if (!placeholders.includes(name)) placeholders.push(name);
    } else if (text.includes('{') || text.includes('}')) {
      return {
        ok: false,
        message: `level ${quote(text)} must be a literal level or exactly one {placeholder}`,
      };
    } else if (!isValidLevel(text)) {
      return { ok: false, message: `level ${quote(text)} ${LEVEL_MESSAGE}` };
    } else {
      parts.push({ kind: 'literal', text });
    }
  }
  const first = parts[0];
  if (first === undefined || first.kind !== 'placeholder' || first.name !== 'port')
    return { ok: false, message: 'must start with {port}' };
  return { ok: true, template: { source: template, parts, placeholders } };
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
    if (!isValidLevel(value))
      return {
        ok: false,
        reason: 'topic_rejected',
        detail: `{${part.name}} = ${quote(value)} is not one topic level (1 to 64 of A-Z a-z 0-9 _ . -)`,
      };
    topic += `/${value}`;
  }
  return { ok: true, topic };
}
