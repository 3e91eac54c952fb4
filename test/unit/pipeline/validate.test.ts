import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFields, validateValues } from '../../../src/pipeline/validate.ts';
import type { FieldSpec } from '../../../src/config/schema.ts';
import type { RawValue } from '../../../src/pipeline/types.ts';

function check(spec: FieldSpec, raw: RawValue): { ok: true; value: unknown } | { ok: false; reason: string } {
  const table = compileFields({ f: spec });
  const r = validateValues(table, new Map([['f', raw]]));
  if (r.values.has('f')) return { ok: true, value: r.values.get('f') };
  const rejected = r.rejected[0];
  assert.ok(rejected !== undefined, `neither accepted nor rejected: ${String(raw)}`);
  return { ok: false, reason: rejected.reason };
}

function accepts(spec: FieldSpec, raw: RawValue, value: unknown): void {
  assert.deepEqual(check(spec, raw), { ok: true, value }, `${JSON.stringify(raw)}`);
}

function rejects(spec: FieldSpec, raw: RawValue, reason?: RegExp): void {
  const r = check(spec, raw);
  assert.equal(r.ok, false, `${JSON.stringify(raw)} accepted`);
  if (reason !== undefined && !r.ok) assert.match(r.reason, reason);
}

test('number: decimal text and finite JSON numbers', () => {
  const n: FieldSpec = { type: 'number' };
  accepts(n, '-12.5', -12.5);
  accepts(n, '1e3', 1000);
  accepts(n, '+4', 4);
  accepts(n, '.5', 0.5);
  accepts(n, '5.', 5);
  accepts(n, 23.5, 23.5);
  for (const bad of [
    '',
    ' ',
    ' 1',
    '1 ',
    'NaN',
    'Infinity',
    '-Infinity',
    '0x10',
    '1,5',
    'abc',
    '1e',
    '--1',
    '.',
  ])
    rejects(n, bad, /is not a number/);
  rejects(n, '1e999', /out of range/);
  rejects(n, true, /is not a number/);
});

test('number bounds are inclusive with short reasons', () => {
  const t: FieldSpec = { type: 'number', min: -40, max: 85 };
  accepts(t, '85', 85);
  accepts(t, '-40', -40);
  rejects(t, '27000', /^27000 is above max 85$/);
  rejects(t, '-40.1', /^-40.1 is below min -40$/);
});

test('integer', () => {
  const i: FieldSpec = { type: 'integer', min: 0, max: 100 };
  accepts(i, '42', 42);
  accepts(i, '-0', -0);
  accepts(i, 7, 7);
  accepts(i, 1e2, 100);
  rejects(i, '4.2', /not an integer/);
  rejects(i, '1e2', /not an integer/);
  rejects(i, 4.2, /not an integer/);
  rejects(i, '101', /above max 100/);
  rejects(i, '-1', /below min 0/);
  rejects({ type: 'integer' }, '99999999999999999999', /out of range/);
  rejects(i, false, /not an integer/);
});

test('boolean words in any case, JSON booleans and 0/1', () => {
  const b: FieldSpec = { type: 'boolean' };
  for (const t of ['true', 'TRUE', '1', 'on', 'On', 'yes', 'YES']) accepts(b, t, true);
  for (const f of ['false', 'False', '0', 'off', 'OFF', 'no', 'No']) accepts(b, f, false);
  accepts(b, true, true);
  accepts(b, false, false);
  accepts(b, 1, true);
  accepts(b, 0, false);
  for (const bad of ['', 'maybe', '2', 't', ' on']) rejects(b, bad, /is not a boolean/);
  rejects(b, 2, /is not a boolean/);
});

test('string: max_length in characters and pattern as written', () => {
  const s: FieldSpec = { type: 'string', max_length: 3 };
  accepts(s, 'abc', 'abc');
  accepts(s, '😀😀😀', '😀😀😀');
  accepts(s, 12, '12');
  rejects(s, 'abcd', /longer than 3 characters/);
  const p: FieldSpec = { type: 'string', max_length: 256, pattern: '^[0-9a-f]{6}$' };
  accepts(p, 'ff0000', 'ff0000');
  rejects(p, 'FF0000x', /does not match/);
  // Unanchored as written: a pattern without ^$ matches anywhere.
  accepts({ type: 'string', max_length: 256, pattern: 'ok' }, 'not ok at all', 'not ok at all');
});

test('enum: exact match', () => {
  const e: FieldSpec = { type: 'enum', values: ['on', 'off'] };
  accepts(e, 'on', 'on');
  rejects(e, 'ON', /"ON" is not one of on, off/);
  rejects(e, '', /is not one of/);
  accepts({ type: 'enum', values: ['1', '2'] }, 2, '2');
});

test('wire keys, unknown keys, JSON null as absent, field order of the table', () => {
  const table = compileFields({
    temperature: { type: 'number', key: 'temp', min: -40, max: 85 },
    humidity: { type: 'number', key: 'hum', min: 0, max: 100 },
    status: { type: 'boolean' },
  });
  assert.deepEqual(
    table.fields.map((f) => [f.name, f.key]),
    [
      ['temperature', 'temp'],
      ['humidity', 'hum'],
      ['status', 'status'],
    ],
  );
  const r = validateValues(
    table,
    new Map<string, RawValue>([
      ['temp', '23.5'],
      ['hum', '400'],
      ['status', null],
      ['__proto__', '1'],
      ['temperature', '1'],
    ]),
  );
  assert.deepEqual([...r.values], [['temperature', 23.5]]);
  assert.deepEqual(r.rejected, [{ field: 'humidity', key: 'hum', reason: '400 is above max 100' }]);
  assert.deepEqual(r.unknownKeys, ['__proto__', 'temperature']);
});

test('two fields may read the same wire key', () => {
  const table = compileFields({
    celsius: { type: 'number', key: 't' },
    label: { type: 'string', key: 't', max_length: 8 },
  });
  const r = validateValues(table, new Map([['t', '21']]));
  assert.deepEqual(
    [...r.values],
    [
      ['celsius', 21],
      ['label', '21'],
    ],
  );
});

test('rejection reasons stay short for long device input', () => {
  const r = check({ type: 'number' }, 'x'.repeat(10_000));
  assert.ok(!r.ok);
  assert.ok(r.reason.length < 80, r.reason);
});
