// `npm run build`: bundles src/cli.ts into dist/ (bin/tty2mqtt.js runs it; docs/performance.md).
// Every runtime dependency stays an external package loaded from node_modules, except the
// pure-ESM ones in BUNDLED: bundling lets esbuild keep only the parts we call and write their
// source as ASCII (V8 stores a source with any non-ASCII character at two bytes per
// character, and keeps every loaded module's source for the process's lifetime).
// zod: 200 KB of its 1.9 MB (its ~40 message locales and unused APIs are left out).
// `charset: 'ascii'` escapes non-ASCII characters in code, but esbuild copies comments as they
// are; the comments' characters (em dashes, °C) are written as \uXXXX text for the same reason.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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

/**
 * The commit the sources come from, for `--version` and the build_info metric: `+changes`
 * when src/ differs from it, "unknown" outside a git checkout of this repository (a copy, an
 * unpacked tarball) or without git.
 */
function sourceCommit(): string {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    // Not the commit of a repository the folder merely sits in.
    if (realpathSync(git('rev-parse', '--show-toplevel')) !== realpathSync(root)) return 'unknown';
    const head = git('rev-parse', '--short=12', 'HEAD');
    return git('status', '--porcelain', '--', 'src') === '' ? head : `${head}+changes`;
  } catch {
    return 'unknown';
  }
}

// BUILD_OUTDIR: somewhere else than dist/ (the build-output test builds into a temporary folder).
const outdir = process.env['BUILD_OUTDIR'] ?? join(root, 'dist');
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
  define: { TTY2MQTT_BUILD_COMMIT: JSON.stringify(sourceCommit()) },
});
// A process may be running the previous bundle while this one is written (the deploy test
// builds while other test files run the daemon): each file is replaced by a rename, never
// truncated in place, and files left from an earlier build are removed only at the end.
// Chunk names carry a hash of their content, so a rebuild of unchanged sources writes the
// same names; the entry is always rewritten, as bin/tty2mqtt.js compares its mtime with src/.
const written = new Set<string>();
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  const temporary = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temporary, asciiComments(file.text));
  renameSync(temporary, file.path);
  written.add(file.path);
}
for (const name of readdirSync(outdir, { recursive: true, encoding: 'utf8' })) {
  const path = join(outdir, name);
  if (!written.has(path) && statSync(path).isFile()) rmSync(path);
}

/** With charset ascii, a character outside printable ASCII left in esbuild's output is in a comment. */
function asciiComments(text: string): string {
  return text.replace(/[^\t\n\r\x20-\x7e]/gu, (c) => `\\u{${c.codePointAt(0)?.toString(16)}}`);
}

// BUILD_METAFILE=<file>: what each output file holds, for docs/performance.md's memory notes.
const metafileOut = process.env['BUILD_METAFILE'];
if (metafileOut !== undefined) writeFileSync(metafileOut, JSON.stringify(result.metafile));
