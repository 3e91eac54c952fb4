// Fuzzing every parser of device input (docs/architecture.md: bad data is a value, never an
// exception; every buffer bounded): arbitrary strings and bytes never throw, and what
// comes out is bounded and well-formed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLineFramer } from '../../../src/framing/line.ts';
import type { FramerEvent } from '../../../src/framing/line.ts';
import { parseEnvelope } from '../../../src/line/envelope.ts';
import { decodeKv } from '../../../src/line/kv.ts';
import { decodeJson } from '../../../src/line/json.ts';
import { createCsvDecoder } from '../../../src/line/csv.ts';
import { decodeMySensors } from '../../../src/line/mysensors.ts';
import { createRegexDecoder } from '../../../src/line/regex.ts';
import { compileFields, validateValues } from '../../../src/pipeline/validate.ts';
import type { DecodeResult, Decoder, RawValue } from '../../../src/pipeline/types.ts';

const MAX_DETAIL = 200;

/** Text shaped like device lines plus arbitrary junk. */
const lineText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom(
      '=',
      ':',
      ',',
      ';',
      ' ',
      '\t',
      '{',
      '}',
      '[',
      ']',
      '"',
      '#',
      '*',
      '.',
      '1',
      'a',
      '_',
      '\0',
      '-',
      'e',
    ),
    maxLength: 120,
  }),
  fc.json({ maxDepth: 12 }),
  fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('utf8')),
);

const decoders: [string, Decoder][] = [
  ['kv', decodeKv],
  ['json', decodeJson],
  ['csv', createCsvDecoder(['a', 'b', 'c'], ',')],
  ['mysensors', decodeMySensors],
  ['regex', createRegexDecoder('(?<k>[a-z]+)=(?<v>\\d+)?')],
];

function assertWellFormed(r: DecodeResult, input: string): void {
  if (r.ok === true) {
    assert.ok(r.values instanceof Map);
    for (const [key, value] of r.values) {
      assert.equal(typeof key, 'string');
      assert.ok(value === null || ['string', 'number', 'boolean'].includes(typeof value));
    }
    // Bounded: a line cannot make more values than it has characters.
    assert.ok(r.values.size <= input.length);
  } else {
    assert.ok(r.detail.length <= MAX_DETAIL, r.detail);
    if (r.ok === false) assert.equal(r.reason, 'parse_error');
  }
}

for (const [name, decode] of decoders)
  test(`${name} decoder: arbitrary input never throws and gives a well-formed result`, () => {
    fc.assert(
      fc.property(lineText, (input) => assertWellFormed(decode(input), input)),
      { numRuns: 3000 },
    );
  });

test('envelope: arbitrary lines, all modes: never throws; body is part of the line; seq in range', () => {
  fc.assert(
    fc.property(
      lineText,
      fc.constantFrom('none', 'optional', 'required'),
      fc.boolean(),
      fc.constantFrom('', '#0 ', '#65535 ', '#12 ', '#99999 ', '#-1 '),
      (text, checksum, ack, prefix) => {
        const line = prefix + text;
        const r = parseEnvelope(line, { checksum, ack });
        if (r.seq !== null) assert.ok(Number.isInteger(r.seq) && r.seq >= 0 && r.seq <= 65535);
        if (r.ok) assert.ok(line.includes(r.body));
        else assert.ok(r.detail.length <= MAX_DETAIL, r.detail);
        if (!ack) assert.equal(r.seq, null);
      },
    ),
    { numRuns: 5000 },
  );
});

/** Byte streams heavy in newlines, CRs and invalid UTF-8, cut into arbitrary chunks. */
const byteStream = fc.array(
  fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.constantFrom(
      Buffer.from('\n'),
      Buffer.from('\r\n'),
      Buffer.from('\r'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('é'),
      Buffer.from('temp=1'),
    ),
  ),
  { maxLength: 30 },
);

test('framer: never throws, buffer ≤ maxBytes, lines ≤ maxBytes, one event per newline, chunking-independent', () => {
  fc.assert(
    fc.property(byteStream, fc.integer({ min: 1, max: 24 }), (chunks, maxBytes) => {
      const framer = createLineFramer({ maxBytes });
      const events: FramerEvent[] = [];
      for (const chunk of chunks) {
        events.push(...framer.push(Buffer.from(chunk)));
        assert.ok(framer.pending() <= maxBytes);
      }
      const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
      const newlines = all.filter((b) => b === 0x0a).length;
      assert.equal(events.length, newlines);
      for (const e of events) {
        if (e.kind === 'line') {
          assert.ok(Buffer.byteLength(e.text, 'utf8') <= maxBytes);
          assert.ok(e.text.length > 0 && !e.text.includes('\n'));
        } else assert.ok(e.bytes >= 0);
      }
      // The same bytes in one chunk give the same events.
      assert.deepEqual(createLineFramer({ maxBytes }).push(all), events);
    }),
    { numRuns: 3000 },
  );
});

test('validate: arbitrary raw values never throw; accepted values honour their schema', () => {
  const table = compileFields({
    n: { type: 'number', min: -40, max: 85 },
    i: { type: 'integer', min: 0, max: 100 },
    b: { type: 'boolean' },
    s: { type: 'string', max_length: 5, pattern: '^[a-z]*$' },
    e: { type: 'enum', values: ['on', 'off'] },
  });
  const raw: fc.Arbitrary<RawValue> = fc.oneof(
    lineText,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('1e3', '-40', '85', '85.0001', 'NaN', 'Infinity', '0x10', 'on', 'YES', ''),
  );
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom('n', 'i', 'b', 's', 'e', 'x', '__proto__'), raw), (dict) => {
      const values = new Map(Object.entries(dict));
      const r = validateValues(table, values);
      const n = r.values.get('n');
      if (n !== undefined) assert.ok(typeof n === 'number' && Number.isFinite(n) && n >= -40 && n <= 85);
      const i = r.values.get('i');
      if (i !== undefined) assert.ok(typeof i === 'number' && Number.isInteger(i) && i >= 0 && i <= 100);
      const b = r.values.get('b');
      if (b !== undefined) assert.equal(typeof b, 'boolean');
      const s = r.values.get('s');
      if (s !== undefined) assert.ok(typeof s === 'string' && /^[a-z]{0,5}$/.test(s));
      const e = r.values.get('e');
      if (e !== undefined) assert.ok(e === 'on' || e === 'off');
      for (const rej of r.rejected) assert.ok(rej.reason.length <= MAX_DETAIL);
      assert.equal(
        r.values.size + r.rejected.length + r.unknownKeys.length + countNulls(values),
        values.size,
      );
    }),
    { numRuns: 3000 },
  );
});

function countNulls(values: Map<string, RawValue>): number {
  let n = 0;
  for (const [key, v] of values) if (v === null && key !== 'x' && key !== '__proto__') n++;
  return n;
}
