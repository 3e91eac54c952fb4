import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMapper } from '../../../src/pipeline/map.ts';
import type { MapperOptions } from '../../../src/pipeline/map.ts';
import { gatewayOwnedNames } from '../../../src/topics/gateway-owned.ts';
import { compileTemplate } from '../../../src/topics/template.ts';
import type { FieldValue, Reading } from '../../../src/pipeline/types.ts';

function options(template: string, over: Partial<MapperOptions> = {}): MapperOptions {
  const compiled = compileTemplate(template);
  assert.ok(compiled.ok);
  return {
    base: 'iot/home1',
    gatewayId: 'pi',
    port: 'livingroom',
    portVars: { room: 'lounge' },
    profile: {
      publish: { mode: 'per_field', qos: 1, retain: true },
      fieldOrder: ['temperature', 'humidity', 'led'],
    },
    template: compiled.template,
    owned: gatewayOwnedNames(['led']),
    ...over,
  };
}

function reading(values: [string, FieldValue][], levels: Record<string, string> = {}): Reading {
  return { port: 'livingroom', values: new Map(values), levels, receivedAt: 1234 };
}

test('per_field: one message per field, in profile order, value as text', () => {
  const map = createMapper(options('{port}/{field}'));
  const r = map(
    reading([
      ['led', 'on'],
      ['temperature', 23.5],
      ['humidity', 40],
    ]),
  );
  assert.ok(r.ok);
  assert.deepEqual(
    r.messages.map((m) => [m.topic, m.payload.toString(), m.qos, m.retain, m.port, m.createdAt]),
    [
      ['iot/home1/livingroom/temperature', '23.5', 1, true, 'livingroom', 1234],
      ['iot/home1/livingroom/humidity', '40', 1, true, 'livingroom', 1234],
      ['iot/home1/livingroom/led', 'on', 1, true, 'livingroom', 1234],
    ],
  );
  const b = createMapper(
    options('{port}/{field}', {
      profile: { publish: { mode: 'per_field', qos: 0, retain: false }, fieldOrder: ['ok'] },
    }),
  )(reading([['ok', false]]));
  assert.ok(b.ok);
  assert.equal(b.messages[0]?.payload.toString(), 'false');
  assert.equal(b.messages[0]?.qos, 0);
});

test('json: one message, members in profile order', () => {
  const map = createMapper(
    options('{port}', {
      profile: {
        publish: { mode: 'json', qos: 2, retain: false },
        fieldOrder: ['temperature', 'humidity', '__proto__'],
      },
    }),
  );
  const r = map(
    reading([
      ['__proto__', 'x'],
      ['humidity', 40],
      ['temperature', 23.5],
    ]),
  );
  assert.ok(r.ok);
  assert.equal(r.messages.length, 1);
  assert.equal(r.messages[0]?.topic, 'iot/home1/livingroom');
  assert.equal(r.messages[0]?.payload.toString(), '{"temperature":23.5,"humidity":40,"__proto__":"x"}');
  assert.equal(r.messages[0]?.qos, 2);
});

test('port vars, {gateway} and device levels fill the template; config wins over the device', () => {
  const map = createMapper(options('{port}/{gateway}/{room}/{node}/{field}'));
  const r = map(reading([['temperature', 1]], { node: '12', room: 'attic' }));
  assert.ok(r.ok);
  assert.equal(r.messages[0]?.topic, 'iot/home1/livingroom/pi/lounge/12/temperature');
});

test('a device level that breaks the one-level rule rejects the whole reading', () => {
  const map = createMapper(options('{port}/{node}/{field}'));
  for (const node of ['a/b', '+', '#', '$SYS', '', 'x\0']) {
    const r = map(reading([['temperature', 1]], { node }));
    assert.ok(!r.ok, node);
    assert.equal(r.reason, 'topic_rejected');
  }
  const missing = map(reading([['temperature', 1]]));
  assert.ok(!missing.ok);
});

test('json mode with {field} in the template is rejected, not guessed', () => {
  const map = createMapper(
    options('{port}/{field}', {
      profile: { publish: { mode: 'json', qos: 1, retain: true }, fieldOrder: ['a'] },
    }),
  );
  assert.equal(map(reading([['a', 1]])).ok, false);
});

test('an invalid base is a programming error', () => {
  assert.throws(() => createMapper(options('{port}', { base: 'a//b' })), TypeError);
});

test("a device-supplied level cannot reach the gateway's own names under the port", () => {
  // availability (retained, the gateway's), a command's set (the gateway would write it to
  // the device) and its result: refused, the whole reading with them.
  const single = createMapper(
    options('{port}/{node}', {
      profile: { publish: { mode: 'json', qos: 1, retain: true }, fieldOrder: ['temperature'] },
    }),
  );
  const spoof = single(reading([['temperature', 21]], { node: 'availability' }));
  assert.deepEqual(spoof, {
    ok: false,
    reason: 'topic_rejected',
    detail: '"availability" is published by the gateway itself',
  });
  const two = createMapper(
    options('{port}/{node}/{field}', {
      profile: {
        publish: { mode: 'per_field', qos: 1, retain: true },
        fieldOrder: ['set', 'result', 'other'],
      },
    }),
  );
  for (const field of ['set', 'result']) {
    const r = two(reading([[field, 'on']], { node: 'led' }));
    assert.equal(r.ok, false, `led/${field}`);
  }
  const fine = two(reading([['other', 'on']], { node: 'led' }));
  assert.ok(fine.ok);
  assert.equal(fine.messages[0]?.topic, 'iot/home1/livingroom/led/other');
  // An undeclared command's set is just a topic.
  const other = two(reading([['set', 'on']], { node: 'pump' }));
  assert.ok(other.ok);
});
