// One check for every regular expression a profile supplies (line.pattern, fields.*.pattern,
// commands.*.payload.pattern, commands.*.reply.ok/error): it must compile, and it must not
// be able to take super-linear time on a line (regex-safety.ts). A pattern runs on every
// device line or command payload on the one event loop, so one slow match stalls every port,
// the MQTT client and the status page; `check` refuses it before anything runs.
import { regexRisk } from './regex-safety.ts';
import type { RegexRiskKind } from './regex-safety.ts';

const EFFECT: Record<RegexRiskKind, string> = {
  exponential:
    'a non-matching line of a few dozen bytes can block the gateway for seconds, doubling per byte',
  polynomial: 'matching time grows with the square of the line length',
  too_complex: 'it could not be checked for slow matching',
};

const FIX: Record<RegexRiskKind, string> = {
  exponential:
    'rewrite it so each character can be matched in only one way, e.g. ^([a-z0-9]+_?)*$ → ^[a-z0-9_]*$',
  polynomial: 'make the neighbouring parts match different characters, e.g. \\s*.* → \\s*\\S.*',
  too_complex: 'simplify it',
};

/** The problem with a profile's pattern, as a message after its key path; undefined if fine. */
export function patternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
  } catch (e) {
    return `is not a valid regular expression: ${(e as Error).message}`;
  }
  const risk = regexRisk(pattern);
  if (risk === null) return undefined;
  return `"${pattern}" is refused: ${risk.reason} in ${risk.where} (${EFFECT[risk.kind]}); ${FIX[risk.kind]}`;
}
