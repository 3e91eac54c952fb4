// The generated reference files: the key reference of gateway.yaml and profile.yaml (docs/reference/)
// and their JSON Schemas (schema/, shipped with the package for editors). One list, used by
// `npm run docs:reference` to write them and by test/unit/repo/generated-reference.test.ts to
// fail when the committed ones differ.
import { gatewayJsonSchema, profileJsonSchema } from '../src/config/json-schema.ts';
import type { JsonSchema } from '../src/config/json-schema.ts';
import { referenceRows, referenceTable } from '../src/config/reference-doc.ts';

export interface GeneratedFile {
  /** Relative to the repository root. */
  path: string;
  text: string;
}

export const REGENERATE = 'npm run docs:reference';

const HEADER = `<!-- Generated from src/config/schema.ts by \`${REGENERATE}\`: do not edit. Change the schema's .describe() texts and regenerate. -->`;

const READING = `How to read it:

- **key**: \`a.b\` is \`b\` inside \`a:\`; \`a[].b\` is \`b\` in each entry of the list \`a:\`; \`<name>\` is a name you choose.
- **type**: \`duration\` is \`250ms\`, \`30s\`, \`5m\`, \`2h\`, \`7d\` or a number of milliseconds; \`size\` is \`4096\`, \`64KiB\`, \`256MiB\`, \`1GB\` or a number of bytes.
- **default**: what applies when the key is left out, as you would write it; \`required\`: it must be given; \`—\`: none (the description says what leaving it out means).
- Unknown keys are errors. Rules that tie several keys together (see the descriptions) are checked by \`tty2mqtt check\`, which has the last word.`;

function page(title: string, intro: string, schema: JsonSchema): string {
  return `${HEADER}

# ${title}

${intro}

${READING}

${referenceTable(referenceRows(schema))}`;
}

const GATEWAY_INTRO = `Every key of \`gateway.yaml\`, generated from the schema the daemon validates it with
([src/config/schema.ts](../../src/config/schema.ts)). The README's
[Configuration](../../README.md#configuration-gatewayyaml) section explains the common keys with
examples. Any string value may use \`\${ENV_VAR}\` or \`\${ENV_VAR:-default}\`.

Editors: [schema/gateway.schema.json](../../schema/gateway.schema.json) is the JSON Schema of
this file; with the first line \`# yaml-language-server: $schema=schema/gateway.schema.json\` (a
path relative to the YAML file, as in the shipped gateway.yaml) the YAML extension of VS Code
completes keys and underlines mistakes. It checks the file as written, so a value given as
\`\${ENV_VAR}\` where a number is expected is underlined although \`check\` accepts it.`;

const PROFILE_INTRO = `Every key of a device profile, \`devices/<id>/profile.yaml\`, generated from the schema the
daemon validates it with ([src/config/schema.ts](../../src/config/schema.ts)). The README's
[Device profiles](../../README.md#device-profiles-devicesidprofileyaml) section explains them
with an example.

Editors: [schema/profile.schema.json](../../schema/profile.schema.json) is the JSON Schema of a
profile; the shipped profiles start with
\`# yaml-language-server: $schema=../../schema/profile.schema.json\` (relative to the profile),
so the YAML extension of VS Code completes keys and underlines mistakes.`;

function json(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export function generatedFiles(): GeneratedFile[] {
  const gateway = gatewayJsonSchema();
  const profile = profileJsonSchema();
  return [
    { path: 'docs/reference/gateway.yaml.md', text: page('gateway.yaml reference', GATEWAY_INTRO, gateway) },
    { path: 'docs/reference/profile.yaml.md', text: page('profile.yaml reference', PROFILE_INTRO, profile) },
    { path: 'schema/gateway.schema.json', text: json(gateway) },
    { path: 'schema/profile.schema.json', text: json(profile) },
  ];
}
