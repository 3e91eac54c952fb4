// The order `check` prints problems and warnings in (docs/contract.md §1): by file —
// gateway.yaml first, then each profile in the order it was met — then by line and column,
// so a file reads top to bottom. Exact repeats (cross-checks repeat some schema checks) are
// printed once. Pure.
import type { ConfigProblem } from '../errors.ts';

export function orderProblems(problems: readonly ConfigProblem[], firstFile?: string): ConfigProblem[] {
  const files = [
    ...new Set([...(firstFile === undefined ? [] : [firstFile]), ...problems.map((p) => p.file)]),
  ];
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const k = `${p.severity ?? 'error'}:${p.file}:${p.line}:${p.col}:${p.path}:${p.message}`;
      return seen.has(k) ? false : (seen.add(k), true);
    })
    .map((p, i) => ({ p, i }))
    .sort(
      (a, b) =>
        files.indexOf(a.p.file) - files.indexOf(b.p.file) ||
        a.p.line - b.p.line ||
        a.p.col - b.p.col ||
        a.i - b.i,
    )
    .map(({ p }) => p);
}

/** `5 problems in 2 files`, and the warnings of the same run: the last line of a refused `check`. */
export function problemSummary(
  problems: readonly ConfigProblem[],
  warnings: readonly ConfigProblem[],
): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const files = new Set(problems.map((p) => p.file)).size;
  const warned = warnings.length === 0 ? '' : `, ${plural(warnings.length, 'warning')}`;
  return `${plural(problems.length, 'problem')} in ${plural(files, 'file')}${warned}`;
}
