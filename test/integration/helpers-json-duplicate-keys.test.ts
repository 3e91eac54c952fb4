// The duplicate-key reader the log tests rely on (test/helpers/json-duplicate-keys.ts): it must
// see what JSON.parse hides, at any depth, and not be fooled by keys inside strings.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { duplicateKeys } from '../helpers/json-duplicate-keys.ts';

it('names keys an object has twice, at any depth, and nothing else', () => {
  assert.deepEqual(duplicateKeys('{"level":"warn","port":"scale","port":"scale","msg":"x"}'), ['port']);
  assert.deepEqual(duplicateKeys('{"a":{"b":1,"b":[{"c":1,"c":"\\"}"}]},"d":-1.5e3,"e":[],"f":{}}'), [
    'a.b',
    'a.b.0.c',
  ]);
  assert.deepEqual(duplicateKeys('{"a":"\\"a\\":1","b":{"a":2}}'), []);
  assert.deepEqual(duplicateKeys('{"a":1}'), []);
  assert.throws(() => duplicateKeys('{"a":1'), SyntaxError);
});
