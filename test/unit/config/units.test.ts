import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDelay } from '../../../src/config/units.ts';

void test('formatDelay', () => {
  assert.equal(formatDelay(250), '250 ms');
  assert.equal(formatDelay(1500), '1.5 s');
  assert.equal(formatDelay(30_000), '30 s');
});
