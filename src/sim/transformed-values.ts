// Wire values for a simulated field that has a `transform:` list: what the device prints is
// the value *before* the transforms, so it is worked out backwards from a plausible result.
// - a list that starts with a `map`: one of the map's keys (those whose result passes the
//   field's checks);
// - a number list of scale / offset / convert (linear) with round / clamp: a result drawn as
//   for any number field, then the linear part undone;
// - anything else (`invert` on a boolean): the plain generator, which any boolean satisfies.
import type { FieldSpec } from '../config/schema.ts';
import { conversion } from '../config/physical-units.ts';
import { compileFields } from '../pipeline/validate.ts';

type Generator = () => string | number | boolean;

export function transformedGenerator(spec: FieldSpec, rng: () => number, plain: Generator): Generator {
  const steps = spec.transform ?? [];
  const first = steps[0];
  if (first?.op === 'map') {
    const field = compileFields({ f: spec }).fields[0];
    const keys = Object.keys(first.table).filter((k) => field?.convert(k).ok === true);
    const choices = keys.length > 0 ? keys : Object.keys(first.table);
    let index = Math.floor(rng() * choices.length);
    return () => {
      if (rng() < 0.25) index = (index + 1) % choices.length;
      return choices[index] ?? '';
    };
  }
  if (spec.type !== 'number' && spec.type !== 'integer') return plain;
  // result = wire × a + b over the linear steps; round and clamp only tidy the result.
  let a = 1;
  let b = 0;
  for (const step of steps) {
    if (step.op === 'scale') [a, b] = [a * step.by, b * step.by];
    else if (step.op === 'offset') b += step.by;
    else if (step.op === 'convert') {
      const c = conversion(step.from, step.to);
      if (!c.ok) return plain;
      [a, b] = [a * c.conversion.factor, b * c.conversion.factor + c.conversion.offset];
    } else if (step.op !== 'round' && step.op !== 'clamp') return plain;
  }
  if (a === 0 || !Number.isFinite(a) || !Number.isFinite(b)) return plain;
  return () => {
    const wire = ((plain() as number) - b) / a;
    return spec.type === 'integer' ? Math.round(wire) : Number(wire.toPrecision(12));
  };
}
