// Every relative link in the README and docs/ names a file that exists in the repository:
// the design lives here, and a reader following a link must land somewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

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
