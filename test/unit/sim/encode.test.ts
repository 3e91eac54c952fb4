import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { profileSchema, type DeviceProfile } from '../../../src/config/schema.ts';
import { createDecoder } from '../../../src/line/decoder.ts';
import { parseEnvelope } from '../../../src/line/envelope.ts';
import { compileFields, validateValues } from '../../../src/pipeline/validate.ts';
import { encodeBodies, encodeLine, nextSeq, wrapEnvelope } from '../../../src/sim/encode.ts';
import { createValueGenerator, type SimValue } from '../../../src/sim/values.ts';

function profileOf(input: Record<string, unknown>): DeviceProfile {
  return profileSchema.parse({ id: 'test', ...input });
}

const kv = profileOf({
  line: { format: 'kv' },
  fields: { temperature: { key: 'temp', type: 'number' }, humidity: { key: 'hum', type: 'number' } },
});
const values = new Map<string, SimValue>([
  ['temp', 23.5],
  ['hum', 40.2],
]);

/** The checksum by the letter of docs/contract.md §4.1: XOR of the bytes before '*'. */
function referenceXor(text: string): string {
  let x = 0;
  for (const b of Buffer.from(text)) x ^= b;
  return x.toString(16).toUpperCase().padStart(2, '0');
}

void describe('nextSeq', () => {
  void it('goes 0 → 1 → … → 65535 → 1, never back to 0', () => {
    assert.equal(nextSeq(0), 1);
    assert.equal(nextSeq(41), 42);
    assert.equal(nextSeq(65534), 65535);
    assert.equal(nextSeq(65535), 1);
  });
});

void describe('encodeLine', () => {
  void it('kv: key=value joined by commas', () => {
    assert.equal(encodeLine(kv, values), 'temp=23.5,hum=40.2');
  });

  void it('kv with checksum: *HH over the body', () => {
    const p = profileOf({ ...kv, line: { format: 'kv', checksum: 'optional' } });
    assert.equal(encodeLine(p, values), 'temp=23.5,hum=40.2*52');
  });

  void it('ack + checksum: #<seq> prefix, checksum over the prefix too', () => {
    const p = profileOf({ ...kv, line: { format: 'kv', checksum: 'required', ack: true } });
    const line = encodeLine(p, values, { seq: 7 });
    assert.equal(line, `#7 temp=23.5,hum=40.2*${referenceXor('#7 temp=23.5,hum=40.2')}`);
  });

  void it('ack without a seq is a programming error', () => {
    const p = profileOf({ ...kv, line: { format: 'kv', ack: true } });
    assert.throws(() => encodeLine(p, values), RangeError);
    assert.throws(() => wrapEnvelope('x', p.line!, 65536), RangeError);
  });

  void it('json: one object, JSON scalars', () => {
    const p = profileOf({
      line: { format: 'json' },
      fields: { a: { type: 'number' }, on: { type: 'boolean' } },
    });
    const v = new Map<string, SimValue>([
      ['a', 1.5],
      ['on', true],
    ]);
    assert.equal(encodeLine(p, v), '{"a":1.5,"on":true}');
  });

  void it("csv: the profile's columns in order, its delimiter, empty for a missing value", () => {
    const p = profileOf({
      line: { format: 'csv', columns: ['b', 'a', 'c'], delimiter: ';' },
      fields: { a: { type: 'number' }, b: { type: 'integer' }, c: { type: 'string' } },
    });
    const v = new Map<string, SimValue>([
      ['a', 1.5],
      ['b', 2],
    ]);
    assert.equal(encodeLine(p, v), '2;1.5;');
  });

  void it('mysensors: one set line per value, node from the options, booleans as 1/0', () => {
    const p = profileOf({
      line: { format: 'mysensors' },
      fields: {
        temperature: { key: '1/V_TEMP', type: 'number' },
        light: { key: '3/V_STATUS', type: 'boolean' },
        custom: { key: '4/77', type: 'integer' },
      },
    });
    const v = new Map<string, SimValue>([
      ['1/V_TEMP', 21.5],
      ['3/V_STATUS', true],
      ['4/77', 5],
    ]);
    assert.deepEqual(encodeBodies(p, v, { nodeId: 12 }), [
      '12;1;1;0;0;21.5',
      '12;3;1;0;2;1',
      '12;4;1;0;77;5',
    ]);
    assert.equal(encodeLine(p, v), '1;1;1;0;0;21.5\n1;3;1;0;2;1\n1;4;1;0;77;5');
  });

  void it('mysensors with ack: consecutive seqs, one per line', () => {
    const p = profileOf({
      line: { format: 'mysensors', ack: true },
      fields: { t: { key: '1/V_TEMP', type: 'number' }, h: { key: '2/V_HUM', type: 'number' } },
    });
    const v = new Map<string, SimValue>([
      ['1/V_TEMP', 1],
      ['2/V_HUM', 2],
    ]);
    assert.equal(encodeLine(p, v, { seq: 65535 }), '#65535 1;1;1;0;0;1\n#1 1;2;1;0;1;2');
  });

  void it('refuses what cannot be simulated, with a clear message', () => {
    const regex = profileOf({
      line: { format: 'regex', pattern: '(?<t>\\d+)' },
      fields: { t: { type: 'number' } },
    });
    assert.throws(() => encodeLine(regex, new Map()), /regex profiles cannot be simulated/);
    const mqttsn = profileOf({ protocol: 'mqttsn' });
    assert.throws(() => encodeLine(mqttsn, new Map()), /only line devices/);
    const badKey = profileOf({
      line: { format: 'mysensors' },
      fields: { t: { key: '1/V_NOPE', type: 'number' } },
    });
    assert.throws(() => encodeLine(badKey, new Map([['1/V_NOPE', 1]])), /V_NOPE/);
  });
});

// The simulator and the gateway must agree: whatever the simulator prints for a shipped
// profile goes through the gateway's envelope, decoder and validation without a loss. The
// shipped mysensors-gateway profile has no fixed fields (its nodes present their children,
// sim-device.test.ts); its copy with fixed fields (test/fixtures/mysensors-fixed) stands in.
void describe('round trip through the gateway decoders, every shipped profile', () => {
  const devices = join(import.meta.dirname, '..', '..', '..', 'devices');
  const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'mysensors-fixed');
  for (const [id, dir] of [
    ['climate', devices],
    ['power-meter', devices],
    ['mysensors-fixed', fixtures],
    ['soil-csv', devices],
  ] as const) {
    void it(id, () => {
      const profile = profileSchema.parse(parse(readFileSync(join(dir, id, 'profile.yaml'), 'utf8')));
      const line = profile.line!;
      const decode = createDecoder(line);
      const table = compileFields(profile.fields);
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 0, max: 65535 }), (seed, seq) => {
          let s = seed;
          const rng = (): number => ((s = (Math.imul(s, 1103515245) + 12345) | 0) >>> 0) / 4294967296;
          const next = createValueGenerator(profile, rng);
          for (let i = 0; i < 20; i++) {
            const reading = next();
            const got = new Map<string, unknown>();
            for (const text of encodeLine(profile, reading, { seq, nodeId: 12 }).split('\n')) {
              const envelope = parseEnvelope(text, line);
              assert.ok(envelope.ok, `${text}: ${envelope.ok ? '' : envelope.detail}`);
              if (line.ack) assert.equal(envelope.seq, seq);
              const decoded = decode(envelope.body);
              assert.equal(decoded.ok, true, `${text}: ${JSON.stringify(decoded)}`);
              if (decoded.ok !== true) return;
              if (line.format === 'mysensors') assert.deepEqual(decoded.levels, { node: '12' });
              const result = validateValues(table, decoded.values);
              assert.deepEqual(result.rejected, [], text);
              assert.deepEqual(result.unknownKeys, [], text);
              for (const [k, v] of result.values) got.set(k, v);
              seq = line.format === 'mysensors' && line.ack ? nextSeq(seq) : seq;
            }
            assert.deepEqual([...got.keys()].sort(), Object.keys(profile.fields).sort());
          }
        }),
        { numRuns: 50 },
      );
    });
  }
});
