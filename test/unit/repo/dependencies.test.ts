// package.json declares what the code imports, and only that. The daemon as installed
// (`npm install tty2mqtt`, deploy/install.sh) gets `dependencies` and nothing else, so every
// package src/ loads at run time must be one of them — a package that happens to be
// hoisted beside a declared one (@serialport/bindings-cpp under serialport) works until the
// day it is not — and every dependency must be loaded by src/, or it is dead weight in /opt
// (tsx and esbuild were 23 MB of it). Type-only imports are erased by the build; they, the
// tests, benchmarks and scripts may use `devDependencies` too. The files are parsed with the
// TypeScript compiler, so `import type` and `requireCjs('…')` (src/require-cjs.ts) are told
// apart exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const dependencies = new Set(Object.keys(manifest.dependencies));
const declared = new Set([...dependencies, ...Object.keys(manifest.devDependencies)]);

function codeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : codeFiles(path);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

interface Specifier {
  spec: string;
  /** Loaded at run time (not erased as a type-only import). */
  runtime: boolean;
}

/** Every module specifier a file names: imports, re-exports, import(), requireCjs()/require(). */
function specifiers(file: string): Specifier[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Specifier[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const onlyTypes =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((e) => e.isTypeOnly)));
      found.push({ spec: node.moduleSpecifier.text, runtime: !onlyTypes });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push({ spec: node.moduleSpecifier.text, runtime: !node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.arguments.length === 1) {
      const [arg] = node.arguments;
      const callee = node.expression;
      const loads =
        callee.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(callee) && (callee.text === 'requireCjs' || callee.text === 'require'));
      if (loads && arg !== undefined && ts.isStringLiteralLike(arg))
        found.push({ spec: arg.text, runtime: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`); undefined for files and builtins. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return undefined;
  const name = spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');
  return builtinModules.includes(name) ? undefined : name;
}

/** Package → the files (relative to the repository) that name it. */
function packagesIn(files: string[], runtimeOnly: boolean): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const file of files) {
    for (const { spec, runtime } of specifiers(file)) {
      const pkg = packageOf(spec);
      if (pkg === undefined || (runtimeOnly && !runtime)) continue;
      out.set(pkg, [...(out.get(pkg) ?? []), relative(root, file)]);
    }
  }
  return out;
}

const srcFiles = codeFiles(join(root, 'src'));

test('every package src/ loads at run time is in dependencies', () => {
  const loaded = packagesIn(srcFiles, true);
  console.log(`src/ loads ${loaded.size} packages: ${[...loaded.keys()].sort().join(', ')}`);
  assert.ok(loaded.size >= 8, 'fewer packages than expected: the scan is broken');
  const undeclared = [...loaded].filter(([pkg]) => !dependencies.has(pkg)).map(([p, f]) => `${p} (${f[0]})`);
  assert.deepEqual(undeclared, [], 'imported at run time but not in package.json dependencies');
});

test('every dependency is loaded by src/ at run time (the rest belongs in devDependencies)', () => {
  const loaded = packagesIn(srcFiles, true);
  assert.deepEqual(
    [...dependencies].filter((pkg) => !loaded.has(pkg)),
    [],
  );
});

test('every package the repository’s code names, types included, is declared', () => {
  const files = ['src', 'test', 'bench', 'scripts', 'bin'].flatMap((d) => codeFiles(join(root, d)));
  files.push(join(root, 'eslint.config.js'));
  const named = packagesIn(files, false);
  assert.ok(named.size >= 15, 'fewer packages than expected: the scan is broken');
  const undeclared = [...named].filter(([pkg]) => !declared.has(pkg)).map(([p, f]) => `${p} (${f[0]})`);
  assert.deepEqual(undeclared, [], 'named but in neither dependencies nor devDependencies');
});

test('the scan tells a type-only import from a loaded one', () => {
  // The distinctions the tests above rest on, on src/ files known to hold each form.
  const binding = specifiers(join(root, 'src/serial/binding.ts'));
  assert.ok(binding.some((s) => s.spec === '@serialport/bindings-cpp' && s.runtime)); // requireCjs('…')
  assert.ok(binding.some((s) => s.spec === '@serialport/bindings-cpp' && !s.runtime)); // import type
  const reader = specifiers(join(root, 'src/serial/reader.ts'));
  assert.ok(reader.some((s) => s.spec === '@serialport/bindings-cpp' && !s.runtime));
  assert.ok(!reader.some((s) => s.spec === '@serialport/bindings-cpp' && s.runtime));
  const cli = specifiers(join(root, 'src/cli/help.ts'));
  assert.ok(cli.some((s) => s.spec === './check.ts' && s.runtime)); // import('…')
});
