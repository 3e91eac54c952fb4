import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCsvDecoder } from '../../../src/line/csv.ts';

const decode = createCsvDecoder(['temp', 'hum', 'state'], ',');

test('values in column order', () => {
  const r = decode('23.5,40,on');
  assert.ok(r.ok === true);
  assert.deepEqual(
    [...r.values],
    [
      ['temp', '23.5'],
      ['hum', '40'],
      ['state', 'on'],
    ],
  );
});

test('an empty value is absent; spaces are trimmed', () => {
  const r = decode(' 23.5 ,, on');
  assert.ok(r.ok === true);
  assert.deepEqual(
    [...r.values],
    [
      ['temp', '23.5'],
      ['state', 'on'],
    ],
  );
});

test('the wrong number of values is a parse_error', () => {
  for (const line of ['23.5,40', '23.5,40,on,extra', '']) {
    const r = decode(line);
    assert.ok(r.ok === false, line);
    assert.equal(r.reason, 'parse_error');
    assert.match(r.detail, /expected 3 values/);
  }
});

test('another delimiter; a whitespace delimiter does not trim', () => {
  const semi = createCsvDecoder(['a', 'b'], ';')('1;2');
  assert.ok(semi.ok === true);
  assert.deepEqual(
    [...semi.values],
    [
      ['a', '1'],
      ['b', '2'],
    ],
  );
  const tab = createCsvDecoder(['a', 'b'], '\t')(' 1\t2');
  assert.ok(tab.ok === true);
  assert.deepEqual(
    [...tab.values],
    [
      ['a', ' 1'],
      ['b', '2'],
    ],
  );
});

test('a column named __proto__ is a plain key', () => {
  const r = createCsvDecoder(['__proto__'], ',')('1');
  assert.ok(r.ok === true);
  assert.equal(r.values.get('__proto__'), '1');
});
