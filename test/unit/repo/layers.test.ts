// Layers point one way (docs/architecture.md "Layers"): a module may import from its own
// folder and from folders of a lower rank, never from a higher one, and folders form no
// cycle. The few upward imports that remain are listed below, each with the reason it is
// still there; the test fails on any other, and on an entry here that no longer exists (so
// the list only shrinks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const src = join(root, 'src');

/** Rank of each top-level module of src/ (a folder, or a file at the top). Low = foundation. */
const RANK: Record<string, number> = {
  'errors.ts': 0,
  'service.ts': 0,
  'package-root.ts': 0,
  log: 0,
  os: 0,
  net: 0,
  topics: 0,
  secrets: 0,
  config: 1,
  framing: 2,
  pipeline: 2,
  line: 3,
  mqttsn: 4,
  mysensors: 4,
  serial: 5,
  queue: 5,
  mqtt: 6,
  broker: 6,
  'device-commands': 7,
  requests: 7,
  ports: 8,
  ops: 9,
  app: 10,
  sim: 11,
  demo: 11,
  cli: 12,
  'cli.ts': 13,
};

/** Upward imports still to be removed: `from → to` (paths under src/) and why they remain. */
const KNOWN_UPWARD: Record<string, string> = {};

/** File-level import cycles still to be broken, and why they remain. */
const KNOWN_FILE_CYCLES: Record<string, string> = {};

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function moduleOf(pathUnderSrc: string): string {
  return pathUnderSrc.split('/')[0] ?? pathUnderSrc;
}

/** Every relative import between different top-level modules, as `from → to`. */
function crossImports(): { from: string; to: string }[] {
  const edges: { from: string; to: string }[] = [];
  for (const file of tsFiles(src)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const from = relative(src, file);
      const to = relative(src, normalize(join(dirname(file), match[1] ?? '')));
      if (moduleOf(from) !== moduleOf(to)) edges.push({ from, to });
    }
  }
  return edges;
}

test('every top-level module of src/ has a rank', () => {
  const modules = new Set(tsFiles(src).map((f) => moduleOf(relative(src, f))));
  assert.deepEqual(
    [...modules].filter((m) => RANK[m] === undefined),
    [],
  );
});

test('imports point down, except the listed ones', () => {
  const edges = crossImports();
  const upward = new Set<string>();
  for (const { from, to } of edges) {
    const a = RANK[moduleOf(from)] ?? Infinity;
    const b = RANK[moduleOf(to)] ?? Infinity;
    if (b > a) upward.add(`${from} → ${to}`);
  }
  console.log(`${edges.length} imports across modules, ${upward.size} upward (all listed)`);
  assert.deepEqual(
    [...upward].filter((e) => KNOWN_UPWARD[e] === undefined),
    [],
    'an import points up a layer',
  );
  assert.deepEqual(
    Object.keys(KNOWN_UPWARD).filter((e) => !upward.has(e)),
    [],
    'a listed upward import is gone: take it off the list',
  );
});

test('modules form no cycle (apart from the listed upward imports)', () => {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of crossImports()) {
    if (KNOWN_UPWARD[`${from} → ${to}`] !== undefined) continue;
    const a = moduleOf(from);
    const b = moduleOf(to);
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)?.add(b);
  }
  // Depth-first search for a back edge; reports the first cycle found as a path.
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const cycles: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].join(' → '));
      else if (state.get(next) === undefined) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (state.get(node) === undefined) visit(node);
  assert.deepEqual(cycles, []);
});

test('files form no import cycle (apart from the listed ones)', () => {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(src)) {
    const from = relative(src, file);
    const text = readFileSync(file, 'utf8');
    graph.set(
      from,
      [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) =>
        relative(src, normalize(join(dirname(file), m[1] ?? ''))),
      ),
    );
  }
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const cycles: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].join(' → '));
      else if (state.get(next) === undefined) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (state.get(node) === undefined) visit(node);
  assert.deepEqual(
    cycles.filter((c) => KNOWN_FILE_CYCLES[c] === undefined),
    [],
  );
  assert.deepEqual(
    Object.keys(KNOWN_FILE_CYCLES).filter((c) => !cycles.includes(c)),
    [],
    'a listed cycle is gone: take it off the list',
  );
});

test('each third-party package is imported by one folder, its owner', () => {
  const importers = new Map<string, Set<string>>();
  for (const file of tsFiles(src)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
      const spec = match[1] ?? '';
      if (spec.startsWith('.') || spec.startsWith('node:')) continue;
      // The package name: `@scope/name` or `name`, without a subpath.
      const name = spec
        .split('/')
        .slice(0, spec.startsWith('@') ? 2 : 1)
        .join('/');
      // serialport and its @serialport/* parts are one library with one owner.
      const pkg = name.startsWith('@serialport/') ? 'serialport' : name;
      if (!importers.has(pkg)) importers.set(pkg, new Set());
      importers.get(pkg)?.add(moduleOf(relative(src, file)));
    }
  }
  const shared = [...importers]
    .filter(([, folders]) => folders.size > 1)
    .map(([p, f]) => `${p}: ${[...f].join(', ')}`);
  console.log(`${importers.size} packages, ${importers.size - shared.length} with one owner`);
  assert.deepEqual(shared, []);
  assert.ok(importers.size >= 8, 'fewer packages than expected: the scan is broken');
});
