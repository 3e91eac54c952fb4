// End-to-end benchmark: tty2mqtt against what users would pick instead —
// `mosquitto_pub -l` and a naive MQTT.js gateway (bench/naive-gateway.js) — through socat
// ptys and the real serial bindings, against one Mosquitto on loopback, in one run. Each
// scenario runs every contender in turn, repeated (alternating) --reps times; the table
// shows medians, min–max and the ratio to the naive gateway at the same QoS, and the
// same goes to bench/results/e2e.json.
//
//   npm run bench                         the full run (~15 min on 2 cores)
//   npm run bench -- --quick              one repetition, smaller loads (~3 min)
//   npm run bench -- --only tty2mqtt,naive --scenarios steady-1000 --reps 5
//
// For finding where time goes (environment):
//   BENCH_CPU_PROF=<dir>      V8 CPU profiles of the Node contenders
//   BENCH_NODE_ARGS="…"       more node flags for them (--perf-basic-prof, --trace-gc, …)
//   BENCH_STRACE=1|perf|stat  strace -c (perf record -g to /tmp/perf.data; perf stat of syscalls) of the first
//                             contender process during a measured window (paced or burst)
//   BENCH_THREADS=1           CPU ticks per thread in a paced window
//   BENCH_MEMORY=1            process.memoryUsage() at the start and end of a paced window
//   BENCH_LATENCIES=<dir>     every paced window's latencies with their write times, a file per run
//   BENCH_MOSQUITTO_CONF="…"  more mosquitto.conf lines (`;` between them), e.g. max_inflight_messages 256
//   BENCH_MOSQUITTO_LOG=all   Mosquitto logs every packet (the default is Mosquitto's own: no line per packet)
//   BENCH_LOG=<file>          everything the contenders print
//   BENCH_OTHER_BUILD=<dir>   tty2mqtt-q1-other, tty2mqtt-q0-other: another checkout's dist/cli.js, same configurations
//   BENCH_TTY2MQTT_PROTOCOL / _INFLIGHT / _WRITE_DELAY   tty2mqtt's mqtt.protocol_version,
//                             queue.inflight and queue.write_delay (defaults: 5, 32, 100ms)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { REPO, contenders } from './e2e/contenders.ts';
import { checkGoals, printGoals, printScenario, summarise } from './e2e/report.ts';
import type { Cell } from './e2e/report.ts';
import { runOnce } from './e2e/run.ts';
import type { Metrics, Scenario } from './e2e/run.ts';
import type { Contender } from './e2e/contenders.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    only: { type: 'string' },
    scenarios: { type: 'string' },
    out: { type: 'string', default: join(REPO, 'bench/results/e2e.json') },
  },
});
const quick = args.quick === true;
const reps = Number(args.reps ?? (quick ? 1 : 3));

const scale = quick ? 0.3 : 1;
const allScenarios: { scenario: Scenario; title: string }[] = [
  {
    scenario: { id: 'saturated-1', kind: 'burst', ports: 1, linesPerPort: 100_000 * scale },
    title: `saturated-1: 1 port, ${(100_000 * scale).toLocaleString('en-US')} lines written as fast as the pty takes them`,
  },
  {
    scenario: { id: 'saturated-8', kind: 'burst', ports: 8, linesPerPort: 25_000 * scale },
    title: `saturated-8: 8 ports × ${(25_000 * scale).toLocaleString('en-US')} lines, as fast as possible`,
  },
  {
    scenario: {
      id: 'steady-1000',
      kind: 'paced',
      ports: 1,
      ratePerPort: 1000,
      warmupMs: 2000,
      measureMs: 10_000 * scale,
    },
    title: 'steady-1000: 1 port at 1,000 lines/s (timestamped lines; latency = pty write → subscriber)',
  },
  {
    scenario: {
      id: 'idle-1',
      kind: 'idle',
      ports: 1,
      measureMs: 10_000 * scale,
      contenders: ['tty2mqtt-q1-normal'],
    },
    title: 'idle-1: 1 port open, no device writing, external broker (what the daemon holds on a quiet site)',
  },
  {
    scenario: {
      id: 'embedded-8x300',
      kind: 'paced',
      ports: 8,
      ratePerPort: 300,
      warmupMs: 2000,
      measureMs: 10_000 * scale,
      contenders: ['tty2mqtt-q1-normal', 'tty2mqtt-q1-embedded'],
    },
    title:
      'embedded-8x300: 8 ports × 300 lines/s, tty2mqtt with its embedded broker (aedes) vs with Mosquitto (add brokerCpu for the site total)',
  },
  {
    scenario: {
      id: 'steady-8x300',
      kind: 'paced',
      ports: 8,
      ratePerPort: 300,
      warmupMs: 2000,
      measureMs: 10_000 * scale,
    },
    title: 'steady-8x300: 8 ports × 300 lines/s (a realistic site: CPU per line is what a Pi feels)',
  },
];
const scenarioFilter = args.scenarios?.split(',');
const scenarios = allScenarios.filter(
  (s) => scenarioFilter?.some((f) => s.scenario.id.startsWith(f)) ?? true,
);
const onlyFilter = args.only?.split(',');
/** Named by --only (undefined without it). */
const named = (c: Contender): boolean | undefined => onlyFilter?.some((f) => c.id.startsWith(f));
// The embedded-broker contender only runs where a scenario asks for it.
const selected = contenders().filter((c) => named(c) ?? c.ownBroker === undefined);
/** Who runs a scenario: the selection (narrowed by the scenario's own list) and their baselines. */
function lineupOf(scenario: Scenario): Contender[] {
  const wanted = (
    scenario.contenders === undefined
      ? selected
      : contenders().filter((c) => scenario.contenders?.includes(c.id) === true && (named(c) ?? true))
  ).filter((c) => c.burstOnly !== true || scenario.kind === 'burst' || named(c) === true);
  // Ratios need the baselines in the same run.
  const needed = new Set(wanted.flatMap((c) => [c.id, c.baseline]));
  return contenders().filter((c) => needed.has(c.id));
}

// The daemon is measured as installed: the bundle (dist/cli.js), built once here.
execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: 'inherit' });
const baseDir = mkdtempSync(join(os.tmpdir(), 'tty2mqtt-e2e-'));
// As deployed: Mosquitto's own log default (the test helper's `all` writes a line per packet).
// BENCH_MOSQUITTO_CONF adds lines to its configuration (`;` between them), for experiments
// such as `max_inflight_messages 256` (the Receive Maximum it announces).
const broker = await startMosquitto({
  logTypes: process.env['BENCH_MOSQUITTO_LOG'] === 'all' ? 'all' : 'default',
  config: process.env['BENCH_MOSQUITTO_CONF']?.replaceAll(';', '\n') ?? '',
});
const loadAtStart = os.loadavg();
console.log(
  `tty2mqtt e2e benchmark — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ` +
    `Mosquitto on 127.0.0.1:${broker.port}, ${reps} repetition(s), load average ${fmtLoad(loadAtStart)}`,
);
const cells: Cell[] = [];
let runIndex = 0;
try {
  // The first run after the broker starts can be slow (cold caches, the broker's first
  // allocations): once naive-q0 made 14,154 lines/s in it and 18,008–18,748 in its next two,
  // which refused the whole scenario for noise; a mosquitto_pub run before it did not help.
  // One run of the first scenario's first baseline, not counted.
  const first = scenarios[0];
  const firstLineup = first === undefined ? [] : lineupOf(first.scenario);
  const opener = firstLineup.find((c) => c.id === c.baseline) ?? firstLineup[0];
  if (first !== undefined && opener !== undefined) {
    runIndex += 1;
    process.stdout.write(`  ${first.scenario.id} ${opener.id} warm-up, not counted … `);
    console.log(compact(await runOnce(first.scenario, opener, broker, runIndex, baseDir)));
  }
  for (const { scenario, title } of scenarios) {
    const lineup = lineupOf(scenario);
    const runs = new Map<string, Metrics[]>();
    for (let rep = 0; rep < reps; rep += 1)
      for (const contender of lineup) {
        runIndex += 1;
        process.stdout.write(`  ${scenario.id} ${contender.id} #${rep + 1} … `);
        const metrics = await runOnce(scenario, contender, broker, runIndex, baseDir);
        console.log(compact(metrics));
        runs.set(contender.id, [...(runs.get(contender.id) ?? []), metrics]);
      }
    const summary = summarise(scenario, lineup, runs);
    printScenario(title, summary);
    cells.push(...summary);
  }
  const goals = checkGoals(cells);
  printGoals(goals);
  const loadAtEnd = os.loadavg();
  console.log(`\nload average at start ${fmtLoad(loadAtStart)}, at end ${fmtLoad(loadAtEnd)}`);
  mkdirSync(join(REPO, 'bench/results'), { recursive: true });
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    reps,
    quick,
    scenarios: scenarios.map((s) => s.scenario),
    cells,
    goals,
  };
  writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwritten to ${args.out}`);
} finally {
  await broker.stop();
  rmSync(baseDir, { recursive: true, force: true });
}

function fmtLoad(load: number[]): string {
  return load.map((l) => l.toFixed(2)).join(' ');
}

function compact(metrics: Metrics): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k}=${Math.abs(v) >= 100 ? Math.round(v) : v.toFixed(2)}`)
    .join(' ');
}
