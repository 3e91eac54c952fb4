// `npm run docs:reference`: writes the key references (docs/reference/) and JSON Schemas
// (schema/) generated from src/config/schema.ts. `--check` writes nothing and exits 1 when a
// committed file differs from what the schema gives now.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles, REGENERATE } from './reference-files.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

function current(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

let stale = 0;
for (const file of generatedFiles()) {
  const path = join(root, file.path);
  if (current(path) === file.text) continue;
  if (check) {
    stale++;
    console.error(`${file.path} is out of date`);
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.text);
    console.log(`wrote ${file.path}`);
  }
}
if (stale > 0) {
  console.error(`run \`${REGENERATE}\` and commit the result`);
  process.exitCode = 1;
}
