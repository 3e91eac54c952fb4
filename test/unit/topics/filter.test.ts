import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { filterCovers, isValidTopicFilter, topicMatches } from '../../../src/topics/filter.ts';

void describe('topicMatches (MQTT 3.1.1 §4.7)', () => {
  const table: [filter: string, topic: string, expected: boolean][] = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['a/b', 'a/b/c', false],
    ['a/b/c', 'a/b', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/+', 'a', false],
    ['a/+', 'a/', true], // `+` matches an empty level
    ['+/+', '/finance', true], // §4.7.1.3
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    ['#', 'a', true],
    ['#', 'a/b/c', true],
    ['#', '/', true],
    ['a/#', 'a', true], // §4.7.1.2: `sport/#` also matches `sport`
    ['a/#', 'a/b', true],
    ['a/#', 'a/b/c', true],
    ['a/#', 'ab', false],
    ['a/b/#', 'a', false],
    ['+/#', 'a', true],
    ['+/b/#', 'a/b', true],
    // [MQTT-4.7.2-1]: leading wildcards do not match `$` topics
    ['#', '$SYS/broker', false],
    ['+/broker', '$SYS/broker', false],
    ['+/#', '$SYS', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
    ['$SYS/+', '$SYS/x', true],
    ['a/#', 'a/$x', true], // `$` only matters at the first level
    // case-sensitive, no trimming
    ['A', 'a', false],
    ['a ', 'a', false],
    // malformed filters and topics match nothing
    ['a#', 'a', false],
    ['a/#/b', 'a/x/b', false],
    ['a+', 'a+', false],
    ['a/b+', 'a/b+', false],
    ['', '', false],
    ['a', '', false],
    ['#', 'a/+', false],
    ['#', 'a/#', false],
  ];
  for (const [filter, topic, expected] of table) {
    void it(`${JSON.stringify(filter)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(topic)}`, () => {
      assert.equal(topicMatches(filter, topic), expected);
    });
  }
});

void describe('filterCovers', () => {
  const table: [allowed: string, requested: string, expected: boolean][] = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/+', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/+', true],
    ['a/+', 'a/#', false],
    ['a/+', 'a/b/c', false],
    ['a/#', 'a', true],
    ['a/#', 'a/#', true],
    ['a/#', 'a/+/c', true],
    ['a/#', 'b/#', false],
    ['#', '#', true],
    ['#', '+/x', true],
    ['#', '$SYS/#', false],
    ['+/#', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
    ['a/+/c', 'a/+/c', true],
    ['a/+/c', 'a/b/#', false],
    ['a/b', 'a/b/#', false],
    ['a/#', 'a#', false],
  ];
  for (const [allowed, requested, expected] of table) {
    void it(`${JSON.stringify(allowed)} ${expected ? 'covers' : 'does not cover'} ${JSON.stringify(requested)}`, () => {
      assert.equal(filterCovers(allowed, requested), expected);
    });
  }
});

void describe('topic filter properties', () => {
  // Levels drawn from a small alphabet so that random filters and topics overlap often.
  const level = fc.constantFrom('a', 'b', '', '$x', 'c d');
  const topic = fc
    .array(level, { minLength: 1, maxLength: 5 })
    .map((l) => l.join('/'))
    .filter((t) => t.length > 0);
  const filterLevel = fc.constantFrom('a', 'b', '', '+', '$x');
  const filter = fc
    .tuple(fc.array(filterLevel, { minLength: 1, maxLength: 5 }), fc.boolean())
    .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
    .filter((f) => f.length > 0);

  void it('a topic always matches itself used as a filter, and `#` matches every non-$ topic', () => {
    fc.assert(
      fc.property(topic, (t) => {
        assert.equal(topicMatches(t, t), true);
        assert.equal(topicMatches('#', t), !t.startsWith('$'));
      }),
    );
  });

  void it('if allowed covers requested, every topic requested matches is matched by allowed', () => {
    fc.assert(
      fc.property(filter, filter, topic, (allowed, requested, t) => {
        fc.pre(isValidTopicFilter(allowed) && isValidTopicFilter(requested));
        if (filterCovers(allowed, requested) && topicMatches(requested, t)) {
          assert.equal(topicMatches(allowed, t), true, `${allowed} ⊇ ${requested} but not on ${t}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  void it('a valid filter covers itself', () => {
    fc.assert(fc.property(filter, (f) => assert.equal(filterCovers(f, f), isValidTopicFilter(f))));
  });
});
