// The key references (docs/reference/) and JSON Schemas (schema/) are generated from
// src/config/schema.ts: the committed files must be what the schema gives now, so a key added,
// renamed or re-described without regenerating fails here, saying which command fixes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles, REGENERATE } from '../../../scripts/reference-files.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

for (const file of generatedFiles()) {
  test(`${file.path} is what ${REGENERATE} generates now`, () => {
    const path = join(root, file.path);
    assert.ok(existsSync(path), `${file.path} is missing: run \`${REGENERATE}\` and commit it`);
    const committed = readFileSync(path, 'utf8');
    if (committed === file.text) return;
    const a = committed.split('\n');
    const b = file.text.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    assert.fail(
      `${file.path} differs from what src/config/schema.ts gives now (first at line ${line + 1}:\n` +
        `  committed: ${a[line] ?? '(end of file)'}\n  generated: ${b[line] ?? '(end of file)'})\n` +
        `run \`${REGENERATE}\` and commit the result`,
    );
  });
}

test('the JSON Schemas ship with the npm package', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] };
  const schemas = generatedFiles().filter((f) => f.path.endsWith('.json'));
  assert.equal(schemas.length, 2);
  for (const f of schemas)
    assert.ok(
      pkg.files.some((entry) => f.path === entry || f.path.startsWith(`${entry}/`)),
      `${f.path} is not under package.json "files"`,
    );
});
