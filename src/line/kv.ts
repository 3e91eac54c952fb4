// `kv` lines (docs/contract.md §4.1): `key=value` or `key:value` pairs separated by `,`, `;` or
// whitespace — `temp=23.5,hum=40`, `temp:23.5; hum:40`, `temp=23.5 hum=40`.
//
// Choices, so firmware authors know what to expect:
// - The line is cut into tokens at the separators; every token must be one pair. No spaces
//   around the `=`/`:` (`temp = 1` is three tokens): allowing them would make `a= b=1`
//   ambiguous — is `b=1` the value of `a`, or is `a` empty? — and a failed sensor printing
//   an empty value would silently swallow the next reading.
// - The key ends at the first `=` or `:`; the value is the rest of the token and may itself
//   contain `=` or `:` (`time=12:30`).
// - A value may be empty (`temp=`); validation then decides (an empty number is rejected).
// - A token that is not a pair, an empty key, or the same key twice makes the whole line a
//   parse_error: a duplicate key is ambiguous (which one is the reading?) and almost always
//   a firmware bug worth seeing, so neither copy is guessed at.
// Values stay raw strings; validation converts them.
import type { DecodeResult, RawValue } from '../pipeline/types.ts';
import { quote } from '../log/detail.ts';

const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d); // space, \t \n \v \f \r
}

function isSeparator(c: number): boolean {
  return c === COMMA || c === SEMICOLON || isSpace(c);
}

function parseError(detail: string): DecodeResult {
  return { ok: false, reason: 'parse_error', detail };
}

export function decodeKv(body: string): DecodeResult {
  const values = new Map<string, RawValue>();
  const n = body.length;
  let i = 0;
  for (;;) {
    while (i < n && isSeparator(body.charCodeAt(i))) i++;
    if (i >= n) break;

    const tokenStart = i;
    let marker = -1; // index of the first `=` or `:` in the token
    while (i < n) {
      const c = body.charCodeAt(i);
      if (isSeparator(c)) break;
      if (marker === -1 && (c === EQUALS || c === COLON)) marker = i;
      i++;
    }
    if (marker === -1) return parseError(`${quote(body.slice(tokenStart, i))} is not a key=value pair`);
    if (marker === tokenStart) return parseError(`${quote(body.slice(tokenStart, i))} has an empty key`);
    const key = body.slice(tokenStart, marker);
    const value = body.slice(marker + 1, i);
    if (values.has(key)) return parseError(`key ${quote(key)} appears twice`);
    values.set(key, value);
  }
  if (values.size === 0) return parseError('no key=value pairs');
  return { ok: true, values };
}
