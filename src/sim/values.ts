// Plausible readings for a simulated device (`tty2mqtt simulate`, `tty2mqtt demo`,
// docs/contract.md §1): every value satisfies its field's schema from the profile (§3), so what
// the simulator prints is what a correct device would print. Pure: the RNG is injected.
import type { DeviceProfile, FieldSpec } from '../config/schema.ts';
import { transformedGenerator } from './transformed-values.ts';

/** A value as the simulator puts it on the wire. */
export type SimValue = string | number | boolean;

/** Uniform in [0, 1), like Math.random. */
export type Rng = () => number;

/** Each call returns one reading: wire key → value, in the profile's field order. */
export type ValueGenerator = () => Map<string, SimValue>;

type FieldGenerator = () => SimValue;

/** The range used when a profile leaves min or max open. */
const OPEN_SPAN = 100;
/** A reading moves at most this share of its range from the previous one. */
const STEP_SHARE = 0.02;
const BOOLEAN_TOGGLE_CHANCE = 0.1;
const ENUM_ADVANCE_CHANCE = 0.25;

export function createValueGenerator(profile: DeviceProfile, rng: Rng = Math.random): ValueGenerator {
  const fields = Object.entries(profile.fields).map(
    ([name, spec]) => [spec.key ?? name, fieldGenerator(spec, rng)] as const,
  );
  return () => new Map(fields.map(([key, next]) => [key, next()]));
}

function fieldGenerator(spec: FieldSpec, rng: Rng): FieldGenerator {
  const plain = plainGenerator(spec, rng);
  return spec.transform === undefined || spec.transform.length === 0
    ? plain
    : transformedGenerator(spec, rng, plain);
}

/** A value that satisfies the field's checks, before any transform. */
function plainGenerator(spec: FieldSpec, rng: Rng): FieldGenerator {
  switch (spec.type) {
    case 'number':
    case 'integer':
      return numberGenerator(spec, rng);
    case 'boolean': {
      let value = rng() < 0.5;
      return () => {
        if (rng() < BOOLEAN_TOGGLE_CHANCE) value = !value;
        return value;
      };
    }
    case 'enum': {
      let index = Math.floor(rng() * spec.values.length);
      return () => {
        if (rng() < ENUM_ADVANCE_CHANCE) index = (index + 1) % spec.values.length;
        return spec.values[index] ?? spec.values[0] ?? '';
      };
    }
    case 'string':
      return stringGenerator(spec.max_length, spec.pattern);
  }
}

function bounds(spec: { min?: number | undefined; max?: number | undefined }): [number, number] {
  const lo = spec.min ?? (spec.max !== undefined ? spec.max - OPEN_SPAN : 0);
  const hi = spec.max ?? lo + OPEN_SPAN;
  return [lo, hi];
}

/**
 * A bounded random walk. `state_class: total_increasing` (an energy meter) only ever
 * climbs, slowly, so the simulated counter looks like a real one.
 */
function numberGenerator(spec: FieldSpec & { type: 'number' | 'integer' }, rng: Rng): FieldGenerator {
  const integer = spec.type === 'integer';
  let [lo, hi] = bounds(spec);
  if (integer) [lo, hi] = [Math.ceil(lo), Math.floor(hi)];
  const span = hi - lo;
  const increasing = spec.state_class === 'total_increasing';
  const decimals = increasing ? 3 : span <= 20 ? 2 : 1;
  let value = increasing ? lo + span * 0.1 * rng() : lo + span * (0.3 + 0.4 * rng());
  return () => {
    const step = span * STEP_SHARE * rng();
    value = increasing ? value + step * 0.1 : value + (rng() < 0.5 ? -step : step);
    value = Math.min(hi, Math.max(lo, value));
    const shown = integer ? Math.round(value) : roundTo(value, decimals);
    return Math.min(hi, Math.max(lo, shown));
  };
}

function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/**
 * Short samples without separators (they must survive kv and csv framing), cut to
 * `max_length`; with a `pattern`, the first sample that matches it, when one does.
 */
function stringGenerator(maxLength: number, pattern: string | undefined): FieldGenerator {
  const re = pattern === undefined ? undefined : new RegExp(pattern);
  let n = 0;
  return () => {
    n = (n % 999) + 1;
    const samples = [`sample-${n}`, `s${n}`, `${n}`, 'ok', 'A', 'a', '0'].map((s) => s.slice(0, maxLength));
    return samples.find((s) => re === undefined || re.test(s)) ?? samples[0] ?? '';
  };
}
