// The design lives in the repository, and a reader following a reference must land
// somewhere: every relative link in the README and docs/ names a file that exists; every
// `docs/…` a source, test or benchmark cites exists; and none cites a document that is not
// in the repository (the original contract and design notes, issue texts, paths on a
// developer's machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

/** `](target)` links that point into the repository (no scheme, not a bare #anchor). */
function relativeLinks(text: string): string[] {
  const links: string[] = [];
  for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = match[1] ?? '';
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    links.push(target.split('#')[0] ?? '');
  }
  return links;
}

test('README.md and docs/ link only to files that exist', () => {
  const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];
  const dangling: string[] = [];
  let checked = 0;
  for (const file of files) {
    for (const target of relativeLinks(readFileSync(file, 'utf8'))) {
      checked++;
      if (!existsSync(join(dirname(file), target))) dangling.push(`${relative(root, file)} → ${target}`);
    }
  }
  console.log(`${checked} links in ${files.length} files`);
  assert.deepEqual(dangling, []);
  assert.ok(checked > 0, 'no links found: the scan is broken');
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js|c|sh|yaml|ino|service)$/.test(entry.name) ? [path] : [];
  });
}

test('sources, tests and benchmarks cite docs/ that exist, and nothing outside the repository', () => {
  const files = ['src', 'test', 'bench', 'hil', 'deploy', 'devices'].flatMap((d) =>
    sourceFiles(join(root, d)),
  );
  const dangling: string[] = [];
  const outside: string[] = [];
  let cited = 0;
  // Built from parts so that this file does not match itself.
  const foreign = new RegExp(
    ['PRODUCT', 'ARCHITECTURE'].map((n) => `\\b${n}\\.md\\b`).join('|') +
      '|\\b[Ii]ssue \\d+|' +
      ['', 'work', 'shared', ''].join('/'), // a path on the machine this was written on
  );
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?<![\w./-])docs\/[\w./-]*\.md/g)) {
      cited++;
      if (!existsSync(join(root, match[0]))) dangling.push(`${relative(root, file)} → ${match[0]}`);
    }
    text.split('\n').forEach((line, i) => {
      if (foreign.test(line)) outside.push(`${relative(root, file)}:${i + 1}: ${line.trim().slice(0, 100)}`);
    });
  }
  console.log(`${cited} docs/ citations in ${files.length} files`);
  assert.deepEqual(dangling, [], 'citations of docs/ files that do not exist');
  assert.deepEqual(outside, [], 'citations of documents that are not in the repository');
  assert.ok(cited > 0, 'no docs/ citation found: the scan is broken');
});

test('README.md and docs/ name source files that exist', () => {
  // `ports/port-host.ts`, `src/cli/run.ts`, `test/helpers/socat.ts`, `hil/harness.c`: a path
  // with a folder, relative to src/ or to the repository. Patterns (`<id>`, `*`) are not paths.
  const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];
  const missing: string[] = [];
  let named = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/`([\w.-]+(?:\/[\w.-]+)+\.(?:ts|js|sh|c|ino|yaml|service))`/g)) {
      const path = match[1] ?? '';
      named++;
      if (!existsSync(join(root, 'src', path)) && !existsSync(join(root, path))) {
        missing.push(`${relative(root, file)} → ${path}`);
      }
    }
  }
  console.log(`${named} source paths named in ${files.length} files`);
  assert.deepEqual(missing, [], 'the docs name a file that does not exist');
  assert.ok(named > 0, 'no source path found: the scan is broken');
});
