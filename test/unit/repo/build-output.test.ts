// What `npm run build` promises for memory (scripts/build.ts, docs/performance.md): zod is in
// the bundle rather than loaded with its locales from node_modules, and every output file is
// printable ASCII, so V8 keeps each module's source at one byte per character.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const outdir = mkdtempSync(join(tmpdir(), 'tty2mqtt-build-'));
const files: { name: string; text: string }[] = [];

before(() => {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], {
    env: { ...process.env, BUILD_OUTDIR: outdir },
    stdio: 'inherit',
  });
  for (const name of readdirSync(outdir, { recursive: true, encoding: 'utf8' }))
    if (name.endsWith('.js')) files.push({ name, text: readFileSync(join(outdir, name), 'utf8') });
});
after(() => rmSync(outdir, { recursive: true, force: true }));

test('the bundle has an entry and chunks', () => {
  assert.ok(files.some((f) => f.name === 'cli.js'));
  assert.ok(files.length > 5, `${files.length} files`);
});

test('every output file is printable ASCII (comments included)', () => {
  for (const { name, text } of files) {
    const at = text.search(/[^\t\n\r\x20-\x7e]/u);
    assert.equal(at, -1, `${name}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}`);
  }
});

test('zod is bundled, not imported from node_modules', () => {
  for (const { name, text } of files) assert.doesNotMatch(text, /from "zod|require\("zod/u, name);
  assert.ok(
    files.some((f) => f.text.includes('node_modules/zod/')),
    'zod sources in the bundle',
  );
});

test('the bundle carries the commit it was built from (this checkout)', () => {
  const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
  assert.match(head, /^[0-9a-f]{12}$/u);
  const stamp = new RegExp(`"${head}(\\+changes)?"`, 'u');
  assert.ok(
    files.some((f) => stamp.test(f.text)),
    `"${head}" in the bundle`,
  );
});

test('the other packages stay external', () => {
  assert.ok(files.some((f) => /from "serialport"/u.test(f.text)));
  for (const { name, text } of files) assert.doesNotMatch(text, /^\/\/ \S*node_modules\/(?!zod\/)/mu, name);
});
