// Each transform step of src/pipeline/transform.ts, its refusals, and the trace a `try`
// command would show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TransformStep } from '../../../src/config/schema.ts';
import { applyTransforms, compileTransforms, traceTransforms } from '../../../src/pipeline/transform.ts';
import type { FieldValue } from '../../../src/pipeline/types.ts';

function run(steps: TransformStep[], value: FieldValue): FieldValue | string {
  const r = applyTransforms(compileTransforms(steps), value);
  return r.ok ? r.value : `refused: ${r.reason}`;
}

test('scale multiplies and offset adds, without binary noise', () => {
  assert.equal(run([{ op: 'scale', by: 0.1 }], 215), 21.5);
  assert.equal(run([{ op: 'scale', by: 0.1 }], 3), 0.3); // not 0.30000000000000004
  assert.equal(run([{ op: 'offset', by: -2.5 }], 20), 17.5);
  assert.equal(run([{ op: 'offset', by: 0.2 }], 0.1), 0.3);
  assert.match(
    String(run([{ op: 'scale', by: 1e300 }], 1e10)),
    /^refused: 10000000000 is out of range after scale 1e\+300$/,
  );
});

test('round keeps 0..10 decimals, half away from zero, on the decimal value', () => {
  assert.equal(run([{ op: 'round', decimals: 0 }], 2.5), 3);
  assert.equal(run([{ op: 'round', decimals: 0 }], -2.5), -3);
  assert.equal(run([{ op: 'round', decimals: 2 }], 1.005), 1.01);
  assert.equal(run([{ op: 'round', decimals: 1 }], 21.449), 21.4);
  assert.equal(run([{ op: 'round', decimals: 10 }], 0.12345678901234), 0.123456789);
  assert.equal(run([{ op: 'round', decimals: 3 }], 1e300), 1e300);
  assert.ok(Object.is(run([{ op: 'round', decimals: 0 }], -0.2), 0)); // never -0
});

test('clamp bounds the value', () => {
  const clamp: TransformStep[] = [{ op: 'clamp', min: 0, max: 100 }];
  assert.equal(run(clamp, -3), 0);
  assert.equal(run(clamp, 103.5), 100);
  assert.equal(run(clamp, 42), 42);
});

test('invert negates a boolean', () => {
  assert.equal(run([{ op: 'invert' }], true), false);
  assert.equal(run([{ op: 'invert' }, { op: 'invert' }], false), false);
});

test('map: numbers by value, text exactly, booleans as true/false; an unmapped value is refused', () => {
  const numeric: TransformStep[] = [{ op: 'map', table: { '0': 'off', '1.0': 'low', '2': 'high' } }];
  assert.equal(run(numeric, 1), 'low');
  assert.equal(run(numeric, 0), 'off');
  assert.equal(run(numeric, 3), 'refused: 3 is not mapped by transform step 1 (map: 0, 2, 1.0)');
  const text: TransformStep[] = [{ op: 'map', table: { OPEN: 'open' } }];
  assert.equal(run(text, 'OPEN'), 'open');
  assert.equal(run(text, 'open'), 'refused: "open" is not mapped by transform step 1 (map: OPEN)');
  assert.equal(run([{ op: 'map', table: { true: 'on', false: 'off' } }], false), 'off');
});

test('convert: temperature, pressure, length, mass, speed, energy', () => {
  const c = (from: string, to: string, v: number): FieldValue | string =>
    run([{ op: 'convert', from, to }], v);
  assert.equal(c('°F', '°C', 70.7), 21.5);
  assert.equal(c('°C', '°F', 100), 212);
  assert.equal(c('K', '°C', 273.15), 0);
  assert.equal(c('hPa', 'Pa', 1013.25), 101_325);
  assert.equal(c('bar', 'kPa', 1), 100);
  assert.equal(c('in', 'mm', 1), 25.4);
  assert.equal(c('ft', 'm', 10), 3.048);
  assert.equal(c('lb', 'kg', 1), 0.45359237);
  assert.equal(c('km/h', 'm/s', 36), 10);
  assert.equal(c('kn', 'km/h', 1), 1.852);
  assert.equal(c('kWh', 'J', 1), 3_600_000);
  assert.equal(c('Wh', 'kWh', 1500), 1.5);
  assert.throws(
    () => compileTransforms([{ op: 'convert', from: 'kg', to: 'm' }]),
    /cannot convert "kg" \(mass\) to "m" \(length\)/,
  );
});

test('a trace shows every intermediate value, up to a refusal', () => {
  const chain = compileTransforms([
    { op: 'scale', by: 0.1 },
    { op: 'convert', from: '°F', to: '°C' },
    { op: 'round', decimals: 1 },
  ]);
  assert.deepEqual(traceTransforms(chain, 707), {
    steps: [
      { step: 'parsed', value: 707 },
      { step: 'scale 0.1', value: 70.7 },
      { step: 'convert °F → °C', value: 21.5 },
      { step: 'round 1', value: 21.5 },
    ],
    result: { ok: true, value: 21.5 },
  });
  const refusing = compileTransforms([
    { op: 'offset', by: 1 },
    { op: 'map', table: { '1': 'a' } },
  ]);
  const t = traceTransforms(refusing, 5);
  assert.deepEqual(t.steps, [
    { step: 'parsed', value: 5 },
    { step: 'offset 1', value: 6 },
  ]);
  assert.equal(t.result.ok, false);
});
