// IdMap behaves as a Map from numbers: the same answers after any sequence of operations,
// the same insertion order, and a Map's rules for changes made while iterating. (What it is
// for — values that do not get promoted — is measured by bench/id-map.ts.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IdMap, IdSet } from '../../src/id-map.ts';

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

  void it('answers as a Map does through growth, compaction and probe runs (wide ids, long runs)', () => {
    // Ids from a window that slides (as queue ids do) and from anywhere, including ids whose
    // low 32 bits collide (2^32 apart) and negative ones: every path of the index is taken.
    const id = fc.oneof(
      fc.nat(3000),
      fc.integer({ min: -5, max: 5 }).map((k) => k * 4294967296 + 7),
      fc.constantFrom(0, -0, 2 ** 53 - 1, -(2 ** 31)),
    );
    const wideOp: fc.Arbitrary<Op> = fc.oneof(
      { weight: 8, arbitrary: fc.record({ kind: fc.constant('set' as const), id, value: fc.string() }) },
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('delete' as const), id }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
    );
    fc.assert(
      fc.property(fc.array(wideOp, { maxLength: 3000 }), fc.nat(2000), (ops, window) => {
        const expected = new Map<number, string>();
        const actual = new IdMap<string>();
        // A sliding window first: sets ahead, deletes behind, as a queue's ids move.
        for (let i = 0; i < 4000; i += 1) {
          apply(expected, { kind: 'set', id: i, value: `${i}` });
          apply(actual, { kind: 'set', id: i, value: `${i}` });
          if (i >= window % 300) {
            assert.equal(actual.delete(i - (window % 300)), expected.delete(i - (window % 300)));
          }
        }
        for (const o of ops) assert.equal(apply(actual, o), apply(expected, o));
        assert.equal(actual.size, expected.size);
        assert.deepEqual([...actual], [...expected]);
        for (const k of expected.keys()) assert.equal(actual.get(k), expected.get(k));
        assert.equal(actual.has(window), expected.has(window));
      }),
      { numRuns: 60 },
    );
  });

  void it('iterates as a Map does whatever is set, deleted or cleared during the iteration', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(60), { maxLength: 60 }),
        fc.array(fc.array(op, { maxLength: 4 }), { maxLength: 80 }),
        (initial, steps) => {
          const expected = new Map<number, string>();
          const actual = new IdMap<string>();
          for (const id of initial) {
            expected.set(id, `${id}`);
            actual.set(id, `${id}`);
          }
          const run = (map: Map<number, string> | IdMap<string>): [number, string][] => {
            const seen: [number, string][] = [];
            let step = 0;
            for (const entry of map) {
              seen.push(entry);
              for (const o of steps[step] ?? []) apply(map, o);
              step += 1;
              if (seen.length > 500) break; // a set of a visited id re-appends it: bound the walk
            }
            return seen;
          };
          assert.deepEqual(run(actual), run(expected));
          assert.deepEqual([...actual], [...expected]);
        },
      ),
    );
  });

  void it('compacts again once an iteration ends, also one left by a break', () => {
    const map = new IdMap<number>();
    for (let round = 0; round < 50; round += 1) {
      for (let i = 0; i < 20; i += 1) map.set(round * 20 + i, i);
      for (const [id] of map) if (id % 20 === 3) break;
      for (let i = 0; i < 20; i += 1) map.delete(round * 20 + i);
    }
    map.set(1, 1);
    for (let i = 2; i < 40; i += 1) {
      map.set(i, i);
      map.delete(i - 1);
    }
    // What a burst of 1,000 ids through a window of one would leave if nothing compacted.
    assert.ok(memoryOf(map) < 100, `arrays of ${memoryOf(map)} entries for one entry`);
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

    // Emptied during the iteration, then refilled: the new entries are visited.
    const emptied = new IdMap<number>().set(1, 1).set(2, 2);
    const visited: number[] = [];
    for (const [id] of emptied) {
      visited.push(id);
      if (id !== 1) continue;
      emptied.delete(1);
      emptied.delete(2);
      emptied.set(7, 7);
    }
    assert.deepEqual(visited, [1, 7]);
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

void describe('IdSet', () => {
  void it('answers as a Set does after any sequence of adds, deletes and clears', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const expected = new Set<number>();
        const actual = new IdSet();
        for (const o of ops) {
          if (o.kind === 'set') {
            expected.add(o.id);
            actual.add(o.id);
          } else if (o.kind === 'delete') assert.equal(actual.delete(o.id), expected.delete(o.id));
          else {
            expected.clear();
            actual.clear();
          }
          assert.equal(actual.size, expected.size);
        }
        assert.deepEqual([...actual], [...expected]);
        assert.deepEqual([...actual.keys()], [...expected.keys()]);
        for (let id = 0; id <= 40; id += 1) assert.equal(actual.has(id), expected.has(id));
      }),
    );
  });
});

/** The length of the arrays behind a map (a white-box look, for the compaction test). */
function memoryOf(map: IdMap<unknown>): number {
  return (map as unknown as { ids: Float64Array }).ids.length;
}
