// Start-up benchmark: how long `tty2mqtt --version`, `--help`, `ports` and `check` take from exec to
// exit, and their peak resident memory, against a bare `node -e 0` measured in the same run
// (the floor any Node program pays). Commands run alternately, --reps times each, through the
// installed entry point (bin/tty2mqtt.js) on a fresh bundle, the way a user or systemd starts
// them. Each measurement is taken by a tiny python3 parent (wall clock around the child,
// getrusage(RUSAGE_CHILDREN).ru_maxrss for its peak RSS), so nothing is preloaded into the
// process being measured.
//
//   npm run bench:startup                  20 repetitions
//   npm run bench:startup -- --reps 30
//
// Evidence only on a quiet machine: the load average is printed before and after, and a run
// whose baseline varies by more than 20 % (interquartile range over the median; a single slow
// exec is common and is not what this guards against) is reported as noise.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(REPO, 'bin', 'tty2mqtt.js');
const { values: args } = parseArgs({ options: { reps: { type: 'string' } } });
const reps = Math.max(4, Number(args.reps ?? 20));

const MEASURE = [
  'import resource, subprocess, sys, time',
  't = time.perf_counter()',
  'code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode',
  'print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)',
].join('\n');

interface Command {
  id: string;
  argv: string[];
}

const commands: Command[] = [
  { id: 'node -e 0', argv: [process.execPath, '-e', '0'] },
  { id: 'tty2mqtt --version', argv: [process.execPath, BIN, '--version'] },
  { id: 'tty2mqtt --help', argv: [process.execPath, BIN, '--help'] },
  { id: 'tty2mqtt ports', argv: [process.execPath, BIN, 'ports'] },
  { id: 'tty2mqtt check', argv: [process.execPath, BIN, 'check', '-c', join(REPO, 'gateway.yaml')] },
];

function measure(argv: string[]): { seconds: number; rssMb: number; code: number } {
  const out = execFileSync('python3', ['-c', MEASURE, ...argv], { encoding: 'utf8' }).trim();
  const [seconds, rssKb, code] = out.split(' ').map(Number);
  return { seconds: seconds ?? NaN, rssMb: (rssKb ?? NaN) / 1024, code: code ?? NaN };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

// The bundle bin/tty2mqtt.js runs when it is fresh (otherwise it falls back to tsx).
execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: 'inherit' });
console.log(
  `tty2mqtt start-up benchmark — ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}, ${reps} repetitions`,
);
console.log(`load average at start: ${load()}`);

const results = new Map<string, { seconds: number[]; rssMb: number[]; codes: Set<number> }>(
  commands.map((c) => [c.id, { seconds: [], rssMb: [], codes: new Set() }]),
);
for (const c of commands) measure(c.argv); // warm the page cache once
for (let rep = 0; rep < reps; rep++) {
  for (const c of commands) {
    const m = measure(c.argv);
    const r = results.get(c.id);
    r?.seconds.push(m.seconds);
    r?.rssMb.push(m.rssMb);
    r?.codes.add(m.code);
  }
}

const base = results.get('node -e 0');
const baseSeconds = median(base?.seconds ?? []);
const baseRss = median(base?.rssMb ?? []);
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
const spread = (v: number[]): number => (quantile(v, 0.75) - quantile(v, 0.25)) / median(v);
console.log('');
console.log('  command                  start→exit ms (min–max)      ratio   peak RSS MB   ratio   exit');
for (const c of commands) {
  const r = results.get(c.id);
  if (r === undefined) continue;
  const ms = r.seconds.map((s) => s * 1000);
  console.log(
    `  ${c.id.padEnd(24)} ${median(ms).toFixed(0).padStart(6)} (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)})`.padEnd(
      55,
    ) +
      `${(median(r.seconds) / baseSeconds).toFixed(2).padStart(5)}×  ${median(r.rssMb).toFixed(1).padStart(8)}    ` +
      `${(median(r.rssMb) / baseRss).toFixed(2).padStart(5)}×   ${[...r.codes].join(',')}`,
  );
}
console.log('');
console.log(`load average at end: ${load()}`);
const noise = spread(base?.seconds ?? []);
if (noise > 0.2) {
  console.log(
    `baseline start time varies ${(noise * 100).toFixed(0)} % (> 20 %): not evidence, run again on a quiet machine`,
  );
  process.exitCode = 1;
}
