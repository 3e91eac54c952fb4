// `npm run build`: bundles src/cli.ts into dist/ (bin/tty2mqtt.js runs it; docs/performance.md).
// Every runtime dependency stays an external package loaded from node_modules, except the
// pure-ESM ones in BUNDLED: bundling lets esbuild keep only the parts we call and write their
// source as ASCII (V8 stores a source with any non-ASCII character at two bytes per
// character, and keeps every loaded module's source for the process's lifetime).
// zod: 200 KB of its 1.9 MB (its ~40 message locales and unused APIs are left out).
// `charset: 'ascii'` escapes non-ASCII characters in code, but esbuild copies comments as they
// are; the comments' characters (em dashes, °C) are written as \uXXXX text for the same reason.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUNDLED = new Set(['zod']);

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const packages = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)];
// A package and its subpaths (`mqtt-packet/constants`); @serialport/* arrive through serialport.
const external = packages
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`])
  .concat('@serialport/*');

// BUILD_OUTDIR: somewhere else than dist/ (the build-output test builds into a temporary folder).
const outdir = process.env['BUILD_OUTDIR'] ?? join(root, 'dist');
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  charset: 'ascii',
  logLevel: 'warning',
  write: false,
  metafile: process.env['BUILD_METAFILE'] !== undefined,
});
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, asciiComments(file.text));
}

/** With charset ascii, a character outside printable ASCII left in esbuild's output is in a comment. */
function asciiComments(text: string): string {
  return text.replace(/[^\t\n\r\x20-\x7e]/gu, (c) => `\\u{${c.codePointAt(0)?.toString(16)}}`);
}

// BUILD_METAFILE=<file>: what each output file holds, for docs/performance.md's memory notes.
const metafileOut = process.env['BUILD_METAFILE'];
if (metafileOut !== undefined) writeFileSync(metafileOut, JSON.stringify(result.metafile));
