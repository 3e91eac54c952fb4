// No log line carries a key twice (`"port":"scale","port":"scale"`). pino writes a
// child logger's bindings and then the call's fields without merging them, so a call that
// passes `port` to a logger bound to `port` writes it twice — and JSON readers keep one of
// them, which one depending on the reader (RFC 8259 §4: names SHOULD be unique). The rule,
// checked over every call site in src/: a key that some child logger binds (port, service, …)
// is only ever a binding, and no call passes a key pino writes itself (level, time, msg).
// The integration logging test checks real lines from the daemon for duplicates as well.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { REPO_ROOT } from '../../helpers/gateway-process.ts';

/** pino's Logger methods, RateLimitedLog.warn and BoundLog.bit (src/log/): all take fields. */
const LOG_METHODS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'bit']);
/** What pino writes into every line itself (logger.ts: base: null, so no pid or hostname). */
const PINO_KEYS = ['level', 'time', 'msg'];

interface Site {
  file: string;
  line: number;
  keys: string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function keysOf(literal: ts.ObjectLiteralExpression): string[] {
  return literal.properties.flatMap((p) =>
    (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) &&
    (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))
      ? [p.name.text]
      : [],
  );
}

/** An argument's object literal: written in the call, or a `const` of this file it names. */
function literalOf(arg: ts.Expression, consts: Map<string, ts.ObjectLiteralExpression>) {
  if (ts.isObjectLiteralExpression(arg)) return arg;
  if (ts.isIdentifier(arg)) return consts.get(arg.text);
  return undefined;
}

/** Every `.child({…})` binding and every log call's fields, in one parsed file. */
function scan(file: string, text: string): { bindings: Site[]; calls: Site[] } {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const consts = new Map<string, ts.ObjectLiteralExpression>();
  const bindings: Site[] = [];
  const calls: Site[] = [];
  const lineOf = (node: ts.Node): number => source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  const visit = (node: ts.Node): void => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer !== undefined &&
      ts.isObjectLiteralExpression(node.initializer)
    )
      consts.set(node.name.text, node.initializer);
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      if (method === 'child' || LOG_METHODS.has(method)) {
        const keys = node.arguments.flatMap((a) => {
          const literal = literalOf(a, consts);
          return literal === undefined ? [] : keysOf(literal);
        });
        if (keys.length > 0) (method === 'child' ? bindings : calls).push({ file, line: lineOf(node), keys });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { bindings, calls };
}

function problems(files: { file: string; text: string }[]): { sites: number; found: string[] } {
  const scanned = files.map(({ file, text }) => scan(file, text));
  const bound = new Set(scanned.flatMap((s) => s.bindings.flatMap((b) => b.keys)));
  const reserved = new Set([...bound, ...PINO_KEYS]);
  const calls = scanned.flatMap((s) => s.calls);
  const found = calls.flatMap((c) =>
    c.keys
      .filter((k) => reserved.has(k))
      .map(
        (k) =>
          `${c.file}:${c.line}: passes "${k}", which ${bound.has(k) ? 'a child logger binds' : 'pino writes'}`,
      ),
  );
  return { sites: calls.length, found };
}

describe('log call sites', () => {
  it('no call in src/ passes a key that a child logger binds or pino writes', () => {
    const root = join(REPO_ROOT, 'src');
    const files = sourceFiles(root).map((f) => ({
      file: relative(REPO_ROOT, f),
      text: readFileSync(f, 'utf8'),
    }));
    const { sites, found } = problems(files);
    // The scan sees the call sites (a scan that finds none would pass anything).
    assert.ok(sites > 50, `${sites} log call sites with fields found`);
    assert.deepEqual(found, []);
  });

  it('the scan finds a bound key passed again, also through a const, and pino keys', () => {
    const { found } = problems([
      { file: 'a.ts', text: `const log = root.child({ port: 'a', service: 's' });` },
      {
        file: 'b.ts',
        text: [
          `log.warn({ port: name, err }, 'lost');`,
          `const fields = { service, x: 1 };`,
          `log.info(fields, 'x');`,
          `badInput.warn(key, { reason, msg: 'm' }, 'discarded');`,
          `log.debug({ err }, 'fine');`,
        ].join('\n'),
      },
    ]);
    assert.deepEqual(found, [
      'b.ts:1: passes "port", which a child logger binds',
      'b.ts:3: passes "service", which a child logger binds',
      'b.ts:4: passes "msg", which pino writes',
    ]);
  });
});
