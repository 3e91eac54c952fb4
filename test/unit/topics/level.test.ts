// The one-level rule (docs/contract.md §5) and its MQTT-SN variant (§4.2) in their one home:
// what each of the old copies accepted and refused, each still does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gatewayConfigSchema, profileSchema } from '../../../src/config/schema.ts';
import { confineFilter, confineName } from '../../../src/mqttsn/device-topics.ts';
import {
  areTopicLevels,
  isDeviceLevel,
  isTopicLevel,
  LEVEL_PATTERN,
  toTopicLevel,
} from '../../../src/topics/level.ts';

const REFUSED = ['', 'x'.repeat(65), 'a/b', '+', '#', 'a+', '$SYS', 'a\0', 'a\n', 'é', ' a', '{x}'];

test('isTopicLevel accepts . and .. like every other level of A-Z a-z 0-9 _ . -', () => {
  for (const ok of ['a', 'node-12', 'a_b.c', 'x'.repeat(64), '.', '..', '...'])
    assert.ok(isTopicLevel(ok), ok);
  for (const bad of REFUSED) assert.ok(!isTopicLevel(bad), JSON.stringify(bad));
});

test('isDeviceLevel is isTopicLevel without . and ..', () => {
  for (const s of ['.', '..']) assert.ok(isTopicLevel(s) && !isDeviceLevel(s), s);
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/)), (s) => {
      assert.equal(isDeviceLevel(s), isTopicLevel(s) && s !== '.' && s !== '..');
    }),
  );
});

test('areTopicLevels: one or more levels joined by "/"', () => {
  for (const ok of ['iot', 'iot/home1', 'a/./b', 'a/../b']) assert.ok(areTopicLevels(ok), ok);
  for (const bad of ['', '/a', 'a/', 'a//b', 'a/+/b', 'a/#', '$SYS/x']) assert.ok(!areTopicLevels(bad), bad);
});

test('toTopicLevel makes any text one level (a hostname as the gateway id)', () => {
  assert.equal(toTopicLevel('pi.local'), 'pi.local');
  assert.equal(toTopicLevel('my pi/2'), 'my-pi-2');
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 200 }), (s) =>
      assert.match(toTopicLevel(s), LEVEL_PATTERN),
    ),
  );
});

test('the config accepts the levels isTopicLevel accepts, . and .. included', () => {
  const gateway = (name: string, base: string) =>
    gatewayConfigSchema.safeParse({
      gateway: { base_topic: base },
      ports: [{ name, path: '/dev/ttyUSB0', device: 'climate' }],
    }).success;
  const field = (f: string) =>
    profileSchema.safeParse({ id: 'p', line: { format: 'kv' }, fields: { [f]: { type: 'number' } } }).success;
  for (const level of ['kitchen', '.', '..']) {
    assert.ok(gateway(level, 'iot'), level);
    assert.ok(gateway('p', `iot/${level}`), level);
    assert.ok(field(level), level);
  }
  for (const level of REFUSED) {
    assert.ok(!gateway(level, 'iot'), JSON.stringify(level));
    if (!level.includes('/')) assert.ok(!gateway('p', `iot/${level}`), JSON.stringify(level));
    assert.ok(!field(level), JSON.stringify(level));
  }
});

test('an MQTT-SN device may send neither . nor .. as a level, in a name or a filter', () => {
  assert.deepEqual(confineName('home/kitchen', 'a/.b'), { ok: true, topic: 'home/kitchen/a/.b' });
  for (const name of ['..', '../x', 'a/./b', 'a/..'])
    assert.match((confineName('home/kitchen', name) as { reason: string }).reason, /nor \. or \.\./);
  for (const filter of ['../#', '+/..', '.'])
    assert.match((confineFilter('home/kitchen', filter) as { reason: string }).reason, /nor \. or \.\./);
});
