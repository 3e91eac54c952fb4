#!/usr/bin/env node
// Entry point of the installed `tty2mqtt` bin. Runs the bundle dist/cli.js (`npm run
// build`; `npm ci`, `npm install` and `npm pack` make it) when it is at least as new as
// every source file: no TypeScript loader at run time saves ~35 MB of resident memory (tsx
// keeps a loader thread) and the compile at every start — it matters on a Pi. Otherwise it
// registers tsx and runs the TypeScript sources as they are, so an edited source is never
// shadowed by a stale bundle.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'dist', 'cli.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const sources = join(root, 'src');
if (existsSync(bundle) && (!existsSync(sources) || statSync(bundle).mtimeMs >= newestMtime(sources))) {
  await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
