#!/usr/bin/env node
// Entry point of the `tty2mqtt` bin. An installed package (npm, deploy/install.sh) holds
// only the bundle dist/cli.js and runs it: no TypeScript loader at run time saves ~35 MB of
// resident memory (tsx keeps a loader thread) and the compile at every start — it matters on
// a Pi — and tsx with esbuild are development dependencies it does not have. A checkout
// (src/cli.ts present) runs the bundle (`npm run build`; `npm ci` makes it) when it is at
// least as new as every source file, and otherwise registers tsx and runs the TypeScript
// sources as they are, so an edited source is never shadowed by a stale bundle.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'dist', 'cli.js');
const sources = join(root, 'src');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

if (!existsSync(join(sources, 'cli.ts'))) {
  if (!existsSync(bundle)) {
    process.stderr.write(`tty2mqtt: ${bundle} is missing; this installation is incomplete (reinstall it)\n`);
    process.exit(1);
  }
  await import(bundle);
} else if (existsSync(bundle) && statSync(bundle).mtimeMs >= newestMtime(sources)) {
  await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
