import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asError, errorMessage } from '../../src/errors.ts';

test('errorMessage: the message of an Error, anything else thrown as text', () => {
  assert.equal(errorMessage(new Error('disk full')), 'disk full');
  assert.equal(errorMessage(new TypeError('bad')), 'bad');
  assert.equal(errorMessage('a thrown string'), 'a thrown string');
  assert.equal(errorMessage(42), '42');
  assert.equal(errorMessage(undefined), 'undefined');
});

test('asError: an Error as it is, anything else wrapped with its text as the message', () => {
  const error = new Error('x');
  assert.equal(asError(error), error);
  const wrapped = asError('boom');
  assert.ok(wrapped instanceof Error);
  assert.equal(wrapped.message, 'boom');
});
