// Round trip: what a device encodes (kv / json / csv, with `#seq ` and `*HH`), cut into
// arbitrary serial reads, comes back through framer → envelope → decoder as the same values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLineFramer } from '../../../src/framing/line.ts';
import { formatEnvelope, parseEnvelope } from '../../../src/line/envelope.ts';
import { decodeKv } from '../../../src/line/kv.ts';
import { decodeJson } from '../../../src/line/json.ts';
import { createCsvDecoder } from '../../../src/line/csv.ts';
import type { Decoder, RawValue } from '../../../src/pipeline/types.ts';

const MAX_BYTES = 65536;
const opts = { checksum: 'required', ack: true } as const;

/** Sends `body` as a device would, split into reads at `cuts`; returns what the decoder gives. */
function roundTrip(
  body: string,
  seq: number,
  cuts: number[],
  crlf: boolean,
  decode: Decoder,
): ReadonlyMap<string, RawValue> {
  const wire = Buffer.from(
    `junk\n${formatEnvelope(body, { seq, checksum: true })}${crlf ? '\r\n' : '\n'}`,
    'utf8',
  );
  const framer = createLineFramer({ maxBytes: MAX_BYTES });
  const positions = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
  const events = [];
  let from = 0;
  for (const to of [...positions, wire.length]) {
    events.push(...framer.push(wire.subarray(from, to)));
    from = to;
  }
  assert.equal(events.length, 2);
  const [first, line] = events;
  assert.equal(first?.kind, 'discard');
  assert.ok(line?.kind === 'line', JSON.stringify(line));
  const envelope = parseEnvelope(line.text, opts);
  assert.ok(envelope.ok, JSON.stringify(envelope));
  assert.equal(envelope.seq, seq);
  const decoded = decode(envelope.body);
  assert.ok(decoded.ok === true, JSON.stringify(decoded));
  return decoded.values;
}

const seq = fc.integer({ min: 0, max: 65535 });
const cuts = fc.array(fc.nat(), { maxLength: 6 });

/** Characters a kv key or value may hold: anything but the separators (and `=`/`:` in keys). */
const kvChar = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter((c) => !/[,;\s=:]/.test(c));
const kvKey = fc.string({ unit: kvChar, minLength: 1, maxLength: 12 });
const kvValue = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.string({ unit: fc.oneof(kvChar, fc.constantFrom('=', ':')), maxLength: 12 }),
);
const separator = fc.constantFrom(',', ';', ' ', ', ', '; ', '\t');

test('kv round trip', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.tuple(kvKey, kvValue), { minLength: 1, maxLength: 8, selector: ([k]) => k }),
      separator,
      fc.constantFrom('=', ':'),
      seq,
      cuts,
      fc.boolean(),
      (pairs, sep, marker, s, c, crlf) => {
        const body = pairs.map(([k, v]) => `${k}${marker}${v}`).join(sep);
        assert.deepEqual([...roundTrip(body, s, c, crlf, decodeKv)], pairs);
      },
    ),
    { numRuns: 1000 },
  );
});

const jsonScalar = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ unit: 'grapheme', maxLength: 16 }),
);

test('json round trip', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(
        fc.tuple(
          fc.string({ unit: 'grapheme', maxLength: 10 }).filter((k) => !k.includes('.')),
          jsonScalar,
        ),
        {
          minLength: 1,
          maxLength: 8,
          selector: ([k]) => k,
        },
      ),
      seq,
      cuts,
      fc.boolean(),
      (members, s, c, crlf) => {
        // Built as text: a key may be `__proto__`.
        const body = `{${members.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
        // JSON.parse orders integer-like keys first; compare as sets of entries.
        const back = roundTrip(body, s, c, crlf, decodeJson);
        assert.equal(back.size, members.length);
        for (const [k, v] of members) assert.deepEqual(back.get(k), v, k);
      },
    ),
    { numRuns: 1000 },
  );
});

test('csv round trip', () => {
  const columns = ['a', 'b', 'c', 'd'];
  const decode = createCsvDecoder(columns, ',');
  const cell = fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 10 })
    .filter((v) => !v.includes(',') && v.trim() === v && v !== '');
  fc.assert(
    fc.property(
      fc.array(fc.option(cell, { nil: '' }), { minLength: 4, maxLength: 4 }),
      seq,
      cuts,
      fc.boolean(),
      (cells, s, c, crlf) => {
        const expected = columns.flatMap((col, i) => (cells[i] === '' ? [] : [[col, cells[i]]]));
        assert.deepEqual([...roundTrip(cells.join(','), s, c, crlf, decode)], expected);
      },
    ),
    { numRuns: 1000 },
  );
});
