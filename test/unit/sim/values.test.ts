import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { profileSchema, type DeviceProfile } from '../../../src/config/schema.ts';
import { compileFields, validateValues } from '../../../src/pipeline/validate.ts';
import { createValueGenerator } from '../../../src/sim/values.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

const profile: DeviceProfile = profileSchema.parse({
  id: 'everything',
  line: { format: 'kv' },
  fields: {
    temperature: { key: 'temp', type: 'number', min: -40, max: 85 },
    narrow: { type: 'number', min: 0.05, max: 0.06 },
    open_low: { type: 'number', max: -10 },
    open_both: { type: 'number' },
    count: { type: 'integer', min: -3, max: 3 },
    energy: { type: 'number', min: 0, state_class: 'total_increasing' },
    door: { type: 'boolean' },
    mode: { type: 'enum', values: ['auto', 'heat', 'cool'] },
    label: { type: 'string', max_length: 4 },
    code: { type: 'string', pattern: '^[0-9]+$' },
  },
});

const DRAWS = 10_000;

void describe('createValueGenerator', () => {
  void it(`keeps every field inside its schema over ${DRAWS} draws`, () => {
    const next = createValueGenerator(profile, seededRandom(42));
    let lastEnergy = -Infinity;
    const seen = { door: new Set<unknown>(), mode: new Set<unknown>() };
    for (let i = 0; i < DRAWS; i++) {
      const v = next();
      assert.deepEqual(
        [...v.keys()],
        ['temp', 'narrow', 'open_low', 'open_both', 'count', 'energy', 'door', 'mode', 'label', 'code'],
      );
      const num = (key: string): number => {
        const x = v.get(key);
        assert.equal(typeof x, 'number', key);
        assert.ok(Number.isFinite(x), key);
        return x as number;
      };
      const temp = num('temp');
      assert.ok(temp >= -40 && temp <= 85, `temp ${temp}`);
      const narrow = num('narrow');
      assert.ok(narrow >= 0.05 && narrow <= 0.06, `narrow ${narrow}`);
      assert.ok(num('open_low') <= -10);
      const count = num('count');
      assert.ok(Number.isInteger(count) && count >= -3 && count <= 3, `count ${count}`);
      const energy = num('energy');
      assert.ok(energy >= 0 && energy >= lastEnergy, `energy ${energy} after ${lastEnergy}`);
      lastEnergy = energy;
      assert.equal(typeof v.get('door'), 'boolean');
      seen.door.add(v.get('door'));
      assert.ok(['auto', 'heat', 'cool'].includes(v.get('mode') as string));
      seen.mode.add(v.get('mode'));
      const label = v.get('label') as string;
      assert.ok(label.length >= 1 && label.length <= 4 && !/[,; =:]/.test(label), `label ${label}`);
      assert.match(v.get('code') as string, /^[0-9]+$/);
    }
    assert.equal(seen.door.size, 2, 'booleans toggle');
    assert.equal(seen.mode.size, 3, 'enums cycle through every value');
  });

  void it('walks: consecutive numbers stay close, so readings look like a sensor', () => {
    const next = createValueGenerator(profile, seededRandom(7));
    let previous = next().get('temp') as number;
    for (let i = 0; i < 1000; i++) {
      const temp = next().get('temp') as number;
      assert.ok(Math.abs(temp - previous) <= 125 * 0.02 + 0.1, `${previous} → ${temp}`);
      previous = temp;
    }
  });

  void it('is deterministic for a given RNG', () => {
    const a = createValueGenerator(profile, seededRandom(3));
    const b = createValueGenerator(profile, seededRandom(3));
    for (let i = 0; i < 100; i++) assert.deepEqual(a(), b());
  });
});

void describe('createValueGenerator with transforms', () => {
  void it('prints values from before the transforms, which then pass the field', () => {
    const transformed = profileSchema.parse({
      id: 'transformed',
      line: { format: 'kv' },
      fields: {
        tenths_f: {
          type: 'number',
          unit: '°C',
          min: -40,
          max: 85,
          transform: [{ scale: 0.1 }, { convert: { from: '°F', to: '°C' } }, { round: 1 }],
        },
        half: { type: 'integer', min: 0, max: 10, transform: [{ scale: 0.5 }, { round: 0 }] },
        state: { type: 'enum', values: ['idle', 'busy'], transform: [{ map: { '0': 'idle', '1': 'busy' } }] },
        level: { type: 'number', max: 10, transform: [{ map: { '0': 1, '1': 5, '2': 99 } }] },
        closed: { type: 'boolean', transform: ['invert'] },
      },
    });
    const table = compileFields(transformed.fields);
    const next = createValueGenerator(transformed, seededRandom(7));
    const states = new Set<unknown>();
    const levels = new Set<unknown>();
    for (let i = 0; i < 2000; i++) {
      const raw = new Map([...next()].map(([k, v]) => [k, String(v)]));
      states.add(raw.get('state'));
      levels.add(raw.get('level'));
      const r = validateValues(table, raw);
      assert.deepEqual(r.rejected, [], JSON.stringify([...raw]));
      assert.equal(r.values.size, 5);
    }
    assert.deepEqual([...states].sort(), ['0', '1']);
    // Key 2 maps to 99, above the field's max: never printed.
    assert.deepEqual([...levels].sort(), ['0', '1']);
  });
});
