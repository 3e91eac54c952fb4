// Evaluating a field's `transform:` list (README "Value transforms"). The list was checked
// at load time (config/transform-schema.ts): every step fits the field's kind of value and
// every unit conversion exists. Per value a step can still refuse what it has no answer for:
// a value missing from a `map`, or an arithmetic result that is not a finite number.
//
// Each step is compiled once per profile into a small function. `applyTransforms` is the hot
// path (no allocation on success beyond the result); `traceTransforms` runs the same
// functions and keeps every intermediate value, for a command that shows a profile's work.
import type { TransformStep } from '../config/schema.ts';
import { conversion } from '../config/physical-units.ts';
import { quote } from '../log/detail.ts';
import type { FieldValue } from './types.ts';

export type StepResult = { ok: true; value: FieldValue } | { ok: false; reason: string };

interface CompiledStep {
  /** `scale 0.1`, `convert °F → °C`: how a trace names the step. */
  readonly label: string;
  readonly run: (value: FieldValue) => StepResult;
}

export type TransformChain = readonly CompiledStep[];

export interface TransformTrace {
  /** The value before the first step, then one entry per step that ran. */
  readonly steps: readonly { step: string; value: FieldValue }[];
  readonly result: StepResult;
}

/**
 * Compiles a validated list. A step the schema would have refused (a conversion between
 * unknown units) is a programming error and throws here, at startup, never per line.
 */
export function compileTransforms(steps: readonly TransformStep[] | undefined): TransformChain {
  return (steps ?? []).map((step, i) => compileStep(step, i + 1));
}

export function applyTransforms(chain: TransformChain, value: FieldValue): StepResult {
  let current = value;
  for (const step of chain) {
    const r = step.run(current);
    if (!r.ok) return r;
    current = r.value;
  }
  return { ok: true, value: current };
}

/** The same evaluation as applyTransforms, keeping each intermediate value. */
export function traceTransforms(chain: TransformChain, value: FieldValue): TransformTrace {
  const steps: { step: string; value: FieldValue }[] = [{ step: 'parsed', value }];
  let current = value;
  for (const step of chain) {
    const r = step.run(current);
    if (!r.ok) return { steps, result: r };
    current = r.value;
    steps.push({ step: step.label, value: current });
  }
  return { steps, result: { ok: true, value: current } };
}

/**
 * Binary floating point turns 21.5 × 1.8 + 32 into 70.69999999999999; sensor values never
 * carry 15 significant digits, so arithmetic results are kept to 15 and show as 70.7.
 */
function tidy(x: number): number {
  const t = Number(x.toPrecision(15));
  // Next to ±Number.MAX_VALUE, 15 digits round up to an infinity: keep the exact value.
  return Number.isFinite(t) ? t : x;
}

function arithmetic(label: string, f: (v: number) => number): CompiledStep {
  return {
    label,
    run: (v) => {
      const x = f(v as number);
      return Number.isFinite(x)
        ? { ok: true, value: tidy(x) }
        : { ok: false, reason: `${String(v)} is out of range after ${label}` };
    },
  };
}

/** Half away from zero, on the decimal value as written (1.005 → 1.01, not binary's 1.00). */
function roundTo(v: number, decimals: number): number {
  const f = 10 ** decimals;
  const scaled = Math.abs(v) * f;
  // Past 2^53 every double is already an integer: nothing left to round.
  if (scaled >= 2 ** 53) return v;
  const r = Math.round(Number(scaled.toPrecision(15))) / f;
  return v < 0 && r !== 0 ? -r : r;
}

function compileStep(step: TransformStep, index: number): CompiledStep {
  switch (step.op) {
    case 'scale':
      return arithmetic(`scale ${step.by}`, (v) => v * step.by);
    case 'offset':
      return arithmetic(`offset ${step.by}`, (v) => v + step.by);
    case 'round':
      return {
        label: `round ${step.decimals}`,
        run: (v) => ({ ok: true, value: roundTo(v as number, step.decimals) }),
      };
    case 'clamp':
      return {
        label: `clamp [${step.min}, ${step.max}]`,
        run: (v) => ({ ok: true, value: Math.min(step.max, Math.max(step.min, v as number)) }),
      };
    case 'invert':
      return { label: 'invert', run: (v) => ({ ok: true, value: !(v as boolean) }) };
    case 'convert': {
      const c = conversion(step.from, step.to);
      if (!c.ok) throw new TypeError(`transform step ${index}: ${c.reason}`);
      const { factor, offset } = c.conversion;
      return arithmetic(`convert ${step.from} → ${step.to}`, (v) => v * factor + offset);
    }
    case 'map':
      return compileMap(step.table, index);
  }
}

/**
 * Keys match the parsed value: numerically for numbers (the key `1.0` matches 1), `true`/
 * `false` for booleans, the exact text otherwise. A value without a key is refused: guessing
 * would publish a state the profile never named.
 */
function compileMap(table: Readonly<Record<string, FieldValue>>, index: number): CompiledStep {
  const entries = Object.entries(table);
  const byText = new Map(entries);
  const byNumber = new Map(entries.map(([k, v]) => [Number(k), v]));
  const keys = entries.map(([k]) => k).join(', ');
  const shownKeys = keys.length > 60 ? `${keys.slice(0, 60)}…` : keys;
  return {
    label: 'map',
    run: (v) => {
      const to = typeof v === 'number' ? byNumber.get(v) : byText.get(String(v));
      if (to !== undefined) return { ok: true, value: to };
      const shown = typeof v === 'string' ? quote(v) : String(v);
      return { ok: false, reason: `${shown} is not mapped by transform step ${index} (map: ${shownKeys})` };
    },
  };
}
