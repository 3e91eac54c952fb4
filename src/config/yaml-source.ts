// One parsed YAML file with positions kept, and the helper that turns "something is wrong at
// this key path" into a located ConfigProblem (docs/contract.md §1: FILE:LINE:COL: path: message).
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import type * as Yaml from 'yaml';
import type { Document, LineCounter as LineCounterType } from 'yaml';
import { requireCjs } from '../require-cjs.ts';

// require(), not import: src/require-cjs.ts.
const { LineCounter, parseDocument } = requireCjs('yaml') as typeof Yaml;
import type { ConfigProblem } from '../errors.ts';
import { formatPath, locate, pathAtOffset, scalarEndingAt } from './positions.ts';
import type { ConfigPath } from './positions.ts';

export interface YamlSource {
  /** Absolute path of the file. */
  file: string;
  /** What problems print: relative to the working directory when inside it, else absolute. */
  display: string;
  doc: Document.Parsed;
  lineCounter: LineCounterType;
}

export interface ParsedYaml {
  source: YamlSource;
  problems: ConfigProblem[];
  /** False after a syntax error: the tree is not what the user meant, so it is not validated. */
  usable: boolean;
}

export function displayPath(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export function problemAt(
  src: YamlSource,
  path: ConfigPath,
  message: string,
  at: 'value' | 'key' = 'value',
): ConfigProblem {
  const { line, col } = locate(src.doc, src.lineCounter, path, at);
  return { file: src.display, line, col, path: formatPath(path), message };
}

/** problemAt for something that does not stop the configuration from running. */
export function warningAt(src: YamlSource, path: ConfigPath, message: string): ConfigProblem {
  return { ...problemAt(src, path, message), severity: 'warning' };
}

/**
 * yaml's own wording, first line only and without its " at line N, column M" suffix: the
 * pretty form quotes the offending source line, which could be a secret.
 */
function yamlMessage(code: string, message: string, keyText: string): string {
  if (code === 'DUPLICATE_KEY')
    return `duplicate key ${JSON.stringify(keyText)}; a key may appear only once in a mapping`;
  const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
  return `YAML syntax error: ${first}`;
}

export function parseYaml(file: string, display: string, text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const source: YamlSource = { file, display, doc, lineCounter };
  // After the first syntax error yaml reports its consequences too ("Unexpected … token" on
  // every following line): keep the first one, which is the one to fix.
  const firstSyntax = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
  const errors = doc.errors.filter((e) => e.code === 'DUPLICATE_KEY' || e === firstSyntax);
  const problems = errors.map((e): ConfigProblem => {
    const offset = (e.code === 'MISSING_CHAR' ? scalarEndingAt(doc, e.pos[0]) : undefined) ?? e.pos[0];
    const { line, col } = lineCounter.linePos(offset);
    const path = pathAtOffset(doc, offset);
    const keyText = String(path[path.length - 1] ?? '?');
    return {
      file: display,
      line,
      col,
      path: formatPath(path),
      message: yamlMessage(e.code, e.message, keyText),
    };
  });
  // A repeated key still leaves a well-formed tree (the last value wins), so keep validating
  // to report every other problem in the same run.
  const usable = doc.errors.every((e) => e.code === 'DUPLICATE_KEY');
  return { source, problems, usable };
}

export async function readYaml(file: string, display: string): Promise<ParsedYaml> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const parsed = parseYaml(file, display, '');
    return {
      ...parsed,
      problems: [{ file: display, line: 1, col: 1, path: '', message: `cannot read this file (${code})` }],
      usable: false,
    };
  }
  return parseYaml(file, display, text);
}
