// The JSON Schemas editors use (src/config/json-schema.ts, committed in schema/) accept every
// shipped configuration file as written — `30s`, `1MiB` and all — and refuse what `check`
// refuses for the same key, checked with an independent validator (ajv, draft-07). Every
// shipped file names its schema on its first line, by a path that exists.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { gatewayJsonSchema, profileJsonSchema } from '../../../src/config/json-schema.ts';
import { gatewayConfigSchema, profileSchema } from '../../../src/config/schema.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const GATEWAY = join(ROOT, 'gateway.yaml');
const PROFILES = readdirSync(join(ROOT, 'devices'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(ROOT, 'devices', e.name, 'profile.yaml')))
  .map((e) => join(ROOT, 'devices', e.name, 'profile.yaml'));

const ajv = new Ajv({ allErrors: true });
const validateGateway = ajv.compile(gatewayJsonSchema());
const validateProfile = ajv.compile(profileJsonSchema());

function errors(validate: typeof validateGateway, data: unknown): string[] {
  return validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.dataPath} ${e.message ?? ''}`);
}

function yamlFile(path: string): unknown {
  return parse(readFileSync(path, 'utf8'));
}

void describe('the JSON Schemas accept the shipped files', () => {
  void it('shipped profiles exist', () => {
    assert.ok(PROFILES.length >= 6, `found ${PROFILES.length} profiles`);
  });

  void it('gateway.yaml', () => {
    const data = yamlFile(GATEWAY);
    assert.ok(gatewayConfigSchema.safeParse(data).success, 'zod refuses gateway.yaml');
    assert.deepEqual(errors(validateGateway, data), []);
  });

  for (const file of PROFILES)
    void it(relative(ROOT, file), () => {
      const data = yamlFile(file);
      assert.ok(profileSchema.safeParse(data).success, `zod refuses ${file}`);
      assert.deepEqual(errors(validateProfile, data), []);
    });
});

void describe('the JSON Schemas refuse what the zod schema refuses', () => {
  const minimal = { ports: [{ name: 'p', path: '/dev/ttyUSB0', device: 'climate' }] };
  const profile = { id: 'x', line: { format: 'kv' }, fields: { t: { type: 'number', min: 0 } } };
  const cases: [string, typeof validateGateway, unknown, string][] = [
    ['a misspelt key', validateGateway, { ...minimal, qeue: {} }, 'should NOT have additional properties'],
    ['no ports', validateGateway, { ports: [] }, 'should NOT have fewer than 1 items'],
    [
      'a duration in words',
      validateGateway,
      { ...minimal, mqtt: { keepalive: '30 sec' } },
      'should match pattern',
    ],
    ['a size in TB', validateGateway, { ...minimal, queue: { max_bytes: '1TB' } }, 'should match pattern'],
    [
      'a field key of another type',
      validateProfile,
      { ...profile, fields: { t: { type: 'boolean', min: 0 } } },
      'should NOT have additional properties',
    ],
    [
      'an unknown line format',
      validateProfile,
      { ...profile, line: { format: 'xml' } },
      'should be equal to one of',
    ],
  ];
  for (const [name, validate, data, message] of cases)
    void it(name, () => {
      const schema = validate === validateGateway ? gatewayConfigSchema : profileSchema;
      assert.equal(schema.safeParse(data).success, false, 'zod accepts it: the case is wrong');
      const found = errors(validate, data);
      assert.ok(
        found.some((e) => e.includes(message)),
        `expected "${message}", got ${JSON.stringify(found)}`,
      );
    });

  void it('accepts the human units zod parses', () => {
    const data = {
      ...minimal,
      mqtt: { keepalive: '1.5m' },
      queue: { max_bytes: '64 KiB', max_age: 3600000 },
    };
    assert.ok(gatewayConfigSchema.safeParse(data).success);
    assert.deepEqual(errors(validateGateway, data), []);
  });
});

void describe('every shipped file names its JSON Schema on its first line', () => {
  const expected: [string, string][] = [
    [GATEWAY, 'schema/gateway.schema.json'],
    ...PROFILES.map((p): [string, string] => [p, 'schema/profile.schema.json']),
  ];
  for (const [file, schema] of expected)
    void it(relative(ROOT, file), () => {
      const first = readFileSync(file, 'utf8').split('\n')[0] ?? '';
      const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
      assert.ok(m?.[1] !== undefined, `first line is ${JSON.stringify(first)}`);
      assert.equal(relative(ROOT, resolve(dirname(file), m[1])), schema);
      assert.ok(existsSync(join(ROOT, schema)), `${schema} does not exist`);
    });
});
