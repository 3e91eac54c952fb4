// zod issues → located ConfigProblems (docs/contract.md §1), one per issue, and one per unknown key
// so each typo is pointed at where it is written.
import type { z } from 'zod';
import type { ConfigProblem } from '../errors.ts';
import { issueMessage } from './messages.ts';
import { formatPath, toConfigPath } from './positions.ts';
import type { ConfigPath } from './positions.ts';
import { knownKeys } from './schema-keys.ts';
import { closestKey } from './suggest.ts';
import { problemAt } from './yaml-source.ts';
import type { YamlSource } from './yaml-source.ts';

export interface IssueContext {
  src: YamlSource;
  schema: z.ZodType;
  /** The data that was validated (after ${ENV} substitution). */
  data: unknown;
  /** True for paths whose value must never be printed (passwords, ${ENV} values). */
  isSecret: (path: ConfigPath) => boolean;
}

export function valueAt(data: unknown, path: ConfigPath): unknown {
  let v = data;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** schema.ts's own messages may quote the value (`"x" is not a duration`): not for secrets. */
function redact(message: string, value: unknown): string {
  if ((typeof value !== 'string' && typeof value !== 'number') || String(value) === '') return message;
  return message.replaceAll(`"${String(value)}"`, 'the value').replaceAll(String(value), '…');
}

export function issuesToProblems(ctx: IssueContext, issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = toConfigPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(ctx.schema, path, ctx.data);
      for (const key of issue.keys) {
        const guess = closestKey(key, known);
        const hint = guess === undefined ? '' : ` (did you mean "${guess}"?)`;
        problems.push(problemAt(ctx.src, [...path, key], `unknown key "${key}"${hint}`, 'key'));
      }
      continue;
    }
    const value = valueAt(ctx.data, path);
    const secret = ctx.isSecret(path);
    const message = secret
      ? redact(issueMessage(issue, value, true), value)
      : issueMessage(issue, value, false);
    problems.push(problemAt(ctx.src, path, message, issue.code === 'invalid_key' ? 'key' : 'value'));
  }
  return problems;
}

/** Drop the schema's complaints about values whose real problem was already reported. */
export function withoutPaths(
  problems: readonly ConfigProblem[],
  paths: readonly ConfigPath[],
): ConfigProblem[] {
  const skip = new Set(paths.map(formatPath));
  return problems.filter((p) => !skip.has(p.path));
}
