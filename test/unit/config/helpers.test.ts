// The small pure pieces of config loading: suggestions, paths, templates, env, wording.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { substituteEnv } from '../../../src/config/env.ts';
import { issueMessage } from '../../../src/config/messages.ts';
import { formatPath } from '../../../src/config/positions.ts';
import { hostnameLevel } from '../../../src/config/resolve.ts';
import { gatewayConfigSchema, profileSchema } from '../../../src/config/schema.ts';
import { LEVEL_PATTERN } from '../../../src/topics/level.ts';
import { knownKeys } from '../../../src/config/schema-keys.ts';
import { closestKey } from '../../../src/config/suggest.ts';
import { redactUrl } from '../../../src/config/redact-url.ts';

void describe('closestKey', () => {
  const ports = ['name', 'path', 'baud_rate', 'device', 'vars', 'reset_on_open', 'idle_timeout'];
  void it('suggests by prefix, spelling and case', () => {
    assert.equal(closestKey('baud', ports), 'baud_rate');
    assert.equal(closestKey('baudRate', ports), 'baud_rate');
    assert.equal(closestKey('devcie', ports), 'device');
    assert.equal(closestKey('pth', ports), 'path');
  });
  void it('stays quiet when nothing is close', () => {
    assert.equal(closestKey('colour', ports), undefined);
  });
});

void describe('knownKeys', () => {
  void it('walks defaults, arrays and discriminated unions', () => {
    assert.ok(knownKeys(gatewayConfigSchema, ['ports', 0], {}).includes('baud_rate'));
    assert.ok(knownKeys(gatewayConfigSchema, ['queue'], {}).includes('when_full'));
    const data = { fields: { t: { type: 'string' } } };
    assert.ok(knownKeys(profileSchema, ['fields', 't'], data).includes('max_length'));
    assert.ok(!knownKeys(profileSchema, ['fields', 't'], data).includes('min'));
  });
});

void describe('formatPath', () => {
  void it('uses [i] for indexes and quotes odd keys', () => {
    assert.equal(formatPath(['ports', 0, 'baud_rate']), 'ports[0].baud_rate');
    assert.equal(formatPath(['ports', 1, 'vars', 'a b']), 'ports[1].vars["a b"]');
    assert.equal(formatPath([]), '');
  });
});

void describe('substituteEnv', () => {
  const run = (text: string, env: NodeJS.ProcessEnv) => {
    const doc = parseDocument(text);
    const result = substituteEnv(doc, env);
    return { data: doc.toJS() as unknown, result };
  };
  void it('substitutes, defaults, escapes and types plain scalars', () => {
    const { data, result } = run('a: ${A}\nb: "${A}"\nc: ${B:-x}\nd: $${A}\ne:\n  - ${A}\n${A}: k\n', {
      A: '42',
    });
    assert.deepEqual(data, { a: 42, b: '42', c: 'x', d: '${A}', e: [42], '${A}': 'k' });
    assert.deepEqual(result.missing, []);
    assert.equal(result.substituted.length, 4);
  });
  void it('uses the default for an empty variable and reports an unset one', () => {
    const { data, result } = run('a: ${E:-d}\nb: x${U}\n', { E: '' });
    assert.deepEqual(data, { a: 'd', b: 'x${U}' });
    assert.deepEqual(result.missing, [{ path: ['b'], name: 'U' }]);
  });
});

void describe('issueMessage', () => {
  const messageFor = (
    schema: typeof gatewayConfigSchema.shape.queue,
    value: unknown,
    key: string,
  ): string => {
    const r = schema.safeParse({ [key]: value });
    assert.ok(!r.success);
    const issue = r.error.issues[0];
    assert.ok(issue);
    return issueMessage(issue, value, false);
  };
  void it('words unions by what each branch wanted', () => {
    const queue = gatewayConfigSchema.shape.queue;
    assert.equal(messageFor(queue, true, 'max_age'), 'expected a number or a string, got true');
    assert.equal(messageFor(queue, -5, 'max_age'), 'must be at least 0, got -5');
    assert.equal(messageFor(queue, 0, 'inflight'), 'must be at least 1, got 0');
  });
});

void describe('hostnameLevel', () => {
  void it('always yields one topic level', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (h) => LEVEL_PATTERN.test(hostnameLevel(h))));
    assert.equal(hostnameLevel('my pi.local'), 'my-pi.local');
  });
});

void describe('redactUrl', () => {
  void it('drops credentials', () => {
    assert.equal(redactUrl('mqtts://u:p@broker.lan:8883'), 'mqtts://broker.lan:8883');
    assert.equal(redactUrl('mqtt://broker.lan'), 'mqtt://broker.lan');
  });
});
