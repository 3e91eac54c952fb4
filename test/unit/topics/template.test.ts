import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { profileSchema } from '../../../src/config/schema.ts';
import { isTopicLevel } from '../../../src/topics/level.ts';
import {
  checkTopicTemplate,
  compileTemplate,
  exampleTopic,
  renderTopic,
} from '../../../src/topics/template.ts';
import type { CompiledTemplate } from '../../../src/topics/template.ts';

function compiled(source: string): CompiledTemplate {
  const r = compileTemplate(source);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.template;
}

test('isTopicLevel: 1–64 of A-Z a-z 0-9 _ . -', () => {
  for (const ok of ['a', 'livingroom', 'node-12', 'a_b.c', 'x'.repeat(64), '.', '..'])
    assert.ok(isTopicLevel(ok), ok);
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
    assert.ok(!isTopicLevel(bad), JSON.stringify(bad));
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

const profile = (extra: object) =>
  profileSchema.parse({ id: 'p', line: { format: 'kv' }, fields: { t: { type: 'number' } }, ...extra });

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
    assert.equal(exampleTopic('{port}/{room}/{field}', { port: 'a', room: 'b', field: 'c' }), 'a/b/c');
  });
});

test('one grammar: compileTemplate accepts exactly the templates check finds no level problem in', () => {
  const levelProblem = /must start with the level \{port\}|empty level|must be one literal level/;
  const p = profile({ line: { format: 'mysensors' } });
  fc.assert(
    fc.property(
      fc
        .array(
          fc.oneof(
            fc.constantFrom('{port}', '{field}', '{node}', '{room}', '{a.b}', '{1x}', '{}', 'x', '.', ''),
            fc.string({ maxLength: 8 }),
          ),
          { minLength: 1, maxLength: 5 },
        )
        .map((levels) => levels.join('/')),
      (source) => {
        if (source === '') return;
        const compiled = compileTemplate(source).ok;
        const checked = !checkTopicTemplate(source, p).problems.some((m) => levelProblem.test(m));
        assert.equal(compiled, checked, source);
      },
    ),
    { numRuns: 2000 },
  );
  for (const source of ['{port}/{a.b}/{field}', '{port}/{1x}/{field}'])
    assert.match((compileTemplate(source) as { message: string }).message, /exactly one \{placeholder\}/);
});

test('exampleTopic keeps a placeholder without a value visible', () => {
  assert.equal(exampleTopic('{port}/{node}/{field}', { port: 'g', node: '<node>' }), 'g/<node>/{field}');
});
