import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKv } from '../../../src/line/kv.ts';
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

test('key=value and key:value, separated by , ; or whitespace', () => {
  const expected = [
    ['temp', '23.5'],
    ['hum', '40'],
  ];
  for (const line of [
    'temp=23.5,hum=40',
    'temp:23.5; hum:40',
    'temp=23.5 hum=40',
    'temp=23.5\thum=40',
    ',temp=23.5;;hum=40,',
  ])
    assert.deepEqual(values(decodeKv(line)), expected, line);
});

test('values may contain = and :; no spaces around the marker (ambiguous)', () => {
  assert.deepEqual(values(decodeKv('time=12:30 url=a=b')), [
    ['time', '12:30'],
    ['url', 'a=b'],
  ]);
  // An empty value never swallows the next pair.
  assert.deepEqual(values(decodeKv('temp= hum=40')), [
    ['temp', ''],
    ['hum', '40'],
  ]);
  assert.match(parseError(decodeKv('Temp: 23.5')), /"23.5" is not a key=value pair/);
  assert.match(parseError(decodeKv('temp = 1')), /"temp" is not a key=value pair/);
});

test('an empty value stays an empty string (validation decides)', () => {
  assert.deepEqual(values(decodeKv('temp=,hum=40')), [
    ['temp', ''],
    ['hum', '40'],
  ]);
  assert.deepEqual(values(decodeKv('temp=')), [['temp', '']]);
});

test('a token that is not a pair, an empty key or no pairs at all is a parse_error', () => {
  assert.match(parseError(decodeKv('temp=1 garbage')), /"garbage" is not a key=value pair/);
  assert.match(parseError(decodeKv('temp 23.5')), /"temp" is not a key=value pair/);
  assert.match(parseError(decodeKv('a=1 =5')), /"=5" has an empty key/);
  assert.match(parseError(decodeKv('=5')), /has an empty key/);
  assert.match(parseError(decodeKv(':5')), /has an empty key/);
  assert.match(parseError(decodeKv('')), /no key=value pairs/);
  assert.match(parseError(decodeKv(' ,; ')), /no key=value pairs/);
});

test('a duplicate key is a parse_error (ambiguous reading)', () => {
  assert.match(parseError(decodeKv('temp=1,temp=2')), /"temp" appears twice/);
});

test('__proto__ and friends are plain keys; unicode keys and values pass through', () => {
  const r = decodeKv('__proto__=1,constructor=2,température=23.5,名前=值');
  assert.deepEqual(values(r), [
    ['__proto__', '1'],
    ['constructor', '2'],
    ['température', '23.5'],
    ['名前', '值'],
  ]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('details echo device text shortened', () => {
  const detail = parseError(decodeKv('x'.repeat(500)));
  assert.ok(detail.length < 80, detail);
});
