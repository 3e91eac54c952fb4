import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJson, MAX_DEPTH } from '../../../src/line/json.ts';
import type { DecodeResult } from '../../../src/pipeline/types.ts';

function values(r: DecodeResult): [string, unknown][] {
  assert.equal(r.ok, true, JSON.stringify(r));
  return r.ok === true ? [...r.values] : [];
}

function parseError(r: DecodeResult): string {
  assert.ok(r.ok === false, JSON.stringify(r));
  assert.equal(r.reason, 'parse_error');
  return r.detail;
}

test('scalar members keep their JSON types', () => {
  assert.deepEqual(values(decodeJson('{"t":23.5,"on":true,"name":"x","n":null}')), [
    ['t', 23.5],
    ['on', true],
    ['name', 'x'],
    ['n', null],
  ]);
});

test('nested objects are flattened with "."; arrays are ignored', () => {
  assert.deepEqual(values(decodeJson('{"env":{"t":1,"deep":{"h":2}},"list":[1,2],"x":3}')), [
    ['env.t', 1],
    ['env.deep.h', 2],
    ['x', 3],
  ]);
});

test('depth is bounded', () => {
  const ok = '{"a":'.repeat(MAX_DEPTH - 1) + '{"v":1}' + '}'.repeat(MAX_DEPTH - 1);
  assert.equal(values(decodeJson(ok)).length, 1);
  const deep = '{"a":'.repeat(MAX_DEPTH) + '{"v":1}' + '}'.repeat(MAX_DEPTH);
  assert.match(parseError(decodeJson(deep)), /deeper than/);
});

test('arrays, scalars, null and broken JSON are parse_errors', () => {
  assert.match(parseError(decodeJson('[1,2]')), /got an array/);
  assert.match(parseError(decodeJson('42')), /got a number/);
  assert.match(parseError(decodeJson('"s"')), /got a string/);
  assert.match(parseError(decodeJson('null')), /got null/);
  assert.match(parseError(decodeJson('{"t":')), /not valid JSON/);
  assert.match(parseError(decodeJson('')), /not valid JSON/);
});

test('keys that flatten to the same name are a parse_error', () => {
  assert.match(parseError(decodeJson('{"a.b":1,"a":{"b":2}}')), /"a.b" appears twice/);
});

test('__proto__ is a plain key and pollutes nothing; unicode passes', () => {
  const r = decodeJson('{"__proto__":{"polluted":1},"constructor":2,"température":"€"}');
  assert.deepEqual(values(r), [
    ['__proto__.polluted', 1],
    ['constructor', 2],
    ['température', '€'],
  ]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
