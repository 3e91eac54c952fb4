import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, isValidLevel, renderTopic } from '../../../src/pipeline/topics.ts';
import type { CompiledTemplate } from '../../../src/pipeline/topics.ts';

function compiled(source: string): CompiledTemplate {
  const r = compileTemplate(source);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.template;
}

test('isValidLevel: 1–64 of A-Z a-z 0-9 _ . -', () => {
  for (const ok of ['a', 'livingroom', 'node-12', 'a_b.c', 'x'.repeat(64), '.', '..'])
    assert.ok(isValidLevel(ok), ok);
  for (const bad of [
    '',
    'x'.repeat(65),
    'a/b',
    '+',
    '#',
    'a+',
    '$SYS',
    'a\0',
    'a\n',
    'é',
    ' a',
    'a b',
    '{x}',
  ])
    assert.ok(!isValidLevel(bad), JSON.stringify(bad));
});

test('compileTemplate: literal levels or exactly one placeholder; {port} first', () => {
  assert.deepEqual(compiled('{port}/{field}').placeholders, ['port', 'field']);
  assert.deepEqual(compiled('{port}').parts, [{ kind: 'placeholder', name: 'port' }]);
  assert.deepEqual(compiled('{port}/sensors/{room}/{field}/{room}').placeholders, ['port', 'room', 'field']);
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['{field}/{port}', /must start with \{port\}/],
    ['room/{port}', /must start with \{port\}/],
    ['{port}//{field}', /level 2 is empty/],
    ['/{port}', /level 1 is empty/],
    ['{port}/', /level 2 is empty/],
    ['{port}/x{field}', /exactly one \{placeholder\}/],
    ['{port}/{a}{b}', /exactly one \{placeholder\}/],
    ['{port}/{}', /exactly one \{placeholder\}/],
    ['{port}/a+b', /one topic level/],
    ['{port}/#', /one topic level/],
    ['{port}/$SYS', /one topic level/],
  ];
  for (const [source, message] of bad) {
    const r = compileTemplate(source);
    assert.ok(!r.ok, source);
    assert.match(r.message, message, source);
  }
});

test('renderTopic substitutes checked levels under the base', () => {
  const t = compiled('{port}/{room}/{field}');
  assert.deepEqual(renderTopic('iot/home1', t, { port: 'lr', room: 'living', field: 'temperature' }), {
    ok: true,
    topic: 'iot/home1/lr/living/temperature',
  });
});

test('renderTopic rejects a missing var or a value that is not one level', () => {
  const t = compiled('{port}/{node}/{field}');
  const missing = renderTopic('b', t, { port: 'p', field: 'f' });
  assert.deepEqual(missing, { ok: false, reason: 'topic_rejected', detail: 'no value for {node}' });
  for (const node of ['', 'a/b', '+', '#', '$x', 'a\0b', 'a\nb', 'é', 'x'.repeat(65), '\uD800']) {
    const r = renderTopic('b', t, { port: 'p', node, field: 'f' });
    assert.ok(!r.ok, JSON.stringify(node));
    assert.equal(r.reason, 'topic_rejected');
  }
});

test('renderTopic looks at own properties only', () => {
  const t = compiled('{port}/{constructor}');
  assert.equal(renderTopic('b', t, { port: 'p' }).ok, false);
  const t2 = compiled('{port}/{toString}');
  assert.equal(renderTopic('b', t2, { port: 'p' }).ok, false);
});
