// One check for every regular expression a profile supplies (line.pattern, fields.*.pattern,
// commands.*.payload.pattern, commands.*.reply.ok/error): it must compile, and it must not
// be able to take super-linear time on a line (regex-safety.ts). A pattern runs on every
// device line or command payload on the one event loop, so one slow match stalls every port,
// the MQTT client and the status page; `check` refuses it before anything runs.
import { regexRisk } from './regex-safety.ts';
import type { RegexRiskKind } from './regex-safety.ts';
import { errorMessage } from '../errors.ts';

/** What a slow pattern costs, and how to rewrite it. */
const ADVICE: Record<Exclude<RegexRiskKind, 'too_complex'>, { effect: string; fix: string }> = {
  exponential: {
    effect: 'a non-matching line of a few dozen bytes can block the gateway for seconds, doubling per byte',
    fix: 'rewrite it so each character can be matched in only one way, e.g. ^([a-z0-9]+_?)*$ → ^[a-z0-9_]*$',
  },
  polynomial: {
    effect: 'matching time grows with the square of the line length',
    fix: 'make the neighbouring parts match different characters, e.g. \\s*.* → \\s*\\S.*',
  },
};

/** The problem with a profile's pattern, as a message after its key path; undefined if fine. */
export function patternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
  } catch (e) {
    return `is not a valid regular expression: ${errorMessage(e)}`;
  }
  const risk = regexRisk(pattern);
  if (risk === null) return undefined;
  if (risk.kind === 'too_complex') return `"${pattern}" is refused: it is ${risk.reason}; simplify it`;
  const { effect, fix } = ADVICE[risk.kind];
  return `"${pattern}" is refused: ${risk.reason} in ${risk.where} (${effect}); ${fix}`;
}
