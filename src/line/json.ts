// `json` lines (docs/contract.md §4.1): one JSON object per line.
//
// Scalar members become values as JSON gave them (number, boolean, string, null); nested
// objects are flattened with `.` (`{"env":{"t":1}}` → `env.t`), at most MAX_DEPTH deep;
// arrays are ignored (a field is one value). Values go into a Map, never onto a plain
// object, so a device key such as `__proto__` is just a key.
// Duplicate member names follow JSON.parse (the last one wins); two members that flatten
// to the same key (`{"a.b":1,"a":{"b":2}}`) are a parse_error, like a duplicate kv key.
import type { DecodeResult, RawValue } from '../pipeline/types.ts';
import { quote } from '../log/detail.ts';
import { errorMessage } from '../errors.ts';

/** Nesting limit for objects inside the line's object; deeper lines are rejected. */
export const MAX_DEPTH = 8;

function parseError(detail: string): DecodeResult {
  return { ok: false, reason: 'parse_error', detail };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

export function decodeJson(body: string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    // The one place device input can throw: turned into a value here (docs/architecture.md).
    return parseError(`not valid JSON: ${quote(errorMessage(error), 80)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return parseError(`expected one JSON object, got ${describe(parsed)}`);

  const values = new Map<string, RawValue>();
  const problem = flatten(parsed as Record<string, unknown>, '', 1, values);
  if (problem !== null) return parseError(problem);
  return { ok: true, values };
}

/** Adds the scalars of `object` under `prefix`; returns a problem or null. */
function flatten(
  object: Record<string, unknown>,
  prefix: string,
  depth: number,
  into: Map<string, RawValue>,
): string | null {
  for (const [name, value] of Object.entries(object)) {
    const key = prefix === '' ? name : `${prefix}.${name}`;
    if (Array.isArray(value)) continue;
    if (typeof value === 'object' && value !== null) {
      if (depth >= MAX_DEPTH) return `objects nested deeper than ${MAX_DEPTH} levels at ${quote(key)}`;
      const problem = flatten(value as Record<string, unknown>, key, depth + 1, into);
      if (problem !== null) return problem;
      continue;
    }
    if (into.has(key)) return `key ${quote(key)} appears twice`;
    // JSON.parse only yields these scalar types here.
    into.set(key, value as RawValue);
  }
  return null;
}
