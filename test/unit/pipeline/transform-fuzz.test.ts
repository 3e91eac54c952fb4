// Properties of the number grammars (src/pipeline/number-format.ts) and of transform
// evaluation (src/pipeline/transform.ts): device input never makes them throw, what they
// accept is what the grammar describes, and a transform list honours its last step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TransformStep } from '../../../src/config/schema.ts';
import { conversion, UNIT_NAMES, unitKind } from '../../../src/config/physical-units.ts';
import { parseNumberText } from '../../../src/pipeline/number-format.ts';
import type { NumberFormat } from '../../../src/pipeline/number-format.ts';
import { applyTransforms, compileTransforms, traceTransforms } from '../../../src/pipeline/transform.ts';
import { compileFields, validateValues } from '../../../src/pipeline/validate.ts';

const FORMATS: NumberFormat[] = ['strict', 'lenient', 'decimal_comma'];

/** Number-shaped text and junk: the characters the grammars care about, plus anything. */
const numberish = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({
    unit: fc.constantFrom(
      '1',
      '2',
      '0',
      '9',
      '.',
      ',',
      '+',
      '-',
      ' ',
      '\t',
      'e',
      'E',
      'k',
      'g',
      '°',
      '%',
      '/',
      'x',
    ),
    maxLength: 40,
  }),
);

test('number grammars: arbitrary text never throws; a value read is finite; a unit word is short and blank-free', () => {
  fc.assert(
    fc.property(numberish, fc.constantFrom(...FORMATS), fc.boolean(), (text, format, integer) => {
      const r = parseNumberText(text, format, integer);
      if (r.ok) {
        assert.ok(Number.isFinite(r.value));
        if (r.unit !== null) {
          assert.ok(r.unit.length >= 1 && r.unit.length <= 16);
          assert.ok(!/[\s0-9+\-.,]/.test(r.unit), r.unit);
          assert.equal(format === 'strict', false);
        }
      } else assert.ok(r.reason.length <= 120, r.reason);
    }),
    { numRuns: 5000 },
  );
});

test('lenient reads everything strict reads, with the same value', () => {
  fc.assert(
    fc.property(numberish, (text) => {
      const strict = parseNumberText(text, 'strict', false);
      if (strict.ok) assert.deepEqual(parseNumberText(text, 'lenient', false), strict);
    }),
    { numRuns: 5000 },
  );
});

/** `1234567` → `1,234,567` with the given separator. */
function grouped(digits: string, separator: string): string {
  return digits.replace(/\B(?=(\d{3})+$)/g, separator);
}

test('lenient and decimal_comma read back what a device prints: sign, padding, separators, unit', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 10n ** 15n }),
      fc.stringMatching(/^[0-9]{0,3}$/),
      fc.constantFrom('', '+', '-'),
      fc.constantFrom('', ' ', '  ', '\t'),
      fc.boolean(),
      fc.constantFrom('', 'kg', ' kg', ' °C', '%'),
      (whole, fraction, sign, pad, separators, unit) => {
        const digits = whole.toString();
        const expected = Number(`${sign === '-' ? '-' : ''}${digits}.${fraction === '' ? '0' : fraction}`);
        for (const [format, group, point] of [
          ['lenient', ',', '.'],
          ['decimal_comma', '.', ','],
        ] as const) {
          const text = `${pad}${sign}${sign === '' ? '' : pad}${separators ? grouped(digits, group) : digits}${fraction === '' ? '' : point + fraction}${unit}`;
          const r = parseNumberText(text, format, false);
          assert.ok(r.ok, `${format} ${JSON.stringify(text)}: ${r.ok ? '' : r.reason}`);
          assert.equal(r.value, expected, text);
          assert.equal(r.unit, unit === '' ? null : unit.trim());
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('lenient refuses a thousands group that is not three digits', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 999 }), fc.stringMatching(/^[0-9]{1,6}$/), (head, group) => {
      fc.pre(group.length !== 3);
      assert.equal(parseNumberText(`${head},${group}`, 'lenient', false).ok, false);
    }),
  );
});

/** Numeric steps, conversions drawn within one kind so the list is one the schema accepts. */
const numericStep: fc.Arbitrary<TransformStep> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((by): TransformStep => ({ op: 'scale', by })),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((by): TransformStep => ({ op: 'offset', by })),
  fc.integer({ min: 0, max: 10 }).map((decimals): TransformStep => ({ op: 'round', decimals })),
  fc
    .tuple(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    )
    .map(([a, b]): TransformStep => ({ op: 'clamp', min: Math.min(a, b), max: Math.max(a, b) })),
  fc
    .tuple(fc.constantFrom(...UNIT_NAMES), fc.constantFrom(...UNIT_NAMES))
    .filter(([a, b]) => unitKind(a) === unitKind(b))
    .map(([from, to]): TransformStep => ({ op: 'convert', from, to })),
  fc
    .dictionary(
      fc.integer({ min: -5, max: 5 }).map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      {
        minKeys: 1,
      },
    )
    .map((table): TransformStep => ({ op: 'map', table })),
);

test('transforms: any valid numeric list on any finite value never throws; the trace agrees with the result', () => {
  fc.assert(
    fc.property(
      fc.array(numericStep, { maxLength: 16 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      (steps, value) => {
        const chain = compileTransforms(steps);
        const r = applyTransforms(chain, value);
        const t = traceTransforms(chain, value);
        assert.deepEqual(t.result, r);
        if (r.ok) {
          assert.equal(typeof r.value, 'number');
          assert.ok(Number.isFinite(r.value));
          assert.equal(t.steps.length, steps.length + 1);
          assert.equal(t.steps.at(-1)?.value, r.value);
          const last = steps.at(-1);
          const v = r.value as number;
          if (last?.op === 'clamp') assert.ok(v >= last.min && v <= last.max);
          if (last?.op === 'round' && Math.abs(v) < 1e15) assert.equal(Number(v.toFixed(last.decimals)), v);
        } else {
          assert.ok(t.steps.length <= steps.length);
          assert.ok(r.reason.length <= 200, r.reason);
        }
      },
    ),
    { numRuns: 3000 },
  );
});

test('converting there and back returns the value (within 1e-9)', () => {
  fc.assert(
    fc.property(
      fc
        .constantFrom(...UNIT_NAMES)
        .chain((a) =>
          fc.tuple(fc.constant(a), fc.constantFrom(...UNIT_NAMES.filter((b) => unitKind(b) === unitKind(a)))),
        ),
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      ([a, b], value) => {
        const there = conversion(a, b);
        const back = conversion(b, a);
        assert.ok(there.ok && back.ok);
        const round =
          (value * there.conversion.factor + there.conversion.offset) * back.conversion.factor +
          back.conversion.offset;
        assert.ok(
          Math.abs(round - value) <= 1e-9 * Math.max(1, Math.abs(value)),
          `${a} → ${b}: ${value} → ${round}`,
        );
      },
    ),
  );
});

test('validate: fields with number formats and transforms never throw on arbitrary values and honour their checks', () => {
  const table = compileFields({
    w: {
      type: 'number',
      unit: 'kg',
      min: 0,
      max: 150,
      number_format: 'lenient',
      transform: [
        { op: 'convert', from: 'lb', to: 'kg' },
        { op: 'round', decimals: 2 },
      ],
    },
    i: {
      type: 'integer',
      min: -10,
      max: 10,
      number_format: 'decimal_comma',
      transform: [{ op: 'scale', by: 0.5 }],
    },
    s: {
      type: 'enum',
      values: ['idle', 'busy'],
      transform: [{ op: 'map', table: { '0': 'idle', '1': 'busy', '2': 'x' } }],
    },
    b: { type: 'boolean', transform: [{ op: 'invert' }] },
  });
  const raw = fc.oneof(numberish, fc.double(), fc.integer(), fc.boolean(), fc.constant(null));
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom('w', 'i', 's', 'b', 'x'), raw), (dict) => {
      const r = validateValues(table, new Map(Object.entries(dict)));
      const w = r.values.get('w');
      if (w !== undefined) assert.ok(typeof w === 'number' && w >= 0 && w <= 150);
      const i = r.values.get('i');
      if (i !== undefined) assert.ok(Number.isInteger(i) && (i as number) >= -10 && (i as number) <= 10);
      const s = r.values.get('s');
      if (s !== undefined) assert.ok(s === 'idle' || s === 'busy');
      const b = r.values.get('b');
      if (b !== undefined) assert.equal(typeof b, 'boolean');
      for (const rej of r.rejected) assert.ok(rej.reason.length <= 200, rej.reason);
    }),
    { numRuns: 3000 },
  );
});
