// `regex` lines (docs/contract.md §4.1): a profile-supplied JavaScript regular expression with
// named groups; every named group that took part in the match becomes a value keyed by its
// group name. The pattern is used as written (not anchored for the user) and compiled once.
// Lines are bounded by line.max_bytes (the framer, at most 65536), and `check` refuses patterns
// whose matching time is super-linear in the line length (config/regex-safety.ts).
import type { DecodeResult, Decoder, RawValue } from '../pipeline/types.ts';
import { quote } from '../log/detail.ts';

export function createRegexDecoder(pattern: string): Decoder {
  // No flags: exec() is stateless (no lastIndex), so one RegExp serves every line.
  const re = new RegExp(pattern);
  return (body) => {
    const match = re.exec(body);
    if (match === null)
      return {
        ok: false,
        reason: 'parse_error',
        detail: `${quote(body)} does not match the profile's pattern`,
      };
    const values = new Map<string, RawValue>();
    if (match.groups !== undefined)
      for (const [name, value] of Object.entries(match.groups))
        if (value !== undefined) values.set(name, value);
    if (values.size === 0)
      return {
        ok: false,
        reason: 'parse_error',
        detail: 'the pattern matched but no named group took part',
      } satisfies DecodeResult;
    return { ok: true, values };
  };
}
