// zod issues in words a user understands ("expected a number, got "fast""), never zod jargon.
// Messages written by our own schema (src/config/schema.ts) are already human and are kept.
// Secrets are described by their kind only ("a string"), never quoted. Pure.
import type { z } from 'zod';
import { redactUrl } from './redact-url.ts';
import { closestKey } from './suggest.ts';

type Issue = z.core.$ZodIssue;

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  null: 'null',
};

/** zod's default messages start like this; anything else was written in schema.ts. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized key|Expected)/;

export function describeValue(value: unknown, secret: boolean): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (secret) return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
  if (typeof value === 'string') {
    // A URL the schema refused (mqtt.url with a space in its password) is quoted without userinfo.
    const shown = value.includes('://') ? redactUrl(value) : value;
    const short = shown.length > 40 ? `${shown.slice(0, 40)}…` : shown;
    return JSON.stringify(short);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return typeof value;
}

function literal(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function joinOr(parts: readonly string[]): string {
  if (parts.length <= 1) return parts[0] ?? '';
  return `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1] ?? ''}`;
}

function oneOf(values: readonly unknown[]): string {
  return values.length === 1 ? literal(values[0]) : `one of ${values.map(literal).join(', ')}`;
}

/** What a union branch wanted, when it failed on the value's type alone. */
function branchExpectation(branch: readonly Issue[]): string | undefined {
  const only = branch[0];
  if (branch.length !== 1 || only === undefined || only.path.length !== 0) return undefined;
  if (only.code === 'invalid_type') return EXPECTED[only.expected] ?? only.expected;
  if (only.code === 'invalid_value') return only.values.map(literal).join(', ');
  return undefined;
}

/** ` (did you mean "measurement"?)` for a misspelt choice; never for a secret. */
function didYouMean(value: unknown, choices: readonly unknown[], secret: boolean): string {
  if (typeof value !== 'string' || secret) return '';
  const guess = closestKey(
    value,
    choices.filter((c): c is string => typeof c === 'string'),
  );
  return guess === undefined ? '' : ` (did you mean "${guess}"?)`;
}

function sizeWord(origin: string, n: number | bigint): string {
  if (origin === 'string') return `${n} character${n === 1 ? '' : 's'}`;
  if (origin === 'array' || origin === 'set') return `${n} entr${n === 1 ? 'y' : 'ies'}`;
  return String(n);
}

export function issueMessage(issue: Issue, value: unknown, secret: boolean): string {
  const got = `got ${describeValue(value, secret)}`;
  const custom = !ZOD_DEFAULT.test(issue.message);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'is required';
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, ${got}`;
    case 'invalid_value':
      if (value === undefined) return `is required (${oneOf(issue.values)})`;
      return `expected ${oneOf(issue.values)}, ${got}${didYouMean(value, issue.values, secret)}`;
    case 'invalid_union': {
      if ('options' in issue && Array.isArray(issue.options)) {
        // A discriminated union (field `type`): the discriminator value is the problem.
        const options = issue.options as unknown[];
        const opts = options.map(literal).join(', ');
        if (value === undefined) return `is required (one of ${opts})`;
        return `expected one of ${opts}, ${got}${didYouMean(value, options, secret)}`;
      }
      const branches = issue.errors;
      const typed = branches.filter((b) => branchExpectation(b) === undefined);
      const first = typed[0]?.[0];
      // Exactly one branch accepted the type (e.g. a duration string): its complaint is the one.
      if (typed.length === 1 && first !== undefined) return issueMessage(first, value, secret);
      const wanted = branches.map(branchExpectation).filter((s): s is string => s !== undefined);
      return wanted.length > 0 ? `expected ${joinOr(wanted)}, ${got}` : `is not valid (${got})`;
    }
    case 'too_small': {
      if (custom) return issue.message;
      if (issue.origin !== 'number' && issue.origin !== 'bigint' && Number(issue.minimum) === 1)
        return 'must not be empty';
      const bound = sizeWord(issue.origin, issue.minimum);
      if (issue.origin === 'number' || issue.origin === 'bigint')
        return `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${bound}, ${got}`;
      return `must have at least ${bound}`;
    }
    case 'too_big': {
      if (custom) return issue.message;
      const bound = sizeWord(issue.origin, issue.maximum);
      if (issue.origin === 'number' || issue.origin === 'bigint')
        return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${bound}, ${got}`;
      return issue.exact === true ? `must have exactly ${bound}` : `must have at most ${bound}`;
    }
    case 'invalid_format':
      if (custom) return secret ? issue.message : `${describeValue(value, secret)} ${issue.message}`;
      return `${describeValue(value, secret)} is not a valid ${issue.format}`;
    case 'invalid_key': {
      const inner = issue.issues[0];
      const text =
        inner !== undefined && !ZOD_DEFAULT.test(inner.message) ? inner.message : 'is not allowed here';
      const key = issue.path[issue.path.length - 1];
      return `key ${JSON.stringify(String(key))} ${text}`;
    }
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map(literal).join(', ')}`;
    case 'custom':
      if (!custom) return `is not valid (${got})`;
      // schema.ts words refinements as "must …": say which value (unless it is a secret).
      return issue.message.startsWith('must ') && value !== undefined && !secret
        ? `${describeValue(value, secret)} ${issue.message}`
        : issue.message;
    default:
      return custom ? issue.message : `is not valid (${got})`;
  }
}
