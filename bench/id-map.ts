// Why src/id-map.ts exists, measured: the same churn (bench/gc/churn.ts: a table of 20
// in-flight messages, 2,000,000 added and deleted) through a Map and through an IdMap, and
// through a Set and an IdSet of the ids alone, each under --trace-gc-nvp, alternating --reps
// times. Prints what every scavenge promoted to the old generation and how long it paused
// the thread (medians over a run's scavenges, then over repetitions), and the ratios
// IdMap ÷ Map and IdSet ÷ Set.
//
//   npm run bench:id-map                 3 repetitions
//   npm run bench:id-map -- --reps 5
//
// Evidence only on a quiet machine (the load average is printed before and after).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadAverageText, median } from './mqttsn/stats.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({ options: { reps: { type: 'string' } } });
const reps = Math.max(1, Number(args.reps ?? 3));
const KINDS = ['map', 'idmap', 'set', 'idset'] as const;

interface Figures {
  scavenges: number;
  promotedKb: number;
  pauseMs: number;
}

function run(kind: string): Figures {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--trace-gc-nvp', join(REPO, 'bench/gc/churn.ts'), kind],
    { cwd: REPO, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const scavenges = out.split('\n').filter((line) => line.includes(' gc=s '));
  const field = (line: string, name: string): number =>
    Number(new RegExp(` ${name}=([0-9.]+)`).exec(line)?.[1] ?? Number.NaN);
  // Skip start-up's scavenges (module loading): the churn's are the steady ones.
  const steady = scavenges.slice(Math.floor(scavenges.length / 4));
  return {
    scavenges: steady.length,
    promotedKb: median(steady.map((line) => field(line, 'promoted') / 1024)),
    pauseMs: median(steady.map((line) => field(line, 'pause'))),
  };
}

console.log(`load average at start ${loadAverageText()}`);
const results: Record<string, Figures[]> = { map: [], idmap: [], set: [], idset: [] };
for (let rep = 0; rep < reps; rep += 1)
  for (const kind of rep % 2 === 0 ? KINDS : [...KINDS].reverse()) results[kind]?.push(run(kind));
const summary = (kind: string, key: keyof Figures): number =>
  median((results[kind] ?? []).map((f) => f[key]));
for (const kind of KINDS)
  console.log(
    `${kind.padEnd(6)} promoted per scavenge ${summary(kind, 'promotedKb').toFixed(1)} KB, pause ${summary(kind, 'pauseMs').toFixed(2)} ms (${summary(kind, 'scavenges')} scavenges)`,
  );
for (const [ours, theirs] of [
  ['idmap', 'map'],
  ['idset', 'set'],
] as const)
  console.log(
    `${ours} ÷ ${theirs}: promoted ${(summary(ours, 'promotedKb') / summary(theirs, 'promotedKb')).toFixed(2)}×, pause ${(summary(ours, 'pauseMs') / summary(theirs, 'pauseMs')).toFixed(2)}×`,
  );
console.log(`load average at end ${loadAverageText()}`);
