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

test('transforms run after the parse and before min/max and the type checks', () => {
  const tenths: FieldSpec = { type: 'number', min: -40, max: 85, transform: [{ op: 'scale', by: 0.1 }] };
  accepts(tenths, '215', 21.5);
  accepts(tenths, 850, 85); // 850 alone would be above max: the check sees the result
  rejects(tenths, '851', /^85\.1 is above max 85$/);
  rejects(tenths, 'abc', /"abc" is not a number/);
  const fahrenheit: FieldSpec = {
    type: 'number',
    unit: '°C',
    transform: [
      { op: 'convert', from: '°F', to: '°C' },
      { op: 'round', decimals: 1 },
    ],
  };
  accepts(fahrenheit, '70.7', 21.5);
  const whole: FieldSpec = { type: 'integer', transform: [{ op: 'scale', by: 0.5 }] };
  accepts(whole, '4', 2);
  rejects(whole, '3', /^1\.5 is not an integer$/);
  const rounded: FieldSpec = {
    type: 'integer',
    transform: [
      { op: 'scale', by: 0.5 },
      { op: 'round', decimals: 0 },
    ],
  };
  accepts(rounded, '3', 2);
  const state: FieldSpec = {
    type: 'enum',
    values: ['idle', 'busy'],
    transform: [{ op: 'map', table: { '0': 'idle', '1': 'busy' } }],
  };
  accepts(state, '1', 'busy');
  accepts(state, 0, 'idle');
  rejects(state, '7', /^"7" is not mapped by transform step 1 \(map: 0, 1\)$/);
  accepts({ type: 'boolean', transform: [{ op: 'invert' }] }, 'on', false);
  rejects(
    { type: 'string', max_length: 4, transform: [{ op: 'map', table: { a: 'alpha' } }] },
    'b',
    /^"b" is not mapped by transform step 1 \(map: a\)$/,
  );
  rejects(
    { type: 'string', max_length: 4, transform: [{ op: 'map', table: { a: 'alpha' } }] },
    'a',
    /^"alpha" is longer than 4 characters$/,
  );
});

test('number_format: lenient and decimal_comma fields, the unit word checked against the wire unit', () => {
  const kg: FieldSpec = { type: 'number', unit: 'kg', number_format: 'lenient' };
  accepts(kg, '+  12.345', 12.345);
  accepts(kg, '1,234.5 kg', 1234.5);
  accepts(kg, '12.3kg', 12.3);
  rejects(kg, '12.3 lb', /^"12\.3 lb" is in "lb", not "kg"$/);
  rejects(
    { type: 'number', number_format: 'lenient' },
    '0xFF',
    /carries a unit, but the field declares none/,
  );
  // Before a convert the device prints the convert's `from` unit.
  const f: FieldSpec = {
    type: 'number',
    unit: '°C',
    number_format: 'lenient',
    transform: [{ op: 'convert', from: '°F', to: '°C' }],
  };
  accepts(f, '212 °F', 100);
  rejects(f, '100 °C', /is in "°C", not "°F"/);
  accepts({ type: 'number', number_format: 'decimal_comma' }, '12,5', 12.5);
  accepts({ type: 'integer', number_format: 'lenient' }, '+ 1,024', 1024);
  rejects({ type: 'integer', number_format: 'lenient' }, '1.5', /^"1\.5" is not an integer$/);
  rejects({ type: 'number' }, '+  12.345', /is not a number/); // strict stays the default
});

test('a trace shows each stage of one value', () => {
  const table = compileFields({
    t: {
      type: 'number',
      max: 30,
      number_format: 'lenient',
      transform: [
        { op: 'scale', by: 0.1 },
        { op: 'round', decimals: 0 },
      ],
    },
  });
  const field = table.fields[0];
  assert.ok(field !== undefined);
  const done = field.trace('+ 215');
  assert.equal(done.stage, 'done');
  assert.ok(done.stage === 'done');
  assert.deepEqual(
    done.transforms.steps.map((s) => `${s.step}: ${String(s.value)}`),
    ['parsed: 215', 'scale 0.1: 21.5', 'round 0: 22'],
  );
  assert.deepEqual(done.result, { ok: true, value: 22 });
  assert.equal(field.trace('x').stage, 'parse');
  const high = field.trace('400');
  assert.equal(high.stage, 'check');
  assert.deepEqual(high.result, { ok: false, reason: '40 is above max 30' });
});

test('unknown keys: counted by default, left out by ignore:, or refusing the line', () => {
  const fields: Record<string, FieldSpec> = { t: { type: 'number' } };
  const line = new Map<string, RawValue>([
    ['t', '1'],
    ['rssi', '-70'],
    ['uptime', '12'],
  ]);
  assert.deepEqual(validateValues(compileFields(fields), line).unknownKeys, ['rssi', 'uptime']);
  const ignoring = validateValues(compileFields(fields, { ignore: ['rssi'] }), line);
  assert.deepEqual(ignoring.unknownKeys, ['uptime']);
  assert.deepEqual([...ignoring.values], [['t', 1]]);
  assert.equal(ignoring.refused, null);
  const quiet = validateValues(compileFields(fields, { unknown_keys: 'ignore' }), line);
  assert.deepEqual(quiet.unknownKeys, []);
  assert.deepEqual([...quiet.values], [['t', 1]]);
  const strict = compileFields(fields, { unknown_keys: 'reject', ignore: ['rssi'] });
  const refused = validateValues(strict, line);
  assert.equal(refused.refused, 'key "uptime" is not declared by the profile (unknown_keys: reject)');
  assert.equal(refused.values.size, 0);
  const fine = validateValues(
    strict,
    new Map<string, RawValue>([
      ['t', '1'],
      ['rssi', '-70'],
    ]),
  );
  assert.equal(fine.refused, null);
  assert.deepEqual([...fine.values], [['t', 1]]);
});
