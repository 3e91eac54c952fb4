// Property: the one-level rule (docs/contract.md §5) holds for any value a device or config can
// put into a topic — arbitrary Unicode, binary, lone surrogates, bytes decoded any which
// way, and strings built from the dangerous characters.
import { gatewayOwnedNames } from '../../../src/topics/gateway-owned.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isTopicLevel, LEVEL_PATTERN } from '../../../src/topics/level.ts';
import { compileTemplate, renderTopic } from '../../../src/topics/template.ts';
import type { CompiledTemplate } from '../../../src/topics/template.ts';
import { createMapper } from '../../../src/pipeline/map.ts';

const BASE = 'iot/home1';
const BASE_LEVELS = BASE.split('/').length;
const DANGEROUS = [
  '/',
  '+',
  '#',
  '$',
  '\0',
  '\n',
  '\r',
  '\t',
  '\x7f',
  '\u0085',
  '\u2028',
  '\uD800',
  '\uDC00',
  ' ',
  'a',
  'Z',
  '0',
  '_',
  '.',
  '-',
  'é',
];

/** Any string a hostile device or a careless config might produce. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom(...DANGEROUS), maxLength: 70 }),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('utf8')),
  fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
  fc.stringMatching(/^\$?[A-Za-z0-9_.\-/+#]{0,70}$/),
);

const TEMPLATES = [
  '{port}',
  '{port}/{field}',
  '{port}/{node}/{field}',
  '{port}/{room}/x/{node}/{field}',
  '{port}/{gateway}/{field}',
].map((source) => {
  const r = compileTemplate(source);
  assert.ok(r.ok);
  return r.template;
});

/** Everything docs/contract.md §5 promises about a rendered topic. */
function assertSafeTopic(topic: string, port: string): void {
  assert.ok(topic === `${BASE}/${port}` || topic.startsWith(`${BASE}/${port}/`), topic);
  assert.ok(!topic.includes('+') && !topic.includes('#'), topic);
  for (const ch of topic) {
    const c = ch.codePointAt(0) ?? 0;
    assert.ok(c > 0x1f && (c < 0x7f || c > 0x9f), `control character U+${c.toString(16)}`);
  }
  assert.doesNotMatch(topic, /[\uD800-\uDFFF]/, 'no lone surrogates (invalid UTF-8)');
  const levels = topic.split('/');
  for (const level of levels) {
    assert.notEqual(level, '', 'no empty level');
    assert.ok(!level.startsWith('$'), 'no $-leading level');
  }
  for (const level of levels.slice(BASE_LEVELS)) assert.match(level, LEVEL_PATTERN);
}

test('renderTopic: any vars → either a safe topic or topic_rejected', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...TEMPLATES),
      fc.record({ port: anyText, field: anyText, node: anyText, room: anyText, gateway: anyText }),
      (template: CompiledTemplate, vars) => {
        const r = renderTopic(BASE, template, vars);
        const allValid = template.placeholders.every((p) => isTopicLevel(vars[p as keyof typeof vars]));
        if (r.ok) assertSafeTopic(r.topic, vars.port);
        else assert.equal(r.reason, 'topic_rejected');
        assert.equal(r.ok, allValid, 'rejected exactly when a used value is not one level');
      },
    ),
    { numRuns: 2000 },
  );
});

test('compileTemplate: any string compiles only to {port}-first templates of safe levels', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        anyText,
        fc
          .array(fc.oneof(anyText, fc.constantFrom('{port}', '{field}', '{node}', 'x')), { maxLength: 5 })
          .map((a) => a.join('/')),
      ),
      (source) => {
        const r = compileTemplate(source);
        if (!r.ok) return;
        const [first, ...rest] = r.template.parts;
        assert.deepEqual(first, { kind: 'placeholder', name: 'port' });
        for (const part of rest) if (part.kind === 'literal') assert.ok(isTopicLevel(part.text), part.text);
      },
    ),
    { numRuns: 2000 },
  );
});

test('createMapper: device-supplied levels and field names never break the rule', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...TEMPLATES.filter((t) => t.placeholders.includes('field'))),
      fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
      fc.record({ node: anyText, room: anyText }),
      fc.array(anyText, { maxLength: 4 }),
      (template, port, levels, fieldNames) => {
        const map = createMapper({
          base: BASE,
          gatewayId: 'pi',
          port,
          portVars: {},
          profile: { publish: { mode: 'per_field', qos: 1, retain: false }, fieldOrder: fieldNames },
          template,
          owned: gatewayOwnedNames([]),
        });
        const r = map({ port, values: new Map(fieldNames.map((f) => [f, 1])), levels, receivedAt: 0 });
        if (r.ok) for (const m of r.messages) assertSafeTopic(m.topic, port);
        else assert.equal(r.reason, 'topic_rejected');
      },
    ),
    { numRuns: 1000 },
  );
});
