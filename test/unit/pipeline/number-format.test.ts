// The number grammars of src/pipeline/number-format.ts, case by case, refusals included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNumberText } from '../../../src/pipeline/number-format.ts';
import type { NumberFormat } from '../../../src/pipeline/number-format.ts';

function reads(format: NumberFormat, text: string, value: number, unit: string | null = null): void {
  assert.deepEqual(parseNumberText(text, format, false), { ok: true, value, unit }, JSON.stringify(text));
}

function refuses(format: NumberFormat, text: string, reason?: RegExp): void {
  const r = parseNumberText(text, format, false);
  assert.equal(r.ok, false, `${JSON.stringify(text)} was read as ${JSON.stringify(r)}`);
  if (reason !== undefined && !r.ok) assert.match(r.reason, reason);
}

test("strict is today's rule: sign, digits, point, exponent; nothing else", () => {
  reads('strict', '-12.5', -12.5);
  reads('strict', '+4', 4);
  reads('strict', '.5', 0.5);
  reads('strict', '1e3', 1000);
  for (const bad of ['+ 12', ' 1', '1 ', '1,234.5', '12.3 kg', '12,5', 'NaN', '0x10', ''])
    refuses('strict', bad, /is not a number$/);
  refuses('strict', '1e999', /out of range/);
  assert.deepEqual(parseNumberText('12', 'strict', true), { ok: true, value: 12, unit: null });
  assert.equal(parseNumberText('12.0', 'strict', true).ok, false);
  assert.equal(parseNumberText('1e3', 'strict', true).ok, false);
});

test('lenient: a sign then padding, as scales print', () => {
  reads('lenient', '+  12.345', 12.345);
  reads('lenient', '-\t 0.5', -0.5);
  reads('lenient', '   7', 7);
  reads('lenient', '7   ', 7);
  reads('lenient', '- 12', -12);
  refuses('lenient', '+', /no digits/);
  refuses('lenient', '- .', /no digits/);
  refuses('lenient', '+-1');
  refuses('lenient', '1 2', /unexpected character/);
});

test('lenient: thousands separators only in valid positions', () => {
  reads('lenient', '1,234.5', 1234.5);
  reads('lenient', '12,345,678', 12_345_678);
  reads('lenient', '-1,000', -1000);
  reads('lenient', '999,999.25', 999_999.25);
  for (const bad of ['1,23', '1234,567', ',123', '1,2345', '1,234,56', '12,5', '1,,234', '1.234,5'])
    refuses('lenient', bad);
  refuses('lenient', '1,23', /misplaced separator/);
});

test('lenient: a trailing unit word, with or without a space', () => {
  reads('lenient', '12.3 kg', 12.3, 'kg');
  reads('lenient', '12.3kg', 12.3, 'kg');
  reads('lenient', '23.5°C', 23.5, '°C');
  reads('lenient', '45 %', 45, '%');
  reads('lenient', '+  1,234.5 g  ', 1234.5, 'g');
  reads('lenient', '3 m/s', 3, 'm/s');
  refuses('lenient', '12.3 kg extra', /text after the unit/);
  refuses('lenient', '12 abcdefghijklmnopq', /unit word too long/);
  refuses('lenient', 'kg', /no digits/);
});

test('lenient: an exponent is taken only when digits follow', () => {
  reads('lenient', '1e3', 1000);
  reads('lenient', '1.5E-2', 0.015);
  reads('lenient', '12e', 12, 'e');
  reads('lenient', '12 e', 12, 'e');
  refuses('lenient', '1e999', /out of range/);
  refuses('lenient', 'NaN');
  refuses('lenient', 'Infinity');
  refuses('lenient', '0x10', /unexpected character/);
  reads('lenient', '0xFF', 0, 'xFF'); // the field refuses a unit it does not declare (validate.test.ts)
});

test('decimal_comma swaps the roles of point and comma', () => {
  reads('decimal_comma', '12,5', 12.5);
  reads('decimal_comma', '1.234,5 kg', 1234.5, 'kg');
  reads('decimal_comma', '- 0,25', -0.25);
  reads('decimal_comma', '1.000.000', 1_000_000);
  refuses('decimal_comma', '12.5');
  refuses('decimal_comma', '1,234.5');
});

test('integer fields under lenient use the same grammar (integrality is the field check)', () => {
  assert.deepEqual(parseNumberText('+ 1,024', 'lenient', true), { ok: true, value: 1024, unit: null });
});
