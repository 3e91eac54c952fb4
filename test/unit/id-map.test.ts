// IdMap behaves as a Map from numbers: the same answers after any sequence of operations,
// the same insertion order, and a Map's rules for changes made while iterating. (What it is
// for — values that do not get promoted — is measured by bench/id-map.ts.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IdMap } from '../../src/id-map.ts';

type Op = { kind: 'set'; id: number; value: string } | { kind: 'delete'; id: number } | { kind: 'clear' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('set' as const), id: fc.nat(40), value: fc.string() }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

function apply(map: Map<number, string> | IdMap<string>, o: Op): unknown {
  if (o.kind === 'set') return void map.set(o.id, o.value);
  if (o.kind === 'delete') return map.delete(o.id);
  return map.clear();
}

void describe('IdMap', () => {
  void it('answers as a Map does after any sequence of sets, deletes and clears', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const expected = new Map<number, string>();
        const actual = new IdMap<string>();
        for (const o of ops) {
          assert.equal(apply(actual, o), apply(expected, o));
          assert.equal(actual.size, expected.size);
        }
        assert.deepEqual([...actual], [...expected]);
        assert.deepEqual([...actual.keys()], [...expected.keys()]);
        assert.deepEqual([...actual.values()], [...expected.values()]);
        for (let id = 0; id <= 40; id += 1) {
          assert.equal(actual.has(id), expected.has(id));
          assert.equal(actual.get(id), expected.get(id));
        }
      }),
    );
  });

  void it('keeps insertion order when a value is replaced, and appends a re-added id', () => {
    const map = new IdMap<string>().set(3, 'a').set(1, 'b').set(2, 'c');
    map.set(1, 'B');
    map.delete(3);
    map.set(3, 'A');
    assert.deepEqual(
      [...map],
      [
        [1, 'B'],
        [2, 'c'],
        [3, 'A'],
      ],
    );
  });

  void it('iterates as a Map does while entries are deleted and added', () => {
    const map = new IdMap<number>();
    for (let id = 1; id <= 5; id += 1) map.set(id, id * 10);
    const seen: number[] = [];
    for (const [id] of map) {
      seen.push(id);
      map.delete(id + 1); // the next one is skipped
      if (id === 5) map.set(9, 90); // added during iteration: visited
    }
    assert.deepEqual(seen, [1, 3, 5, 9]);
  });

  void it('works on after a burst has emptied it', () => {
    const map = new IdMap<string>();
    for (let id = 0; id < 5000; id += 1) map.set(id, `v${id}`);
    for (let id = 0; id < 5000; id += 1) map.delete(id);
    assert.equal(map.size, 0);
    map.set(7, 'x');
    assert.equal(map.get(7), 'x');
    assert.deepEqual([...map], [[7, 'x']]);
  });
});
