// Per-field validation of decoded values against the profile's `fields:` (docs/contract.md §3):
// "A field failing its schema is dropped from the reading (counted, logged at a limited
// rate); the rest of the reading is published. Keys a profile does not declare are ignored
// and counted."
//
// Everything that can be prepared is prepared once per profile (compileFields): the wire
// key lookup, the converters, the string patterns. Per line, validation is a Map lookup and
// a small converter per value.
//
// Rules, one place:
// - number: decimal text (`-12.5`, `.5`, `1e3`, optional sign); not ``, spaces, `NaN`,
//   `Infinity`, `0x10`; JSON numbers as they are. The result must be finite.
// - integer: decimal digits with an optional sign, or a JSON integer; a safe integer.
// - boolean: true/false, 1/0, on/off, yes/no in any case; JSON true/false, 1/0.
// - string: text (JSON numbers/booleans as their text), at most max_length characters
//   (code points), matching `pattern` if given — the pattern is used as written, so anchor
//   it (`^…$`) to constrain the whole value.
// - enum: exactly one of `values` (case-sensitive).
// - min/max are inclusive. JSON null means "absent": neither a value nor a rejection.
import type { FieldSpec } from '../config/schema.ts';
import { quote } from '../log/detail.ts';
import type { FieldValue, RawValue } from './types.ts';

type Conversion = { ok: true; value: FieldValue } | { ok: false; reason: string };
type Converter = (raw: string | number | boolean) => Conversion;

export interface CompiledField {
  /** The field's name in the profile: the topic level and the JSON member. */
  readonly name: string;
  /** Its name on the wire (`key:`, default the field name). */
  readonly key: string;
  readonly spec: FieldSpec;
  readonly convert: Converter;
}

export interface FieldTable {
  /** In the profile's order (json mode publishes members in this order). */
  readonly fields: readonly CompiledField[];
  /** Wire key → the fields reading it (normally one; two fields may share a key). */
  readonly byKey: ReadonlyMap<string, readonly CompiledField[]>;
}

export interface ValidationResult {
  /** Field name → validated value. */
  values: Map<string, FieldValue>;
  /** Empty (one shared, frozen list) unless a value was rejected. */
  rejected: readonly { field: string; key: string; reason: string }[];
  /** Empty (one shared, frozen list) unless the line had keys the profile does not declare. */
  unknownKeys: readonly string[];
}

/** Most lines reject nothing and carry no unknown key: they share these instead of two new lists. */
const NONE: readonly never[] = Object.freeze([]);

export function compileFields(fields: Readonly<Record<string, FieldSpec>>): FieldTable {
  const compiled: CompiledField[] = [];
  const byKey = new Map<string, CompiledField[]>();
  for (const [name, spec] of Object.entries(fields)) {
    const field: CompiledField = { name, key: spec.key ?? name, spec, convert: converterFor(spec) };
    compiled.push(field);
    const list = byKey.get(field.key);
    if (list === undefined) byKey.set(field.key, [field]);
    else list.push(field);
  }
  return { fields: compiled, byKey };
}

export function validateValues(table: FieldTable, values: ReadonlyMap<string, RawValue>): ValidationResult {
  const valid = new Map<string, FieldValue>();
  let rejected: { field: string; key: string; reason: string }[] | undefined;
  let unknownKeys: string[] | undefined;
  for (const [key, raw] of values) {
    const fields = table.byKey.get(key);
    if (fields === undefined) {
      (unknownKeys ??= []).push(key);
      continue;
    }
    if (raw === null) continue;
    for (const field of fields) {
      const converted = field.convert(raw);
      if (converted.ok) valid.set(field.name, converted.value);
      else (rejected ??= []).push({ field: field.name, key, reason: converted.reason });
    }
  }
  return { values: valid, rejected: rejected ?? NONE, unknownKeys: unknownKeys ?? NONE };
}

const NUMBER_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER_TEXT = /^[+-]?\d+$/;
const TRUE_WORDS = new Set(['true', '1', 'on', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'off', 'no']);

function show(raw: string | number | boolean): string {
  return typeof raw === 'string' ? quote(raw) : String(raw);
}

function fail(reason: string): Conversion {
  return { ok: false, reason };
}

function converterFor(spec: FieldSpec): Converter {
  switch (spec.type) {
    case 'number':
      return withBounds(toNumber, spec.min, spec.max);
    case 'integer':
      return withBounds(toInteger, spec.min, spec.max);
    case 'boolean':
      return toBoolean;
    case 'string':
      return stringConverter(spec.max_length, spec.pattern);
    case 'enum': {
      const allowed = new Set(spec.values);
      const list = spec.values.join(', ');
      return (raw) => {
        const text = typeof raw === 'string' ? raw : String(raw);
        return allowed.has(text) ? { ok: true, value: text } : fail(`${show(raw)} is not one of ${list}`);
      };
    }
  }
}

function toNumber(raw: string | number | boolean): Conversion {
  if (typeof raw === 'boolean') return fail(`${raw} is not a number`);
  if (typeof raw === 'string' && !NUMBER_TEXT.test(raw)) return fail(`${show(raw)} is not a number`);
  const value = Number(raw);
  return Number.isFinite(value) ? { ok: true, value } : fail(`${show(raw)} is out of range`);
}

function toInteger(raw: string | number | boolean): Conversion {
  if (typeof raw === 'boolean') return fail(`${raw} is not an integer`);
  if (typeof raw === 'string' && !INTEGER_TEXT.test(raw)) return fail(`${show(raw)} is not an integer`);
  const value = Number(raw);
  if (!Number.isInteger(value)) return fail(`${show(raw)} is not an integer`);
  return Number.isSafeInteger(value) ? { ok: true, value } : fail(`${show(raw)} is out of range`);
}

function withBounds(convert: Converter, min: number | undefined, max: number | undefined): Converter {
  if (min === undefined && max === undefined) return convert;
  return (raw) => {
    const converted = convert(raw);
    if (!converted.ok) return converted;
    const value = converted.value as number;
    if (min !== undefined && value < min) return fail(`${value} is below min ${min}`);
    if (max !== undefined && value > max) return fail(`${value} is above max ${max}`);
    return converted;
  };
}

function toBoolean(raw: string | number | boolean): Conversion {
  if (typeof raw === 'boolean') return { ok: true, value: raw };
  if (raw === 1 || raw === 0) return { ok: true, value: raw === 1 };
  if (typeof raw === 'string') {
    const word = raw.toLowerCase();
    if (TRUE_WORDS.has(word)) return { ok: true, value: true };
    if (FALSE_WORDS.has(word)) return { ok: true, value: false };
  }
  return fail(`${show(raw)} is not a boolean`);
}

function stringConverter(maxLength: number, pattern: string | undefined): Converter {
  // Compiled once per profile. No flags, so test() keeps no state between lines.
  const re = pattern === undefined ? undefined : new RegExp(pattern);
  return (raw) => {
    const text = typeof raw === 'string' ? raw : String(raw);
    if (text.length > maxLength && codePoints(text) > maxLength)
      return fail(`${show(raw)} is longer than ${maxLength} characters`);
    if (re !== undefined && !re.test(text)) return fail(`${show(raw)} does not match ${pattern}`);
    return { ok: true, value: text };
  };
}

function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}
