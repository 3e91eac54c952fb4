// Where a key path lives in a parsed YAML document, so every problem can be printed as
// FILE:LINE:COL (docs/contract.md §1). Pure: works on an already parsed `yaml` Document.
import type * as Yaml from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';
import { requireCjs } from '../require-cjs.ts';

// require(), not import: src/require-cjs.ts.
const { isAlias, isMap, isScalar, isSeq, isPair, visit } = requireCjs('yaml') as typeof Yaml;

/** A key path as zod reports it: `['ports', 0, 'baud_rate']`. */
export type ConfigPath = readonly (string | number)[];

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `ports[0].baud_rate`; keys that are not identifiers are quoted: `vars["a b"]`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** zod paths may hold symbols (never in our schemas); keep strings and numbers only. */
export function toConfigPath(path: readonly PropertyKey[]): ConfigPath {
  return path.filter((s): s is string | number => typeof s !== 'symbol');
}

interface Found {
  /** The deepest node reached along the path. */
  node: Node | null;
  /** The key node of the last pair matched (the key of `node` when it sits in a mapping). */
  key: Node | null;
  /** How many segments of the path were matched. */
  depth: number;
}

function deref(doc: Document, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? null;
  return isMap(node) || isSeq(node) || isScalar(node) ? node : null;
}

function keyText(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

/** Walks `path` as far as the document goes. */
export function findNode(doc: Document, path: ConfigPath): Found {
  let node = deref(doc, doc.contents);
  let key: Node | null = null;
  let depth = 0;
  for (const seg of path) {
    let next: Node | null = null;
    let nextKey: Node | null = null;
    let matched = false;
    if (isMap(node)) {
      // findLast: with a repeated key (already reported) the last value is the one in effect.
      const pair = node.items.findLast((p) => keyText(p.key) === String(seg));
      if (pair) {
        matched = true;
        nextKey = isScalar(pair.key) ? pair.key : null;
        next = deref(doc, pair.value);
      }
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      matched = true;
      next = deref(doc, node.items[seg]);
    }
    if (!matched) break;
    depth += 1;
    key = nextKey;
    // `key:` with no value: stay on the key so the position is still the right line.
    node = next ?? key;
    if (next === null) break;
  }
  return { node, key, depth };
}

export interface LineCol {
  line: number;
  col: number;
}

function startOf(node: Node | null): number | undefined {
  return node?.range?.[0];
}

/**
 * The position to report for a problem at `path`: the value itself; with `at: 'key'`, the key
 * (unknown keys, bad record keys). A path that does not exist (a missing required key) points
 * at the deepest mapping that does exist, i.e. the parent the key should be added to.
 */
export function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: ConfigPath,
  at: 'value' | 'key' = 'value',
): LineCol {
  const found = findNode(doc, path);
  const exact = found.depth === path.length;
  const offset = (exact && at === 'key' ? startOf(found.key) : undefined) ?? startOf(found.node) ?? 0;
  return lineCounter.linePos(offset);
}

/** The key path of the innermost node containing `offset` (for YAML errors). */
export function pathAtOffset(doc: Document, offset: number): ConfigPath {
  const path: (string | number)[] = [];
  const within = (n: unknown): boolean => {
    const r = (n as Node | null)?.range;
    return r !== undefined && r !== null && offset >= r[0] && offset < r[2];
  };
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && (within(p.key) || within(p.value)));
      if (!pair) break;
      const k = keyText(pair.key);
      if (k === undefined) break;
      path.push(k);
      if (within(pair.key)) break;
      node = pair.value;
    } else if (isSeq(node)) {
      const i = node.items.findIndex((item) => within(item));
      if (i < 0) break;
      path.push(i);
      node = node.items[i];
    } else break;
  }
  return path;
}

/**
 * Where the scalar that ends at `offset` starts: an unterminated quote is reported by yaml at
 * the end of the file, but the user needs the line where the quote was opened.
 */
export function scalarEndingAt(doc: Document, offset: number): number | undefined {
  let start: number | undefined;
  visit(doc, {
    Scalar(_key, node) {
      if (node.range?.[1] === offset && node.type !== 'PLAIN') start = node.range[0];
    },
  });
  return start;
}
