// MQTT-SN benchmark, two parts, each against a baseline measured in the same run:
//   1. framer throughput, in-process: frames/s of the raw, slip and cobs framers (alone and
//      with decodePacket) ÷ the line framer on equivalent lines (bench/mqttsn/framers.ts);
//   2. round trip over a pty through the real daemon: PUBLISH QoS 1 → PUBACK latency at a
//      steady 500 msg/s from a raw MQTT-SN client (sn-weather) ÷ `#seq` line → ACK of the
//      power-meter protocol on a second port of the same gateway (bench/mqttsn/roundtrip.ts).
// Results go to bench/results/mqttsn.json. Not part of `npm test`.
//
//   npm run bench:mqttsn                    full run: 20 s windows, 5 framer reps (~3.5 min)
//   npm run bench:mqttsn -- --quick         5 s windows, 3 framer reps (~1 min)
//   npm run bench:mqttsn -- --seconds 30 --rate 500 --rounds 2 --reps 5
//   … --skip-framers | --skip-roundtrip | --no-build
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printFramers, runFramers } from './mqttsn/framers.ts';
import type { FramerResult } from './mqttsn/framers.ts';
import { runRoundTrip } from './mqttsn/roundtrip.ts';
import type { DeviceSummary, RoundTripResult } from './mqttsn/roundtrip.ts';
import { fmt, loadAverageText } from './mqttsn/stats.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    rate: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '2' },
    reps: { type: 'string' },
    'skip-framers': { type: 'boolean', default: false },
    'skip-roundtrip': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    out: { type: 'string', default: join(REPO, 'bench/results/mqttsn.json') },
  },
});
const quick = args.quick === true;
const seconds = Number(args.seconds ?? (quick ? 5 : 20));
const rate = Number(args.rate);
const rounds = Number(args.rounds);
const reps = Number(args.reps ?? (quick ? 3 : 5));
for (const [name, value] of Object.entries({ seconds, rate, rounds, reps }))
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`--${name} must be a positive number`);

console.log(
  `tty2mqtt MQTT-SN benchmark — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}` +
    `${quick ? ', quick' : ''}; load average ${loadAverageText()} (the machine's other work shows in the tails)`,
);
const loadAtStart = os.loadavg();

let framers: FramerResult | undefined;
let roundTrip: RoundTripResult | undefined;
let exitCode = 0;
const dir = mkdtempSync(join(os.tmpdir(), 'tty2mqtt-mqttsn-bench-'));
try {
  if (args['skip-framers'] !== true) {
    console.log(`\n1. framer throughput (${reps} alternating repetitions of ~1 s per framer and mode)`);
    framers = runFramers({ reps, measureMs: 1000 }, (text) => console.log(text));
  }
  if (args['skip-roundtrip'] !== true) {
    // The daemon is measured as installed: the bundle bin/tty2mqtt.js runs (as bench/e2e.ts).
    if (args['no-build'] !== true)
      try {
        execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: 'inherit' });
      } catch {
        console.log('  (npm run build failed: the daemon runs from the TypeScript sources)');
      }
    console.log(
      `\n2. round trip over a pty at ${rate} msg/s: ${rounds} × ${seconds} s window(s) per device ` +
        '(after 2 s warm-up each), alternating',
    );
    roundTrip = await runRoundTrip(
      { repo: REPO, dir, rate, warmupMs: 2000, measureMs: seconds * 1000, rounds, lostAfterMs: 5000 },
      (text) => console.log(text),
    );
  }

  if (framers !== undefined) printFramers(framers, reps);
  if (roundTrip !== undefined) printRoundTrip(roundTrip);

  mkdirSync(join(REPO, 'bench/results'), { recursive: true });
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      node: process.version,
      loadAverage: { start: loadAtStart, end: os.loadavg() },
    },
    options: { quick, seconds, rate, rounds, reps },
    framers,
    roundTrip,
  };
  writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nload average at the end ${loadAverageText()}; written to ${args.out}`);
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
// Serial handles and child pipes are closed by now; exit rather than wait on a stray timer.
process.exit(exitCode);

function printRoundTrip(r: RoundTripResult): void {
  console.log(
    `\nRound trip over a pty at ${r.rate} msg/s, ${r.rounds} × ${r.measureS} s per device, one gateway ` +
      `(${r.gatewayRuns}), Mosquitto on loopback; ratio = MQTT-SN ÷ line ACK`,
  );
  const [sn, line] = r.devices;
  if (sn === undefined || line === undefined) return;
  // kind: a count, or a figure that gets a ratio.
  const rows: [string, (d: DeviceSummary) => number, 'count' | 'ratio' | 'plain'][] = [
    ['sent (measured)', (d) => d.sent, 'count'],
    ['rate msg/s', (d) => d.ratePerS, 'plain'],
    ['acked within 5 s', (d) => d.acked, 'count'],
    ['lost (no answer in 5 s)', (d) => d.lost, 'count'],
    ['round trip p50 ms', (d) => d.p50Ms, 'ratio'],
    ['round trip p90 ms', (d) => d.p90Ms, 'ratio'],
    ['round trip p99 ms', (d) => d.p99Ms, 'ratio'],
    ['round trip max ms', (d) => d.maxMs, 'ratio'],
    ['round trip mean ms', (d) => d.meanMs, 'ratio'],
    ['gateway CPU % of a core', (d) => d.gatewayCpuPercent, 'ratio'],
    ['sent in total (+warm-up)', (d) => d.totalSent, 'count'],
    ['acked in total', (d) => d.totalAcked, 'count'],
    ['reached broker', (d) => d.reachedBroker, 'count'],
  ];
  const show = (v: number, kind: string): string => (kind === 'count' ? v.toLocaleString('en-US') : fmt(v));
  console.log(
    `  ${''.padEnd(26)}${'MQTT-SN PUBACK'.padStart(16)}${'line ACK'.padStart(12)}${'ratio'.padStart(9)}`,
  );
  for (const [label, get, kind] of rows) {
    const a = get(sn);
    const b = get(line);
    const ratio = kind === 'ratio' && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '';
    console.log(
      `  ${label.padEnd(26)}${show(a, kind).padStart(16)}${show(b, kind).padStart(12)}${ratio.padStart(9)}`,
    );
  }
  for (const d of r.devices) {
    const odd = Object.entries(d.problems).filter(([, v]) => v > 0);
    if (odd.length > 0) console.log(`  ${d.device}: ${odd.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
}
