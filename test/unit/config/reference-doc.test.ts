// The key reference generator (src/config/reference-doc.ts) on a small schema with each shape
// it reads, and the rule that keeps the real references complete: every key is described.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { gatewayJsonSchema, profileJsonSchema, toInputJsonSchema } from '../../../src/config/json-schema.ts';
import { referenceRows, referenceTable } from '../../../src/config/reference-doc.ts';
import type { ReferenceRow } from '../../../src/config/reference-doc.ts';
import { duration, size } from '../../../src/config/schema.ts';

const small = z.strictObject({
  name: z.string().min(1).describe('the name'),
  mode: z.enum(['a', 'b']).default('a').describe('a or b'),
  wait: duration.prefault('30s').describe('how long'),
  limit: size.optional().describe('how much'),
  level: z.number().int().min(1).max(9).default(3).describe('one to nine'),
  url: z
    .string()
    .regex(/^(x|y):/)
    .optional()
    .describe('a url'),
  server: z
    .strictObject({
      host: z.string().describe('where'),
      tls: z
        .strictObject({ ca: z.string().describe('ca file') })
        .nullable()
        .default(null)
        .describe('tls'),
    })
    .default({ host: 'h', tls: null })
    .describe('the server'),
  items: z
    .array(z.strictObject({ id: z.string().describe('item id') }))
    .min(1)
    .describe('the items'),
  things: z
    .record(
      z.string().meta({ title: 'thing' }),
      z
        .discriminatedUnion('kind', [
          z.strictObject({
            kind: z.literal('n').describe('its kind'),
            min: z.number().optional().describe('low'),
          }),
          z.strictObject({
            kind: z.literal('i').describe('its kind'),
            min: z.number().int().optional().describe('low'),
          }),
          z.strictObject({
            kind: z.literal('s').describe('its kind'),
            values: z.array(z.string()).describe('vals'),
          }),
        ])
        .describe('a thing'),
    )
    .default({})
    .describe('the things'),
});

function rowsOf(): Map<string, ReferenceRow> {
  const rows = referenceRows(toInputJsonSchema(small, 'small', 'a small schema'));
  return new Map(rows.map((r) => [r.path, r]));
}

void describe('referenceRows', () => {
  const rows = rowsOf();

  void it('lists every key path, nested, in the schema order', () => {
    assert.deepEqual(
      [...rows.keys()],
      [
        'name',
        'mode',
        'wait',
        'limit',
        'level',
        'url',
        'server',
        'server.host',
        'server.tls',
        'server.tls.ca',
        'items',
        'items[].id',
        'things',
        'things.<thing>',
        'things.<thing>.kind',
        'things.<thing>.min',
        'things.<thing>.values',
      ],
    );
  });

  void it('gives types, defaults as written, allowed values and descriptions', () => {
    assert.deepEqual(rows.get('name'), {
      path: 'name',
      type: 'string',
      default: 'required',
      values: 'not empty',
      description: 'the name',
    });
    assert.deepEqual(rows.get('mode'), {
      path: 'mode',
      type: 'string',
      default: '`a`',
      values: '`a`, `b`',
      description: 'a or b',
    });
    assert.equal(rows.get('wait')?.type, 'duration');
    assert.equal(rows.get('wait')?.default, '`30s`');
    assert.equal(rows.get('limit')?.type, 'size');
    assert.equal(rows.get('limit')?.default, '');
    assert.equal(rows.get('level')?.values, '1 to 9');
    assert.equal(rows.get('url')?.values, 'matches `^(x|y):`');
    assert.equal(rows.get('server')?.type, 'object');
    assert.equal(rows.get('server')?.default, '', "a section's default is in its keys' rows");
    assert.equal(rows.get('server.tls')?.type, 'object or null');
    assert.equal(rows.get('server.tls')?.default, '`null`');
    assert.equal(rows.get('server.tls.ca')?.default, 'required');
    assert.equal(rows.get('items')?.type, 'list of object');
    assert.equal(rows.get('items')?.values, 'at least 1 entry');
    assert.equal(rows.get('things')?.default, '`{}`');
    assert.equal(rows.get('things.<thing>')?.description, 'a thing');
  });

  void it('merges the branches of a discriminated union and says which have a key', () => {
    assert.deepEqual(rows.get('things.<thing>.kind'), {
      path: 'things.<thing>.kind',
      type: 'string',
      default: 'required',
      values: '`n`, `i`, `s`',
      description: 'its kind',
    });
    assert.equal(rows.get('things.<thing>.min')?.type, 'number or integer');
    assert.equal(rows.get('things.<thing>.min')?.description, 'low (with `kind`: `n`, `i`)');
    assert.equal(rows.get('things.<thing>.values')?.default, 'required');
    assert.equal(rows.get('things.<thing>.values')?.description, 'vals (with `kind`: `s`)');
  });

  void it('renders a Markdown table, escaping | inside cells', () => {
    const table = referenceTable([...rows.values()]);
    const lines = table.trimEnd().split('\n');
    assert.equal(lines[0], '| key | type | default | values | description |');
    assert.equal(lines.length, rows.size + 2);
    assert.ok(lines.includes('| `url` | string | — | matches `^(x\\|y):` | a url |'), table);
  });
});

void describe('the real references', () => {
  for (const [name, schema] of [
    ['gateway.yaml', gatewayJsonSchema()],
    ['profile.yaml', profileJsonSchema()],
  ] as const)
    void it(`${name}: every key has a description (.describe() in src/config/schema.ts)`, () => {
      const rows = referenceRows(schema);
      assert.ok(rows.length > 40, `only ${rows.length} rows: the walk is broken`);
      assert.deepEqual(
        rows.filter((r) => r.description.trim() === '').map((r) => r.path),
        [],
      );
    });

  void it('reach the nested keys users asked about', () => {
    const paths = new Set([...referenceRows(profileJsonSchema())].map((r) => r.path));
    for (const p of [
      'line.checksum',
      'fields.<name>.min',
      'fields.<name>.state_class',
      'commands.<name>.reply.timeout',
      'command_options.max_bytes',
      'availability_timeout',
      'mqttsn.predefined.<topic_id>',
    ])
      assert.ok(paths.has(p), `${p} is missing`);
  });
});
