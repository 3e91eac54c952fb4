// Per-field validation of decoded values against the profile's `fields:` (docs/contract.md §3):
// "A field failing its schema is dropped from the reading (counted, logged at a limited
// rate); the rest of the reading is published. Keys a profile does not declare are ignored
// and counted" — or, by the profile's `ignore:` and `unknown_keys:`, ignored silently or
// refused with the whole line.
//
// Everything that can be prepared is prepared once per profile (compileFields): the wire
// key lookup, the converters, the string patterns, the transforms. Per line, validation is a
// Map lookup and a small converter per value.
//
// A value goes through three stages, in this order:
// 1. parse the raw value into the field's kind:
//    - number, integer: text by the field's `number_format` (number-format.ts: strict by
//      default, or lenient / decimal_comma with an optional unit word that must be the unit
//      the device prints — the first `convert`'s `from`, else the field's `unit`; a field
//      without either takes no unit word); JSON
//      numbers as they are. Never `NaN` or an infinity.
//    - boolean: true/false, 1/0, on/off, yes/no in any case; JSON true/false, 1/0.
//    - string, enum: the text (JSON numbers/booleans as their text).
// 2. the field's `transform:` steps (transform.ts), in order.
// 3. check the result: integer — a safe integer; number/integer — min/max, inclusive;
//    string — at most max_length characters (code points) and matching `pattern` if given
//    (used as written, so anchor it `^…$` to constrain the whole value); enum — exactly one
//    of `values` (case-sensitive).
// JSON null means "absent": neither a value nor a rejection.
import type { DeviceProfile, FieldSpec } from '../config/schema.ts';
import { quote } from '../log/detail.ts';
import { parseNumberText } from './number-format.ts';
import { applyTransforms, compileTransforms, traceTransforms } from './transform.ts';
import type { StepResult, TransformChain, TransformTrace } from './transform.ts';
import type { FieldValue, RawValue } from './types.ts';

type Conversion = StepResult;
type Converter = (raw: string | number | boolean) => Conversion;

export interface CompiledField {
  /** The field's name in the profile: the topic level and the JSON member. */
  readonly name: string;
  /** Its name on the wire (`key:`, default the field name). */
  readonly key: string;
  readonly spec: FieldSpec;
  readonly convert: Converter;
  /** The same stages as convert, keeping every intermediate value (for a `try` command). */
  readonly trace: (raw: string | number | boolean) => FieldTrace;
}

/** Each stage of one value's validation: the parse, every transform step, the checks. */
export type FieldTrace =
  | { stage: 'parse'; result: Conversion & { ok: false } }
  | { stage: 'transform'; transforms: TransformTrace; result: Conversion & { ok: false } }
  | { stage: 'check' | 'done'; transforms: TransformTrace; result: Conversion };

/** What to do with a key the profile neither declares nor ignores (profile `unknown_keys:`). */
export type UnknownKeys = 'ignore' | 'count' | 'reject';

export interface FieldTable {
  /** In the profile's order (json mode publishes members in this order). */
  readonly fields: readonly CompiledField[];
  /** Wire key → the fields reading it (normally one; two fields may share a key). */
  readonly byKey: ReadonlyMap<string, readonly CompiledField[]>;
  /** Wire keys the profile's `ignore:` names: read past without a count. */
  readonly ignored: ReadonlySet<string>;
  readonly unknownKeys: UnknownKeys;
}

export interface ValidationResult {
  /** Field name → validated value. */
  values: Map<string, FieldValue>;
  /** Empty (one shared, frozen list) unless a value was rejected. */
  rejected: readonly { field: string; key: string; reason: string }[];
  /** Empty (one shared, frozen list) unless the line had keys the profile does not declare (with `unknown_keys: count`). */
  unknownKeys: readonly string[];
  /** With `unknown_keys: reject`: why the whole reading is refused (naming the key); else null. */
  refused: string | null;
}

/** Most lines reject nothing and carry no unknown key: they share these instead of two new lists. */
const NONE: readonly never[] = Object.freeze([]);
const NO_KEYS: ReadonlySet<string> = new Set();

export function compileFields(
  fields: Readonly<Record<string, FieldSpec>>,
  keys: Pick<DeviceProfile, 'ignore' | 'unknown_keys'> = {},
): FieldTable {
  const compiled: CompiledField[] = [];
  const byKey = new Map<string, CompiledField[]>();
  for (const [name, spec] of Object.entries(fields)) {
    const stages = stagesFor(spec);
    const field: CompiledField = {
      name,
      key: spec.key ?? name,
      spec,
      convert: converterOf(stages),
      trace: (raw) => traceOf(stages, raw),
    };
    compiled.push(field);
    const list = byKey.get(field.key);
    if (list === undefined) byKey.set(field.key, [field]);
    else list.push(field);
  }
  const ignored = keys.ignore === undefined ? NO_KEYS : new Set(keys.ignore);
  return { fields: compiled, byKey, ignored, unknownKeys: keys.unknown_keys ?? 'count' };
}

export function validateValues(table: FieldTable, values: ReadonlyMap<string, RawValue>): ValidationResult {
  const valid = new Map<string, FieldValue>();
  let rejected: { field: string; key: string; reason: string }[] | undefined;
  let unknownKeys: string[] | undefined;
  for (const [key, raw] of values) {
    const fields = table.byKey.get(key);
    if (fields === undefined) {
      if (table.ignored.has(key) || table.unknownKeys === 'ignore') continue;
      if (table.unknownKeys === 'reject')
        return {
          values: new Map(),
          rejected: NONE,
          unknownKeys: NONE,
          refused: `key ${quote(key)} is not declared by the profile (unknown_keys: reject)`,
        };
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
  return { values: valid, rejected: rejected ?? NONE, unknownKeys: unknownKeys ?? NONE, refused: null };
}

const TRUE_WORDS = new Set(['true', '1', 'on', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'off', 'no']);

function show(raw: string | number | boolean): string {
  return typeof raw === 'string' ? quote(raw) : String(raw);
}

function fail(reason: string): Conversion {
  return { ok: false, reason };
}

/** A field's three stages. `check` gets the raw value too: without transforms, reasons quote what the device sent. */
interface Stages {
  parse: Converter;
  chain: TransformChain;
  check: (value: FieldValue, raw: string | number | boolean) => Conversion;
}

function converterOf({ parse, chain, check }: Stages): Converter {
  if (chain.length === 0)
    return (raw) => {
      const parsed = parse(raw);
      return parsed.ok ? check(parsed.value, raw) : parsed;
    };
  return (raw) => {
    const parsed = parse(raw);
    if (!parsed.ok) return parsed;
    const transformed = applyTransforms(chain, parsed.value);
    return transformed.ok ? check(transformed.value, raw) : transformed;
  };
}

function traceOf({ parse, chain, check }: Stages, raw: string | number | boolean): FieldTrace {
  const parsed = parse(raw);
  if (!parsed.ok) return { stage: 'parse', result: parsed };
  const transforms = traceTransforms(chain, parsed.value);
  if (!transforms.result.ok) return { stage: 'transform', transforms, result: transforms.result };
  const result = check(transforms.result.value, raw);
  return { stage: result.ok ? 'done' : 'check', transforms, result };
}

function stagesFor(spec: FieldSpec): Stages {
  const chain = compileTransforms(spec.transform);
  // Reasons quote the device's text when no transform changed it, else the transformed value.
  const shown = (value: FieldValue, raw: string | number | boolean): string =>
    chain.length === 0 ? show(raw) : show(value);
  const ok = (value: FieldValue): Conversion => ({ ok: true, value });
  switch (spec.type) {
    case 'number':
    case 'integer': {
      const integer = spec.type === 'integer';
      // The unit the device prints: before any convert, the value is in the first one's `from`.
      const firstConvert = spec.transform?.find((s) => s.op === 'convert');
      const wireUnit = firstConvert?.op === 'convert' ? firstConvert.from : spec.unit;
      const format = 'number_format' in spec ? (spec.number_format ?? 'strict') : 'strict';
      const parse: Converter = (raw) => {
        if (typeof raw === 'boolean') return fail(`${raw} is not ${integer ? 'an integer' : 'a number'}`);
        if (typeof raw === 'number') return Number.isFinite(raw) ? ok(raw) : fail(`${raw} is out of range`);
        const parsed = parseNumberText(raw, format, integer);
        if (!parsed.ok) return parsed;
        if (parsed.unit !== null && parsed.unit !== wireUnit)
          return fail(
            wireUnit === undefined
              ? `${show(raw)} carries a unit, but the field declares none`
              : `${show(raw)} is in ${quote(parsed.unit)}, not ${quote(wireUnit)}`,
          );
        return ok(parsed.value);
      };
      const { min, max } = spec;
      const check = (value: FieldValue, raw: string | number | boolean): Conversion => {
        const n = value as number;
        if (integer) {
          if (!Number.isInteger(n)) return fail(`${shown(value, raw)} is not an integer`);
          if (!Number.isSafeInteger(n)) return fail(`${shown(value, raw)} is out of range`);
        }
        if (min !== undefined && n < min) return fail(`${n} is below min ${min}`);
        if (max !== undefined && n > max) return fail(`${n} is above max ${max}`);
        return ok(n);
      };
      return { parse, chain, check };
    }
    case 'boolean':
      return { parse: toBoolean, chain, check: ok };
    case 'string': {
      const check = stringCheck(spec.max_length, spec.pattern);
      return { parse: (raw) => ok(typeof raw === 'string' ? raw : String(raw)), chain, check };
    }
    case 'enum': {
      const allowed = new Set(spec.values);
      const list = spec.values.join(', ');
      return {
        parse: (raw) => ok(typeof raw === 'string' ? raw : String(raw)),
        chain,
        check: (value, raw) =>
          allowed.has(value as string) ? ok(value) : fail(`${shown(value, raw)} is not one of ${list}`),
      };
    }
  }
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

function stringCheck(
  maxLength: number,
  pattern: string | undefined,
): (value: FieldValue, raw: string | number | boolean) => Conversion {
  // Compiled once per profile. No flags, so test() keeps no state between lines.
  const re = pattern === undefined ? undefined : new RegExp(pattern);
  return (value) => {
    const text = value as string;
    if (text.length > maxLength && codePoints(text) > maxLength)
      return fail(`${show(text)} is longer than ${maxLength} characters`);
    if (re !== undefined && !re.test(text)) return fail(`${show(text)} does not match ${pattern}`);
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
