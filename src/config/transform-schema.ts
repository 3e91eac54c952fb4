// A field's `transform:` list (README "Value transforms"): the schema of one step and the
// rules for which steps fit which field. Steps run after the value is parsed and before the
// field's checks (min/max, integer, pattern, values), so those checks see the result.
// Everything that can be wrong with a list is found here, at load time: per value, a step
// can only refuse a value it has no answer for (an unmapped value, an out-of-range result).
import * as z from 'zod';
import { closestKey, closestUnit } from './suggest.ts';
import { conversion, UNIT_NAMES, unitKind } from './physical-units.ts';

/** Most steps a field's `transform:` list may have: its cost per value stays bounded. */
export const MAX_TRANSFORM_STEPS = 16;

const finiteNumber = z.number().refine(Number.isFinite, 'must be a finite number');

/**
 * One step of a field's `transform:` list: a mapping with exactly one key, or the bare word
 * `invert`. Written as one object of optional keys (not a union) so a typo gets zod's
 * unknown-key error with a "did you mean"; the output is a tagged step for the pipeline.
 * Whether a step fits the field's type is checked in config/transform-check.ts.
 */
const STEP_KEYS = 'scale, offset, round, map, invert, clamp, convert';

export const transformStepSchema = z.preprocess(
  (v, ctx) => {
    // An empty mapping is reported here: after the object schema, a mapping whose only key
    // is a typo would look empty too, and already has its "did you mean".
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)
      ctx.addIssue({ code: 'custom', message: `is empty; a step is one of ${STEP_KEYS}` });
    if (typeof v === 'string' && v !== 'invert') {
      const guess = closestKey(v, STEP_KEYS.split(', '));
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" is not a step: the one bare word is invert, the others are mappings such as { scale: 0.1 }${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`,
      });
      // The problem is reported: a stand-in keeps the object schema from adding a second one.
      return { invert: true };
    }
    return v === 'invert' ? { invert: true } : v;
  },
  z
    .strictObject({
      scale: finiteNumber.optional().describe('multiply the value by this number'),
      offset: finiteNumber.optional().describe('add this number to the value'),
      round: z
        .number()
        .int()
        .min(0)
        .max(10)
        .optional()
        .describe('round to this many decimals (half away from zero)'),
      map: z
        .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).describe('the value it becomes'))
        .refine((m) => Object.keys(m).length > 0, 'must map at least one value')
        .optional()
        .describe('replace a value by another (`{ 0: off, 1: on }`); a value not named drops the field'),
      invert: z.literal(true).optional().describe('negate a boolean (the bare word `invert` in the list)'),
      clamp: z
        .tuple([finiteNumber, finiteNumber])
        .refine(([lo, hi]) => lo <= hi, 'needs [min, max] with min ≤ max')
        .optional()
        .describe('limit the value to [min, max]'),
      convert: z
        .strictObject({
          from: z.string().describe('the unit the device prints, e.g. `°F`'),
          to: z.string().describe('the unit to publish, e.g. `°C`'),
        })
        .superRefine((c, ctx) => {
          for (const key of ['from', 'to'] as const)
            if (unitKind(c[key]) === undefined) {
              const guess = unitHint(c[key]);
              ctx.addIssue({
                code: 'custom',
                path: [key],
                message: `unknown unit "${c[key]}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`,
              });
            }
          const both = conversion(c.from, c.to);
          if (!both.ok && unitKind(c.from) !== undefined && unitKind(c.to) !== undefined)
            ctx.addIssue({ code: 'custom', path: ['to'], message: both.reason });
        })
        .optional()
        .describe('convert between units of one kind (README "Units")'),
    })
    .superRefine((step, ctx) => {
      const keys = Object.keys(step);
      if (keys.length > 1)
        ctx.addIssue({
          code: 'custom',
          message: `has ${keys.join(', ')}: one step per list entry (each is one of ${STEP_KEYS})`,
        });
    })
    .transform((step): TransformStep => {
      if (step.scale !== undefined) return { op: 'scale', by: step.scale };
      if (step.offset !== undefined) return { op: 'offset', by: step.offset };
      if (step.round !== undefined) return { op: 'round', decimals: step.round };
      if (step.map !== undefined) return { op: 'map', table: step.map };
      if (step.clamp !== undefined) return { op: 'clamp', min: step.clamp[0], max: step.clamp[1] };
      if (step.convert !== undefined) return { op: 'convert', from: step.convert.from, to: step.convert.to };
      if (step.invert === true) return { op: 'invert' };
      // No known key: the mapping was empty or held only typos, both reported already (zod
      // runs transforms after non-fatal issues). Nothing later reads this value.
      return z.NEVER;
    }),
);

/** A validated transform step, tagged by its operation. */
export type TransformStep =
  | { op: 'scale'; by: number }
  | { op: 'offset'; by: number }
  | { op: 'round'; decimals: number }
  | { op: 'map'; table: Readonly<Record<string, string | number | boolean>> }
  | { op: 'invert' }
  | { op: 'clamp'; min: number; max: number }
  | { op: 'convert'; from: string; to: string };

/** The field as far as its transforms care; structural, so this file need not import schema.ts. */
interface FieldShape {
  readonly type: 'number' | 'integer' | 'boolean' | 'string' | 'enum';
  readonly unit?: string | undefined;
  readonly values?: readonly string[];
  readonly transform?: readonly TransformStep[] | undefined;
}

type Kind = 'number' | 'boolean' | 'string';

const KIND: Record<FieldShape['type'], Kind> = {
  number: 'number',
  integer: 'number',
  boolean: 'boolean',
  string: 'string',
  enum: 'string',
};

/** The steps each kind of value has a meaning for. */
const FITS: Record<Kind, ReadonlySet<TransformStep['op']>> = {
  number: new Set(['scale', 'offset', 'round', 'clamp', 'convert', 'map']),
  boolean: new Set(['invert', 'map']),
  string: new Set(['map']),
};

export interface TransformProblem {
  /** Under the field: `['transform', 2, 'map', 'x']`. */
  path: (string | number)[];
  message: string;
}

/** What is wrong with a field's transform list: steps that do not fit its type, bad maps, unit chains. */
export function transformProblems(field: FieldShape): TransformProblem[] {
  const problems: TransformProblem[] = [];
  const kind = KIND[field.type];
  let unit: string | undefined;
  let lastTo: string | undefined;
  (field.transform ?? []).forEach((step, i) => {
    // zod runs the profile's refinements even when a step had its own problem; such a step
    // was never turned into a tagged one, and its problem is already reported.
    if (typeof (step as Partial<TransformStep>).op !== 'string') return;
    const at = step.op === 'invert' ? ['transform', i] : ['transform', i, step.op];
    if (!FITS[kind].has(step.op)) {
      const fits = Object.entries(KIND)
        .filter(([, k]) => FITS[k].has(step.op))
        .map(([t]) => t);
      problems.push({
        path: at,
        message: `${step.op} does not fit a ${field.type} field (it is for ${fits.join(', ')} fields)`,
      });
      return;
    }
    if (step.op === 'map') problems.push(...mapProblems(field, kind, step.table, at));
    if (step.op === 'convert') {
      if (unit !== undefined && step.from !== unit)
        problems.push({
          path: [...at, 'from'],
          message: `converts from "${step.from}" but the value is in "${unit}" after the previous convert`,
        });
      unit = step.to;
      lastTo = step.to;
    }
  });
  if (lastTo !== undefined && field.unit !== undefined && field.unit !== lastTo)
    problems.push({
      path: ['unit'],
      message: `is "${field.unit}" but the transforms convert to "${lastTo}"`,
    });
  return problems;
}

function mapProblems(
  field: FieldShape,
  kind: Kind,
  table: Readonly<Record<string, string | number | boolean>>,
  at: (string | number)[],
): TransformProblem[] {
  const problems: TransformProblem[] = [];
  const seen = new Map<string, string>();
  for (const [from, to] of Object.entries(table)) {
    // Keys are matched against the parsed value: a number field compares numbers (`1` and
    // `1.0` are the same key), a boolean field true/false, string and enum fields the text.
    let canonical = from;
    if (kind === 'number') {
      const n = Number(from);
      if (from.trim() === '' || !Number.isFinite(n)) {
        problems.push({ path: [...at, from], message: `key "${from}" is not a number` });
        continue;
      }
      canonical = String(n);
    } else if (kind === 'boolean' && from !== 'true' && from !== 'false') {
      problems.push({ path: [...at, from], message: `key "${from}" must be true or false` });
      continue;
    }
    const twin = seen.get(canonical);
    if (twin !== undefined)
      problems.push({ path: [...at, from], message: `key "${from}" is the same value as "${twin}"` });
    seen.set(canonical, from);
    if (typeof to !== kind)
      problems.push({
        path: [...at, from],
        message: `maps to ${JSON.stringify(to)}, but a ${field.type} field needs a ${kind}`,
      });
    else if (field.type === 'enum' && field.values !== undefined && !field.values.includes(to as string))
      problems.push({
        path: [...at, from],
        message: `maps to ${JSON.stringify(to)}, which is not one of the field's values (${field.values.join(', ')})`,
      });
  }
  return problems;
}

/** The unit meant by an unknown name: `F` → `°F`, `hpa` → `hPa`, else the closest spelling. */
export function unitHint(name: string): string | undefined {
  return closestUnit(name, UNIT_NAMES);
}
