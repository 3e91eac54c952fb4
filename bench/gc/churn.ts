// The hot path's table pattern on its own: a long-lived table of in-flight messages, each
// added when sent and deleted ~20 messages later (acknowledged), while the rest of the work
// makes short-lived garbage. Run by bench/id-map.ts under --trace-gc-nvp; argv[2] picks the
// table (`map`: a Map, `idmap`: src/id-map.ts).
import { IdMap } from '../../src/id-map.ts';

const kind = process.argv[2];
const MESSAGES = 2_000_000;
const IN_FLIGHT = 20;
const table: { set(id: number, v: object): unknown; delete(id: number): unknown } =
  kind === 'idmap' ? new IdMap<object>() : new Map<number, object>();
let id = 0;
let sink = 0;

function turn(): void {
  for (let i = 0; i < 200; i += 1, id += 1) {
    table.set(id, { topic: `bench/tty/p0/temp`, payload: Buffer.from(String(id)), attempts: 0, id });
    if (id >= IN_FLIGHT) table.delete(id - IN_FLIGHT);
    // What the line and the packet cost besides the table: garbage that dies young.
    const fields = `temp=23.5,ts=${id}`.split(',').map((pair) => pair.split('='));
    sink += fields.length;
  }
  if (id < MESSAGES) setImmediate(turn);
  else if (sink < 0) console.log(sink);
}
turn();
