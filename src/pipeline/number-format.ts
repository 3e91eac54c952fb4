// Numbers as devices print them (a field's `number_format`, README "Number formats"). One
// home for the number grammars: validate.ts asks here, nothing else parses device numbers.
//
// strict (the default): `-12.5`, `.5`, `5.`, `1e3`, optional sign; nothing else — no spaces,
//   no separators, no `NaN`/`Infinity`/`0x10`. Integer fields: digits with an optional sign.
// lenient, exactly (one left-to-right scan, no backtracking: linear in the text):
//   value     = blank* [sign blank*] magnitude [blank* unit] blank*
//   blank     = " " | "\t"
//   sign      = "+" | "-"
//   magnitude = whole ["." digit*] [exponent] | "." digit+ [exponent]
//   whole     = digit+ | digit{1,3} ("," digit{3})+       (thousands separators, all groups of 3)
//   exponent  = ("e" | "E") [sign] digit+                 (taken only when digits follow)
//   unit      = unitchar+, at most 16, where unitchar is any character but a blank, an
//               ASCII digit, a sign, "." or ","   (`kg`, `°C`, `%`, `m/s`, `m³`)
// decimal_comma: lenient with the roles of "." and "," swapped (`1.234,5`, `12,5 kg`).
// Scales print `+  12.345` (sign, then padding); meters print `1,234.5`; many print a unit.
// A unit word is checked by the caller against the unit the field expects on the wire, and
// refused when the field expects none: `0xFF` must not read as 0 in a unit called `xFF`.

import { quote } from '../log/detail.ts';

export type NumberFormat = 'strict' | 'lenient' | 'decimal_comma';

export type NumberText = { ok: true; value: number; unit: string | null } | { ok: false; reason: string };

const NUMBER_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER_TEXT = /^[+-]?\d+$/;
const MAX_UNIT = 16;

const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const COMMA = 0x2c;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;

/**
 * The number in `text` under `format`, and the unit word it carried (lenient formats only).
 * `integer`: a strict integer field keeps today's rule (digits and a sign, no `1e3`); the
 * lenient formats use one grammar for both and leave integrality to the field's check.
 * Never throws; a refusal's reason quotes the text (shortened).
 */
export function parseNumberText(text: string, format: NumberFormat, integer: boolean): NumberText {
  if (format === 'strict') {
    if (!(integer ? INTEGER_TEXT : NUMBER_TEXT).test(text))
      return { ok: false, reason: `${quote(text)} is not ${integer ? 'an integer' : 'a number'}` };
    return finite(text, Number(text), null);
  }
  return parseLenient(
    text,
    format === 'decimal_comma' ? COMMA : DOT,
    format === 'decimal_comma' ? DOT : COMMA,
  );
}

function parseLenient(text: string, point: number, group: number): NumberText {
  const n = text.length;
  const bad = (why: string): NumberText => ({ ok: false, reason: `${quote(text)} is not a number (${why})` });
  let i = 0;
  while (i < n && isBlank(text.charCodeAt(i))) i++;
  let clean = '';
  const s = text.charCodeAt(i);
  if (s === PLUS || s === MINUS) {
    if (s === MINUS) clean = '-';
    i++;
    while (i < n && isBlank(text.charCodeAt(i))) i++;
  }
  // whole part, with group separators checked as they come: the first group has 1–3 digits
  // once a separator is seen, and every later group exactly 3.
  const wholeStart = i;
  let groupLen = 0;
  let grouped = false;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) {
      groupLen++;
      clean += text[i];
      i++;
    } else if (c === group && i + 1 < n && isDigit(text.charCodeAt(i + 1))) {
      if (grouped ? groupLen !== 3 : groupLen === 0 || groupLen > 3) return bad('misplaced separator');
      grouped = true;
      groupLen = 0;
      i++;
    } else break;
  }
  if (grouped && groupLen !== 3) return bad('misplaced separator');
  let digits = i - wholeStart > 0;
  if (i < n && text.charCodeAt(i) === point) {
    clean += '.';
    i++;
    while (i < n && isDigit(text.charCodeAt(i))) {
      clean += text[i];
      i++;
      digits = true;
    }
  }
  if (!digits) return bad('no digits');
  const e = text.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    let j = i + 1;
    const es = text.charCodeAt(j);
    if (es === PLUS || es === MINUS) j++;
    if (j < n && isDigit(text.charCodeAt(j))) {
      clean += text.slice(i, j);
      i = j;
      while (i < n && isDigit(text.charCodeAt(i))) {
        clean += text[i];
        i++;
      }
    }
  }
  while (i < n && isBlank(text.charCodeAt(i))) i++;
  let unit: string | null = null;
  if (i < n) {
    const start = i;
    while (i < n && !isBlank(text.charCodeAt(i))) {
      const c = text.charCodeAt(i);
      if (isDigit(c) || c === PLUS || c === MINUS || c === DOT || c === COMMA)
        return bad('unexpected character');
      i++;
    }
    if (i - start > MAX_UNIT) return bad('unit word too long');
    unit = text.slice(start, i);
    while (i < n && isBlank(text.charCodeAt(i))) i++;
    if (i < n) return bad('text after the unit');
  }
  return finite(text, Number(clean), unit);
}

function finite(text: string, value: number, unit: string | null): NumberText {
  return Number.isFinite(value)
    ? { ok: true, value, unit }
    : { ok: false, reason: `${quote(text)} is out of range` };
}
