import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegexDecoder } from '../../../src/line/regex.ts';
import { createDecoder } from '../../../src/line/decoder.ts';
import type { LineSpec } from '../../../src/config/schema.ts';
import { patternProblem } from '../../../src/config/pattern-check.ts';
import { compileFields, validateValues } from '../../../src/pipeline/validate.ts';

const decode = createRegexDecoder('^T:(?<temp>-?[0-9.]+) H:(?<hum>[0-9.]+)(?: B:(?<batt>\\d+))?$');

test('named groups that matched become values', () => {
  const r = decode('T:23.5 H:40');
  assert.ok(r.ok === true);
  assert.deepEqual(
    [...r.values],
    [
      ['temp', '23.5'],
      ['hum', '40'],
    ],
  );
  const withBatt = decode('T:-1 H:40 B:87');
  assert.ok(withBatt.ok === true);
  assert.equal(withBatt.values.get('batt'), '87');
});

test('no match is a parse_error; repeated use keeps no state', () => {
  const r = decode('hello');
  assert.ok(r.ok === false);
  assert.equal(r.reason, 'parse_error');
  for (let i = 0; i < 3; i++) assert.equal(decode('T:1 H:2').ok, true);
});

test('a named group called __proto__-like is a plain key; unicode passes', () => {
  const r = createRegexDecoder('(?<constructor>.+)=(?<v>.+)')('température=€');
  assert.ok(r.ok === true);
  assert.deepEqual(
    [...r.values],
    [
      ['constructor', 'température'],
      ['v', '€'],
    ],
  );
});

function spec(over: Partial<LineSpec>): LineSpec {
  return { format: 'kv', checksum: 'none', ack: false, max_bytes: 256, delimiter: ',', ...over };
}

test('createDecoder dispatches on line.format', () => {
  const kv = createDecoder(spec({ format: 'kv' }))('a=1');
  assert.ok(kv.ok === true);
  assert.equal(kv.values.get('a'), '1');
  const json = createDecoder(spec({ format: 'json' }))('{"a":1}');
  assert.ok(json.ok === true);
  assert.equal(json.values.get('a'), 1);
  const csv = createDecoder(spec({ format: 'csv', columns: ['a', 'b'] }))('1,2');
  assert.ok(csv.ok === true);
  assert.equal(csv.values.get('b'), '2');
  const ms = createDecoder(spec({ format: 'mysensors' }))('1;2;1;0;0;5');
  assert.ok(ms.ok === true);
  assert.equal(ms.values.get('2/V_TEMP'), '5');
  const re = createDecoder(spec({ format: 'regex', pattern: '(?<a>\\d+)' }))('x42');
  assert.ok(re.ok === true);
  assert.equal(re.values.get('a'), '42');
});

test('createDecoder refuses specs the schema would have rejected', () => {
  assert.throws(() => createDecoder(spec({ format: 'csv' })), TypeError);
  assert.throws(() => createDecoder(spec({ format: 'regex' })), TypeError);
});

test('a capture keeps the sign and padding a scale prints; a lenient field reads them', () => {
  // Capture the whole value and let number_format parse it: `[+-]?\s*` between two `\s*`
  // would be refused as quadratic, and needs not be written.
  for (const pattern of ['^W:(?<w>.*)$', '^W:(?<w>[+-]? *[0-9.,]+) ?kg$']) {
    assert.equal(patternProblem(pattern), undefined, pattern);
    const r = createRegexDecoder(pattern)('W:+  1,012.345 kg');
    assert.ok(r.ok === true, pattern);
    const table = compileFields({ w: { type: 'number', unit: 'kg', number_format: 'lenient' } });
    assert.deepEqual([...validateValues(table, r.values).values], [['w', 1012.345]], pattern);
  }
  const negative = createRegexDecoder('^W:(?<w>.*)$')('W:-   0.5');
  assert.ok(negative.ok === true);
  assert.equal(negative.values.get('w'), '-   0.5');
});
