// The small pure pieces of config loading: suggestions, paths, templates, env, wording.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { substituteEnv } from '../../../src/config/env.ts';
import { issueMessage } from '../../../src/config/messages.ts';
import { formatPath } from '../../../src/config/positions.ts';
import { hostnameLevel } from '../../../src/config/resolve.ts';
import { LEVEL_PATTERN, gatewayConfigSchema, profileSchema } from '../../../src/config/schema.ts';
import { knownKeys } from '../../../src/config/schema-keys.ts';
import { closestKey } from '../../../src/config/suggest.ts';
import { redactUrl } from '../../../src/config/redact-url.ts';
import { checkTopicTemplate, renderTopic } from '../../../src/config/topic-template.ts';

const profile = (extra: object) =>
  profileSchema.parse({ id: 'p', line: { format: 'kv' }, fields: { t: { type: 'number' } }, ...extra });

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

void describe('checkTopicTemplate', () => {
  void it('accepts the defaults and collects port vars', () => {
    assert.deepEqual(checkTopicTemplate('{port}/{field}', profile({})), { problems: [], vars: [] });
    assert.deepEqual(checkTopicTemplate('{port}/{room}/x.y/{field}', profile({})).vars, ['room']);
  });
  void it('rejects escaping {port}, mixed levels, empty levels and {node} outside mysensors', () => {
    const p = profile({});
    assert.equal(checkTopicTemplate('{field}', p).problems.length, 1);
    assert.match(checkTopicTemplate('{port}/a{field}', p).problems.join('\n'), /level "a\{field\}"/);
    assert.match(checkTopicTemplate('{port}//{field}', p).problems.join('\n'), /empty level/);
    assert.match(checkTopicTemplate('{port}/{node}/{field}', p).problems.join('\n'), /mysensors/);
    const mys = profile({ line: { format: 'mysensors' } });
    assert.deepEqual(checkTopicTemplate('{port}/{node}/{field}', mys).problems, []);
  });
  void it('wants {field} for per_field and forbids it for json', () => {
    assert.match(checkTopicTemplate('{port}', profile({})).problems.join(), /must contain \{field\}/);
    const json = profile({ publish: { mode: 'json' } });
    assert.match(checkTopicTemplate('{port}/{field}', json).problems.join(), /must not contain \{field\}/);
  });
  void it('renders example topics', () => {
    assert.equal(renderTopic('{port}/{room}/{field}', { port: 'a', room: 'b', field: 'c' }), 'a/b/c');
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
