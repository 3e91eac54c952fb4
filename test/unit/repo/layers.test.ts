// Layers point one way (docs/architecture.md "Layers"): a module may import from its own
// folder and from folders of a lower rank, never from a higher one; neither folders nor
// files form an import cycle; and each third-party package has one owner folder.
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
  'build-info.ts': 0,
  'require-cjs.ts': 0,
  'id-map.ts': 0,
  log: 0,
  os: 0,
  net: 0,
  topics: 0,
  secrets: 0,
  firmware: 0,
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
  learn: 11,
  cli: 12,
  'cli.ts': 13,
};

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

/** What a file imports: `import … from '…'`, `import '…'`, `import('…')`, `export … from '…'`. */
function importSpecs(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1] ?? '');
}

/** The files under src/ and the src/ files each imports, as paths under src/. */
function fileGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(src)) {
    const local = importSpecs(file).filter((spec) => spec.startsWith('./') || spec.startsWith('../'));
    graph.set(
      relative(src, file),
      local.map((spec) => relative(src, normalize(join(dirname(file), spec)))),
    );
  }
  return graph;
}

/** Every cycle a depth-first search meets (one back edge each), as `a → b → a`. */
function findCycles(graph: ReadonlyMap<string, Iterable<string>>): string[] {
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
  return cycles;
}

test('every top-level module of src/ has a rank', () => {
  const modules = new Set(tsFiles(src).map((f) => moduleOf(relative(src, f))));
  assert.deepEqual(
    [...modules].filter((m) => RANK[m] === undefined),
    [],
  );
});

test('imports point down', () => {
  let across = 0;
  const upward: string[] = [];
  for (const [from, imports] of fileGraph()) {
    for (const to of imports) {
      if (moduleOf(from) === moduleOf(to)) continue;
      across++;
      if ((RANK[moduleOf(to)] ?? Infinity) > (RANK[moduleOf(from)] ?? Infinity))
        upward.push(`${from} → ${to}`);
    }
  }
  console.log(`${across} imports across modules, ${upward.length} upward`);
  assert.deepEqual(upward, [], 'an import points up a layer');
  assert.ok(across > 100, 'few imports found: the scan is broken');
});

test('modules form no cycle', () => {
  const graph = new Map<string, Set<string>>();
  for (const [from, imports] of fileGraph()) {
    const a = moduleOf(from);
    for (const to of imports) {
      if (moduleOf(to) === a) continue;
      if (!graph.has(a)) graph.set(a, new Set());
      graph.get(a)?.add(moduleOf(to));
    }
  }
  assert.deepEqual(findCycles(graph), []);
});

test('files form no import cycle', () => {
  assert.deepEqual(findCycles(fileGraph()), []);
});

test('each third-party package is imported by one folder, its owner', () => {
  const importers = new Map<string, Set<string>>();
  for (const file of tsFiles(src)) {
    for (const spec of importSpecs(file)) {
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
