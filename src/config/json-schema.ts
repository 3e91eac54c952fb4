// JSON Schemas of gateway.yaml and profile.yaml, generated from the zod schemas (schema.ts) so
// editors complete and underline keys (the `# yaml-language-server: $schema=…` first line of
// the shipped files). They describe the file as written — `io: 'input'`: `30s` and `1MiB` are
// valid, defaults are shown as a user writes them — and draft-07, which editors and
// validators read best. What zod checks in code (superRefine: `url` with `broker: external`,
// unique port names, safe regexes) is not in them: `tty2mqtt check` has the last word.
import * as z from 'zod';
import { gatewayConfigSchema, profileSchema } from './schema.ts';

export type JsonSchema = Record<string, unknown>;

export function toInputJsonSchema(schema: z.ZodType, title: string, description: string): JsonSchema {
  const generated = z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'throw' });
  const { $schema, ...rest } = generated;
  return { $schema, title, description, ...rest };
}

export function gatewayJsonSchema(): JsonSchema {
  return toInputJsonSchema(
    gatewayConfigSchema,
    'tty2mqtt gateway.yaml',
    'The tty2mqtt daemon configuration. Generated from src/config/schema.ts by `npm run docs:reference`; do not edit.',
  );
}

export function profileJsonSchema(): JsonSchema {
  return toInputJsonSchema(
    profileSchema,
    'tty2mqtt device profile (devices/<id>/profile.yaml)',
    'A tty2mqtt device profile. Generated from src/config/schema.ts by `npm run docs:reference`; do not edit.',
  );
}
