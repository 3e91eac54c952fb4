// The keys a mapping of the schema accepts at a given path, for "did you mean" suggestions on
// unknown keys. zod's unrecognized_keys issue names the bad key only, so we walk the schema.
import * as z from 'zod';
import type { ConfigPath } from './positions.ts';

/** Through the wrappers that do not change the shape: defaults, prefaults, optional, nullable, pipes, preprocess. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 32; i++) {
    if (
      s instanceof z.ZodDefault ||
      s instanceof z.ZodPrefault ||
      s instanceof z.ZodOptional ||
      s instanceof z.ZodNullable
    )
      s = s.unwrap() as z.ZodType;
    // z.preprocess(f, schema) is a pipe from a transform: the shape is the pipe's output.
    else if (s instanceof z.ZodPipe) s = (s.in instanceof z.ZodTransform ? s.out : s.in) as z.ZodType;
    else break;
  }
  return s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shapeOf(o: z.ZodObject): Record<string, z.ZodType | undefined> {
  return o.shape;
}

/** The object branches of a union that could describe `data` (by discriminator when there is one). */
function objectOptions(schema: z.ZodType, data: unknown): z.ZodObject[] {
  if (schema instanceof z.ZodObject) return [schema];
  if (!(schema instanceof z.ZodUnion)) return [];
  const options = (schema.options as z.ZodType[])
    .map(unwrap)
    .filter((o): o is z.ZodObject => o instanceof z.ZodObject);
  if (schema instanceof z.ZodDiscriminatedUnion && isRecord(data)) {
    const disc = schema.def.discriminator;
    const matching = options.filter((o) => shapeOf(o)[disc]?.safeParse(data[disc]).success === true);
    if (matching.length > 0) return matching;
  }
  return options;
}

function child(schema: z.ZodType, seg: string | number, data: unknown): z.ZodType | undefined {
  const s = unwrap(schema);
  if (s instanceof z.ZodArray) return s.element as z.ZodType;
  if (s instanceof z.ZodRecord) return s.valueType as z.ZodType;
  for (const o of objectOptions(s, data)) {
    const c = shapeOf(o)[String(seg)];
    if (c !== undefined) return c;
  }
  return undefined;
}

function at(data: unknown, seg: string | number): unknown {
  if (Array.isArray(data) && typeof seg === 'number') return data[seg];
  return isRecord(data) ? data[String(seg)] : undefined;
}

/** Keys the mapping at `path` may hold; empty when the path is not a fixed-shape mapping. */
export function knownKeys(schema: z.ZodType, path: ConfigPath, root: unknown): string[] {
  let s: z.ZodType | undefined = schema;
  let data = root;
  for (const seg of path) {
    s = child(s, seg, data);
    data = at(data, seg);
    if (s === undefined) return [];
  }
  const keys = new Set<string>();
  for (const o of objectOptions(unwrap(s), data)) for (const k of Object.keys(o.shape)) keys.add(k);
  return [...keys];
}
