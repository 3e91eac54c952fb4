// The hot path's table pattern on its own: a long-lived table of in-flight messages, each
// added when sent and deleted ~20 messages later (acknowledged), while the rest of the work
// makes short-lived garbage. Run by bench/id-map.ts under --trace-gc-nvp; argv[2] picks the
// table: `map` (a Map of messages), `idmap` (src/id-map.ts's IdMap), `set` (a Set of the
// ids alone, as the publisher's in-flight set was) and `idset` (IdSet).
import { IdMap, IdSet } from '../../src/id-map.ts';

const kind = process.argv[2];
const MESSAGES = 2_000_000;
const IN_FLIGHT = 20;
type Table = { add(id: number, v: object): unknown; delete(id: number): unknown };
const tables: Record<string, () => Table> = {
  map: () => {
    const map = new Map<number, object>();
    return { add: (id, v) => map.set(id, v), delete: (id) => map.delete(id) };
  },
  idmap: () => {
    const map = new IdMap<object>();
    return { add: (id, v) => map.set(id, v), delete: (id) => map.delete(id) };
  },
  set: () => {
    const set = new Set<number>();
    return { add: (id) => set.add(id), delete: (id) => set.delete(id) };
  },
  idset: () => {
    const set = new IdSet();
    return { add: (id) => set.add(id), delete: (id) => set.delete(id) };
  },
};
const make = tables[kind ?? ''];
if (make === undefined) throw new Error(`churn: unknown table ${kind} (${Object.keys(tables).join(', ')})`);
const table = make();
let id = 0;
let sink = 0;

function turn(): void {
  for (let i = 0; i < 200; i += 1, id += 1) {
    table.add(id, { topic: `bench/tty/p0/temp`, payload: Buffer.from(String(id)), attempts: 0, id });
    if (id >= IN_FLIGHT) table.delete(id - IN_FLIGHT);
    // What the line and the packet cost besides the table: garbage that dies young.
    const fields = `temp=23.5,ts=${id}`.split(',').map((pair) => pair.split('='));
    sink += fields.length;
  }
  if (id < MESSAGES) setImmediate(turn);
  else if (sink < 0) console.log(sink);
}
turn();
