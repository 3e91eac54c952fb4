// A field per wire key: its name, its type (integer, number, boolean, enum or string), the
// range it was seen in — widened, because a draft must not refuse the next reading just
// above the highest one seen — and a unit and Home Assistant classes when the key's name
// makes them obvious (key-hints.ts). The type is the first the daemon's own validator
// (pipeline/validate.ts) accepts the values as, so "seen as an integer" means exactly "the
// gateway reads it as one".
import type { FieldSpec } from '../config/schema.ts';
import type { RawValue } from '../pipeline/types.ts';
import { compileFields } from '../pipeline/validate.ts';
import { isTopicLevel, toTopicLevel } from '../topics/level.ts';
import { keyHint } from './key-hints.ts';

/** A share of values that must read as numbers for a numeric field (the rest: a sensor error text). */
const NUMERIC_SHARE = 0.8;
/** An enum has at most this many values, each seen at least ENUM_REPEAT times on average. */
const MAX_ENUM_VALUES = 8;
const ENUM_REPEAT = 3;
const ENUM_VALUE = /^[A-Za-z0-9_.+-]{1,32}$/;
/** Values quoted in a comment. */
const MAX_QUOTED = 3;

export interface FieldDraft {
  /** The field's name: the wire key when it is one topic level, else made into one. */
  name: string;
  spec: FieldSpec;
  /** Each guess, for a `# guessed:` comment beside the field. */
  notes: string[];
}

type Accepts = (raw: string | number | boolean) => boolean;

/** Whether the gateway's validator takes a value as `spec` (compiled once per spec). */
function acceptor(spec: FieldSpec): Accepts {
  const [field] = compileFields({ f: spec }).fields;
  return (raw) => field !== undefined && field.convert(raw).ok;
}

const ACCEPTS = {
  integer: acceptor({ type: 'integer' }),
  number: acceptor({ type: 'number' }),
  boolean: acceptor({ type: 'boolean' }),
};

function shown(raw: string | number | boolean): string {
  return JSON.stringify(typeof raw === 'string' ? raw.slice(0, 24) : raw);
}

/** A round number `step` below/above: 10^k with k the magnitude of the pad. */
function roundDown(x: number, step: number): number {
  return Number((Math.floor(x / step) * step).toPrecision(12));
}
function roundUp(x: number, step: number): number {
  return Number((Math.ceil(x / step) * step).toPrecision(12));
}

/**
 * Bounds around the values seen [lo, hi]: a pad of the span or the magnitude, whichever is
 * larger, on each side, rounded outwards to a power of ten; never across zero when every
 * value was on one side of it (a power is not negative because it once read 3 W).
 */
export function widenRange(lo: number, hi: number): { min: number; max: number } {
  const pad = Math.max(hi - lo, Math.abs(lo), Math.abs(hi), 1);
  const step = 10 ** Math.floor(Math.log10(pad));
  let min = roundDown(lo - pad, step);
  let max = roundUp(hi + pad, step);
  if (lo >= 0) min = Math.max(min, 0);
  if (hi <= 0) max = Math.min(max, 0);
  return { min, max };
}

function numericDraft(
  key: string,
  type: 'integer' | 'number',
  numbers: readonly number[],
  refused: readonly (string | number | boolean)[],
): { spec: FieldSpec; notes: string[] } {
  const lo = Math.min(...numbers);
  const hi = Math.max(...numbers);
  const found = keyHint(key);
  const hint = found?.hint;
  const notes: string[] = [];
  let { min, max } = widenRange(lo, hi);
  let maxOpen = false;
  if (hint?.min !== undefined && lo >= hint.min) min = hint.min;
  if (hint?.max !== undefined && hi <= hint.max) max = hint.max;
  if (hint?.state_class === 'total_increasing') maxOpen = true;
  const seen = `seen ${lo} to ${hi} in ${numbers.length} reading${numbers.length === 1 ? '' : 's'}`;
  notes.push(
    hint?.min !== undefined || hint?.max !== undefined
      ? `${type}; ${seen}; the range is the quantity's own`
      : `${type}; ${seen}; min/max widened so the next reading is not refused — set the sensor's real range`,
  );
  if (maxOpen) notes.push('a counter (it only grows): no max');
  if (type === 'integer' && lo >= 0 && hi <= 1)
    notes.push('only 0 and 1 seen: if it is an on/off state, make it type: boolean');
  if (refused.length > 0)
    notes.push(
      `${refused.length} value${refused.length === 1 ? ' was' : 's were'} not ${type === 'integer' ? 'integers' : 'numbers'} (${refused
        .slice(0, MAX_QUOTED)
        .map(shown)
        .join(', ')}): the gateway drops the field from such a reading`,
    );
  const spec: Record<string, unknown> = { type, min };
  if (!maxOpen) spec['max'] = max;
  if (hint !== undefined && found !== undefined) {
    spec['unit'] = hint.unit;
    spec['device_class'] = hint.device_class;
    spec['state_class'] = hint.state_class;
    notes.push(`unit and device_class from the key's name ("${found.word}")`);
  }
  return { spec: spec as FieldSpec, notes };
}

/** The field for one wire key, from every value it had (JSON null: absent, left out). */
export function inferField(key: string, name: string, raws: readonly RawValue[]): FieldDraft {
  const values = raws.filter((r): r is string | number | boolean => r !== null);
  for (const type of ['integer', 'number'] as const) {
    const ok = values.filter(ACCEPTS[type]);
    if (values.length > 0 && ok.length >= values.length * NUMERIC_SHARE) {
      const refused = values.filter((v) => !ACCEPTS[type](v));
      const numbers = ok.map((v) => (typeof v === 'number' ? v : Number(String(v).trim())));
      return { name, ...numericDraft(key, type, numbers, refused) };
    }
  }
  if (values.length > 0 && values.every(ACCEPTS.boolean))
    return {
      name,
      spec: { type: 'boolean' },
      notes: ['boolean; every value was true/false, on/off or yes/no'],
    };
  const texts = values.map((v) => String(v));
  const distinct = [...new Set(texts)];
  if (
    distinct.length > 0 &&
    distinct.length <= MAX_ENUM_VALUES &&
    texts.length >= distinct.length * ENUM_REPEAT &&
    distinct.every((t) => ENUM_VALUE.test(t))
  )
    return {
      name,
      spec: { type: 'enum', values: distinct.sort() },
      notes: [
        `enum; only these ${distinct.length} value${distinct.length === 1 ? ' was' : 's were'} seen — another one would be dropped: add it, or make the field a string`,
      ],
    };
  const longest = Math.max(0, ...texts.map((t) => [...t].length));
  const spec: Record<string, unknown> = { type: 'string' };
  // The default max_length (256) suits most; a longer value seen doubles it.
  if (longest > 128) spec['max_length'] = longest * 2;
  return {
    name,
    spec: spec as FieldSpec,
    notes: [`string; ${distinct.length} different value${distinct.length === 1 ? '' : 's'} seen`],
  };
}

/**
 * A field name per wire key, in the order keys were first seen: the key itself when it is
 * one topic level (docs/contract.md §5), else the key made into one (`key:` then keeps the
 * wire name), with `_2`, `_3` … when two keys would share a name.
 */
export function fieldNames(keys: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const key of keys) {
    const base = isTopicLevel(key) ? key : toTopicLevel(key).replace(/^$/, 'field').slice(0, 60);
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    names.set(key, name);
  }
  return names;
}
