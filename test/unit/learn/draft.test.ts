// learn/format.ts, learn/draft.ts and learn/profile-writer.ts: lines made from a random hidden
// schema are learned back to the same format and field names, and the draft they give is a
// valid profile; arbitrary bytes never throw anything but "nothing learned"; lines that fit
// no format are counted and named.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { profileSchema } from '../../../src/config/schema.ts';
import { ErrorCodes, isGatewayError } from '../../../src/errors.ts';
import { draftProfile, unfitSummary } from '../../../src/learn/draft.ts';
import { guessFormat } from '../../../src/learn/format.ts';
import { writeProfile } from '../../../src/learn/profile-writer.ts';
import { createSampler, type Sample } from '../../../src/learn/sample.ts';
import { formatEnvelope } from '../../../src/line/envelope.ts';
import { captureSimulator, shippedProfile } from '../../helpers/sim-capture.ts';

function sampleOf(text: string | Buffer): Sample {
  const sampler = createSampler({ keepFirstLine: true });
  sampler.push(Buffer.isBuffer(text) ? text : Buffer.from(text), null);
  return { ...sampler.result(), source: 'test', listenedMs: null };
}

function validDraft(sample: Sample): ReturnType<typeof draftProfile> {
  const draft = draftProfile(sample, 'learned');
  const text = writeProfile(draft, { schema: 'x.json', tryHint: 'tty2mqtt try x' });
  const parsed = profileSchema.safeParse(parse(text));
  assert.ok(parsed.success, `${text}\n${JSON.stringify(parsed.error?.issues)}`);
  return draft;
}

type Kind = 'integer' | 'number' | 'word';
const schemaArb = fc.uniqueArray(
  fc.record({
    key: fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/),
    kind: fc.constantFrom<Kind>('integer', 'number', 'word'),
  }),
  { minLength: 2, maxLength: 6, selector: (f) => f.key },
);
const valueArb = (kind: Kind): fc.Arbitrary<number | string> =>
  kind === 'integer'
    ? fc.integer({ min: -100_000, max: 100_000 })
    : kind === 'number'
      ? fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => Math.round(x * 100) / 100)
      : fc.stringMatching(/^[a-z]{1,8}$/);

const hidden = schemaArb.chain((schema) =>
  fc.record({
    schema: fc.constant(schema),
    format: fc.constantFrom('kv' as const, 'json' as const, 'csv' as const),
    checksum: fc.boolean(),
    rows: fc.array(fc.tuple(...schema.map((f) => valueArb(f.kind))), { minLength: 3, maxLength: 15 }),
  }),
);

describe('learn: format and draft', () => {
  it('lines from a random hidden schema give back its format and field names, and a valid profile', () => {
    fc.assert(
      fc.property(hidden, ({ schema, format, checksum, rows }) => {
        const keys = schema.map((f) => f.key);
        const bodies = rows.map((row) => {
          if (format === 'kv') return row.map((v, i) => `${keys[i]}=${v}`).join(',');
          if (format === 'json') return JSON.stringify(Object.fromEntries(row.map((v, i) => [keys[i], v])));
          return row.join(',');
        });
        if (format === 'csv') bodies.unshift(keys.join(','));
        const text = bodies.map((b) => `${formatEnvelope(b, { checksum })}\n`).join('');
        const draft = validDraft(sampleOf(text));
        assert.equal(draft.line.format, format);
        assert.deepEqual(
          draft.fields.map((f) => f.name),
          keys,
        );
        if (format === 'csv') assert.deepEqual(draft.line.columns, keys);
        assert.equal(draft.line.checksum, checksum ? 'required' : 'none');
        assert.equal(draft.accepted.length, rows.length);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes never throw anything but "nothing learned"; a draft made of them is valid', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
          fc
            .array(fc.string({ unit: 'binary', maxLength: 40 }), { maxLength: 20 })
            .map((ls) => Buffer.from(ls.join('\n'))),
        ),
        (bytes) => {
          try {
            validDraft(sampleOf(bytes));
          } catch (error) {
            if (!isGatewayError(error, ErrorCodes.NOTHING_LEARNED)) throw error;
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the stricter format wins a tie: mysensors over csv, json over kv', () => {
    assert.equal(guessFormat(['12;1;1;0;0;21.5', '12;2;1;0;1;40'])?.format, 'mysensors');
    assert.equal(guessFormat(['{"a":1}', '{"a":2}'])?.format, 'json');
    assert.equal(guessFormat(['a=1,b=2'])?.format, 'kv');
    assert.deepEqual(guessFormat(['1;2;3', '4;5;6'])?.columns, ['col1', 'col2', 'col3']);
  });

  it('lines that fit no format are counted and named, and never refuse the draft', () => {
    const draft = validDraft(sampleOf('booting...\ntemp=21.5,hum=40\ntemp=21.6,hum=41\nERR sensor\n'));
    assert.equal(draft.line.format, 'kv');
    assert.equal(
      unfitSummary(draft),
      '2 of 4 lines fit no format: "booting..." ("booting..." is not a key=value pair), "ERR sensor" ("ERR" is not a key=value pair)',
    );
  });

  it('no lines, binary data and prose are "nothing learned", with the reason', () => {
    const reasons = [
      Buffer.alloc(0),
      Buffer.from([0x0b, 0x0c, 0x01, 0x00, 0x01, 0xff, 0xfe, 0x0a]),
      Buffer.from('hello\nworld\n'),
      Buffer.from([0x09, 0x0a]), // a tab: two empty csv columns (found by the property below)
    ].map((bytes) => {
      try {
        draftProfile(sampleOf(bytes), 'x');
        return 'drafted';
      } catch (error) {
        assert.ok(isGatewayError(error, ErrorCodes.NOTHING_LEARNED));
        return error.message;
      }
    });
    assert.match(reasons[0] ?? '', /^no lines in test/);
    assert.match(reasons[1] ?? '', /binary data.*MQTT-SN/);
    assert.match(reasons[2] ?? '', /none of the 2 lines is kv, json, csv or mysensors/);
    assert.match(reasons[3] ?? '', /^the 1 lines of test look like csv but carry no value/);
  });

  it('device keys that are not topic levels keep their wire name in key:', () => {
    const draft = validDraft(sampleOf('{"a b":1,"x/y":"q"}\n{"a b":2,"x/y":"q"}\n'));
    assert.deepEqual(
      draft.fields.map((f) => [f.name, f.spec.key]),
      [
        ['a-b', 'a b'],
        ['x-y', 'x/y'],
      ],
    );
  });

  it('a device that waits for an ACK learn never sends: its resends are one reading, the interval unmeasured', async () => {
    const lines = await captureSimulator(await shippedProfile('power-meter'), { readings: 6, ack: false });
    const sample: Sample = {
      lines,
      discards: {},
      overflow: 0,
      bytes: 0,
      controlBytes: 0,
      source: 'tty',
      listenedMs: lines.at(-1)?.at ?? 0,
    };
    const draft = draftProfile(sample, 'meter');
    assert.equal(draft.line.ack, true);
    assert.equal(draft.interval, null);
    assert.match(draft.notes.join('\n'), /the device resent \d+ lines unchanged: it waits for an ACK/);
  });
});
