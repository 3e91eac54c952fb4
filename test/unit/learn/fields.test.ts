// learn/fields.ts and learn/key-hints.ts: the type is the first the gateway's validator takes
// every value as; ranges are widened around what was seen; units only from obvious names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fieldNames, inferField, widenRange } from '../../../src/learn/fields.ts';
import { keyHint } from '../../../src/learn/key-hints.ts';
import { compileFields, validateValues } from '../../../src/pipeline/validate.ts';

describe('learn: fields', () => {
  it('integers, numbers, booleans, enums and strings, as the validator reads them', () => {
    assert.equal(inferField('raw', 'raw', ['612', '598', '640']).spec.type, 'integer');
    assert.equal(inferField('t', 't', ['23.5', '23', 24]).spec.type, 'number');
    assert.equal(inferField('led', 'led', ['on', 'off', 'ON']).spec.type, 'boolean');
    assert.equal(inferField('ok', 'ok', [true, false, true]).spec.type, 'boolean');
    assert.deepEqual(inferField('mode', 'mode', ['auto', 'heat', 'auto', 'auto', 'heat', 'auto']).spec, {
      type: 'enum',
      values: ['auto', 'heat'],
    });
    assert.equal(inferField('msg', 'msg', ['hello world', 'a b', 'x y']).spec.type, 'string');
  });

  it('a mostly numeric field stays numeric and says which values were not numbers', () => {
    const draft = inferField('t', 't', ['21.5', '21.7', '21.6', '21.9', 'nan']);
    assert.equal(draft.spec.type, 'number');
    assert.match(draft.notes.join('\n'), /1 value was not numbers \("nan"\)/);
  });

  it('0 and 1 only: an integer, with a hint that it may be a boolean', () => {
    const draft = inferField('state', 'state', ['0', '1', '1']);
    assert.equal(draft.spec.type, 'integer');
    assert.match(draft.notes.join('\n'), /make it type: boolean/);
  });

  it('widened ranges hold every value seen and more, and keep one side of zero', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 20 }),
        (xs) => {
          const lo = Math.min(...xs);
          const hi = Math.max(...xs);
          const { min, max } = widenRange(lo, hi);
          assert.ok(min <= lo && max >= hi, `${min}..${max} around ${lo}..${hi}`);
          assert.ok(max > hi || hi === 0, 'room above the highest value');
          if (lo >= 0) assert.ok(min >= 0);
          if (hi <= 0) assert.ok(max <= 0);
        },
      ),
    );
    assert.deepEqual(widenRange(19.2, 23.4), { min: 0, max: 50 });
    assert.deepEqual(widenRange(-72, -60), { min: -150, max: 0 });
  });

  it('the next reading just above the highest seen is accepted by the drafted field', () => {
    const draft = inferField('power', 'power', ['120.5', '130.1', '180.9']);
    const table = compileFields({ power: draft.spec });
    const result = validateValues(table, new Map([['power', '181.5']]));
    assert.deepEqual(result.rejected, []);
  });

  it('units and classes only when the key names them', () => {
    assert.equal(keyHint('temp')?.hint.unit, '°C');
    assert.equal(keyHint('env.temp2')?.hint.device_class, 'temperature');
    assert.equal(keyHint('out_hum')?.hint.unit, '%');
    assert.equal(keyHint('temp_hum'), undefined, 'two quantities named: no guess');
    assert.equal(keyHint('battery'), undefined, 'volts or percent: no guess');
    assert.equal(keyHint('constructor'), undefined);
    const humidity = inferField('hum', 'hum', ['40.1', '41']);
    assert.deepEqual(humidity.spec, {
      type: 'number',
      min: 0,
      max: 100,
      unit: '%',
      device_class: 'humidity',
      state_class: 'measurement',
    });
    assert.match(humidity.notes.join('\n'), /from the key's name \("hum"\)/);
    const energy = inferField('energy', 'energy', [1.5, 1.6]);
    assert.equal((energy.spec as { max?: number }).max, undefined, 'a counter has no max');
  });

  it('field names are topic levels, unique, keeping valid keys as they are', () => {
    assert.deepEqual(
      [...fieldNames(['temp', 'a b', 'a-b', 'x/y'])],
      [
        ['temp', 'temp'],
        ['a b', 'a-b'],
        ['a-b', 'a-b_2'],
        ['x/y', 'x-y'],
      ],
    );
  });
});
