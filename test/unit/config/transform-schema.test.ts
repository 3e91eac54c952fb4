// A profile's transform:, number_format:, ignore: and unknown_keys: as `check` reports them:
// every problem with FILE:LINE:COL and the key path (src/config/transform-schema.ts, schema.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfileById } from '../../../src/config/profiles.ts';
import { ConfigError } from '../../../src/errors.ts';

/** The problem lines for a profile `p` written as `yaml`, or the loaded profile. */
async function load(yaml: string): Promise<string[] | Awaited<ReturnType<typeof loadProfileById>>> {
  const dir = await mkdtemp(join(tmpdir(), 'tty2mqtt-transform-'));
  try {
    await mkdir(join(dir, 'p'));
    await writeFile(join(dir, 'p', 'profile.yaml'), yaml);
    return await loadProfileById('p', [dir], dir);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message.split('\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function problems(yaml: string): Promise<string[]> {
  const r = await load(yaml);
  assert.ok(Array.isArray(r), 'the profile loaded, but problems were expected');
  return r;
}

const HEAD = 'id: p\nprotocol: line\nline: { format: kv }\nfields:\n';

test('a transform that does not fit the field, a bad map, a broken unit chain: each with its position', async () => {
  assert.deepEqual(
    await problems(
      `${HEAD}  name: { type: string, transform: [{ scale: 2 }] }
  temp:
    type: number
    unit: "°C"
    transform:
      - convert: { from: "°F", to: K }
      - convert: { from: "°C", to: K }
  state: { type: enum, values: [a, b], transform: [{ map: { x: a, y: c } }] }
  hot: { type: boolean, transform: [invert, { map: { yes: true } }] }
  n: { type: number, transform: [{ map: { one: 1, "1": x } }] }
`,
    ),
    [
      'p/profile.yaml:5:46: fields.name.transform[0].scale: scale does not fit a string field (it is for number, integer fields)',
      'p/profile.yaml:8:11: fields.temp.unit: is "°C" but the transforms convert to "K"',
      'p/profile.yaml:11:26: fields.temp.transform[1].convert.from: converts from "°C" but the value is in "K" after the previous convert',
      'p/profile.yaml:12:70: fields.state.transform[0].map.y: maps to "c", which is not one of the field\'s values (a, b)',
      'p/profile.yaml:13:59: fields.hot.transform[1].map.yes: key "yes" must be true or false',
      'p/profile.yaml:14:48: fields.n.transform[0].map.one: key "one" is not a number',
      'p/profile.yaml:14:56: fields.n.transform[0].map["1"]: maps to "x", but a number field needs a number',
    ],
  );
});

test('unknown units and kinds that differ are refused at load time, with a did-you-mean', async () => {
  assert.deepEqual(
    await problems(
      `${HEAD}  t: { type: number, transform: [{ sacle: 3 }, { convert: { from: F, to: "°C" } }, { convert: { from: kg, to: m } }] }
`,
    ),
    [
      'p/profile.yaml:5:36: fields.t.transform[0].sacle: unknown key "sacle" (did you mean "scale"?)',
      'p/profile.yaml:5:67: fields.t.transform[1].convert.from: unknown unit "F" (did you mean "°F"?)',
      'p/profile.yaml:5:111: fields.t.transform[2].convert.to: cannot convert "kg" (mass) to "m" (length)',
    ],
  );
});

test('at most 16 steps, one key per step, round 0..10, clamp in order', async () => {
  const seventeen = Array.from({ length: 17 }, () => '{ scale: 1 }').join(', ');
  assert.deepEqual(
    await problems(
      `${HEAD}  a: { type: number, transform: [${seventeen}] }
  b: { type: number, transform: [{ scale: 1, offset: 2 }, { round: 11 }, { clamp: [5, 1] }] }
`,
    ),
    [
      'p/profile.yaml:5:33: fields.a.transform: must have at most 16 entries',
      'p/profile.yaml:6:34: fields.b.transform[0]: has scale, offset: one step per list entry (each is one of scale, offset, round, map, invert, clamp, convert)',
      'p/profile.yaml:6:68: fields.b.transform[1].round: must be at most 10, got 11',
      'p/profile.yaml:6:83: fields.b.transform[2].clamp: needs [min, max] with min ≤ max',
    ],
  );
});

test('an empty step, a bare word other than invert, a number', async () => {
  assert.deepEqual(await problems(`${HEAD}  t: { type: boolean, transform: [{}, invrt, 7] }\n`), [
    'p/profile.yaml:5:35: fields.t.transform[0]: is empty; a step is one of scale, offset, round, map, invert, clamp, convert',
    'p/profile.yaml:5:39: fields.t.transform[1]: "invrt" is not a step: the one bare word is invert, the others are mappings such as { scale: 0.1 } (did you mean "invert"?)',
    'p/profile.yaml:5:46: fields.t.transform[2]: expected a mapping, got 7',
  ]);
});

test('number_format only on numbers; ignore: and unknown_keys: checked against the fields', async () => {
  assert.deepEqual(
    await problems(
      `id: p
protocol: line
line: { format: csv, columns: [t, rssi] }
fields:
  t: { type: number }
  s: { type: string, number_format: lenient }
ignore: [t, rsi]
unknown_keys: nope
`,
    ),
    [
      'p/profile.yaml:6:22: fields.s.number_format: unknown key "number_format"',
      'p/profile.yaml:8:15: unknown_keys: expected one of "ignore", "count", "reject", got "nope"',
    ],
  );
  assert.deepEqual(
    await problems(
      `id: p
protocol: line
line: { format: csv, columns: [t, rssi] }
fields:
  t: { type: number, number_format: lenient }
ignore: [t, rsi]
unknown_keys: reject
`,
    ),
    [
      'p/profile.yaml:6:10: ignore[0]: "t" is the wire key of field t; a key is either read or ignored',
      'p/profile.yaml:6:13: ignore[1]: "rsi" is not one of line.columns (t, rssi)',
    ],
  );
});

test('a valid profile keeps its steps, tagged, in order', async () => {
  const r = await load(
    `${HEAD}  t:
    type: number
    unit: "°C"
    number_format: lenient
    transform: [{ scale: 0.1 }, { convert: { from: "°F", to: "°C" } }, { round: 1 }, { clamp: [-40, 85] }]
  on: { type: boolean, transform: [invert] }
ignore: [rssi]
unknown_keys: reject
`,
  );
  assert.ok(!Array.isArray(r), 'the profile should load');
  assert.deepEqual(r.fields['t']?.transform, [
    { op: 'scale', by: 0.1 },
    { op: 'convert', from: '°F', to: '°C' },
    { op: 'round', decimals: 1 },
    { op: 'clamp', min: -40, max: 85 },
  ]);
  assert.deepEqual(r.fields['on']?.transform, [{ op: 'invert' }]);
  assert.deepEqual(r.ignore, ['rssi']);
  assert.equal(r.unknown_keys, 'reject');
});

test('MQTT-SN profiles refuse transforms, number formats and the unknown-key keys: payloads are published as sent', async () => {
  assert.deepEqual(
    await problems(
      `id: p
protocol: mqttsn
mqttsn: { framing: raw }
fields:
  t: { type: number, number_format: lenient, transform: [{ scale: 0.1 }] }
ignore: [x]
unknown_keys: reject
`,
    ),
    [
      'p/profile.yaml:5:37: fields.t.number_format: is only for protocol: line (MQTT-SN payloads are published as sent)',
      'p/profile.yaml:5:57: fields.t.transform: is only for protocol: line (MQTT-SN payloads are published as sent)',
      'p/profile.yaml:6:9: ignore: is only for protocol: line (MQTT-SN profiles have mqttsn.undeclared_topics)',
      'p/profile.yaml:7:15: unknown_keys: is only for protocol: line (MQTT-SN profiles have mqttsn.undeclared_topics)',
    ],
  );
});
