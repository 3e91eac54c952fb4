// Which of the line formats (docs/contract.md §4.1) the device prints, decided by the
// daemon's own decoders (line/*.ts): the format whose decoder takes the most line bodies
// wins; on a tie the stricter one does (mysensors, then json, then kv, then csv — a JSON
// object also splits into "kv" tokens and at commas, a kv line also splits at commas).
// regex is never guessed: it needs a pattern only a person can write.
import { decodeJson } from '../line/json.ts';
import { decodeKv } from '../line/kv.ts';
import { parseMySensors } from '../line/mysensors.ts';
import { parseNumberText } from '../pipeline/number-format.ts';
import { isTopicLevel } from '../topics/level.ts';

export type LearnedFormat = 'mysensors' | 'json' | 'kv' | 'csv';

/** csv delimiters tried, most usual first (a space would split prose into "columns"). */
export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;

export interface FormatGuess {
  format: LearnedFormat;
  /** csv: the delimiter and the column keys (from a header line, else col1, col2, …). */
  delimiter?: string;
  columns?: string[];
  /** csv: the header line's text, when one was seen (a device prints it at boot). */
  header?: string;
  /** How many bodies the format takes (the header not counted). */
  fits: number;
  notes: string[];
}

const ORDER: readonly LearnedFormat[] = ['mysensors', 'json', 'kv', 'csv'];

function fitsSimple(format: Exclude<LearnedFormat, 'csv'>, body: string): boolean {
  switch (format) {
    case 'mysensors':
      return parseMySensors(body).ok;
    case 'json':
      return decodeJson(body).ok === true;
    case 'kv':
      return decodeKv(body).ok === true;
  }
}

function isNumberText(text: string): boolean {
  return parseNumberText(text.trim(), 'strict', false).ok;
}

interface CsvGuess {
  delimiter: string;
  columns: string[];
  header: string | undefined;
  fits: number;
}

/** The delimiter and column count most bodies share (at least two columns). */
function guessCsv(bodies: readonly string[]): CsvGuess | null {
  let best: CsvGuess | null = null;
  for (const delimiter of CSV_DELIMITERS) {
    const counts = new Map<number, number>();
    for (const body of bodies) {
      const n = body.split(delimiter).length;
      if (n >= 2) counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    let width = 0;
    let count = 0;
    for (const [n, c] of counts) if (c > count || (c === count && n > width)) [width, count] = [n, c];
    if (width < 2 || (best !== null && count <= best.fits)) continue;
    const rows = bodies.filter((b) => b.split(delimiter).length === width);
    const header = rows.find((row) => isHeader(row.split(delimiter)));
    const columns =
      header === undefined
        ? Array.from({ length: width }, (_, i) => `col${i + 1}`)
        : header.split(delimiter).map((name) => name.trim());
    const headerLines = header === undefined ? 0 : rows.filter((r) => r === header).length;
    best = { delimiter, columns, header, fits: count - headerLines };
  }
  return best;
}

/** A header row: every cell a distinct, non-numeric name that can be a field name. */
function isHeader(cells: readonly string[]): boolean {
  const names = cells.map((c) => c.trim());
  return new Set(names).size === names.length && names.every((n) => isTopicLevel(n) && !isNumberText(n));
}

/** The format most bodies are in, or null when none takes a single one. */
export function guessFormat(bodies: readonly string[]): FormatGuess | null {
  const scores = new Map<LearnedFormat, number>();
  for (const format of ['mysensors', 'json', 'kv'] as const)
    scores.set(format, bodies.filter((b) => fitsSimple(format, b)).length);
  const csv = guessCsv(bodies);
  scores.set('csv', csv?.fits ?? 0);
  let format: LearnedFormat | null = null;
  for (const f of ORDER)
    if ((scores.get(f) ?? 0) > (format === null ? 0 : (scores.get(format) ?? 0))) format = f;
  if (format === null) return null;
  const fits = scores.get(format) ?? 0;
  const notes = [`format: ${fits} of ${bodies.length} lines are ${format}`];
  if (format !== 'csv' || csv === null) return { format, fits, notes };
  notes.push(
    csv.header === undefined
      ? `columns: no header line seen; named col1..col${csv.columns.length} — rename them (the names are the wire keys)`
      : `columns: from the header line ${JSON.stringify(csv.header)}`,
  );
  return {
    format,
    delimiter: csv.delimiter,
    columns: csv.columns,
    ...(csv.header !== undefined && { header: csv.header }),
    fits,
    notes,
  };
}
