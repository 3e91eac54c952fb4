// One measured run: fresh pty pairs, a counting subscriber, one contender, one load.
// Every figure comes from outside the contender (/proc, the subscriber's arrival times)
// except the event-loop delay, which the preloaded probe reports.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createPtyPair } from '../../test/helpers/socat.ts';
import type { PtyPair } from '../../test/helpers/socat.ts';
import type { Contender, Running } from './contenders.ts';
import { sample, threadTicks } from './proc-stats.ts';
import { startSubscriber } from './subscriber.ts';
import type { Subscriber } from './subscriber.ts';

export type Scenario = (
  | { id: string; kind: 'burst'; ports: number; linesPerPort: number }
  | { id: string; kind: 'paced'; ports: number; ratePerPort: number; warmupMs: number; measureMs: number }
  /** Ports open, no device writing: what the daemon holds while it waits (a quiet site). */
  | { id: string; kind: 'idle'; ports: number; measureMs: number }
) & {
  /** Only these contenders (and their baselines) run the scenario; default: every one selected. */
  contenders?: string[];
};

export type Metrics = Record<string, number>;

interface WriterResult {
  startedAtMs: number;
  linesWritten: number;
  /** Closes the device ends (after the run). */
  close(): Promise<void>;
}

const STALL_MS = 5000;
const IDLE_SETTLE_MS = 15_000;

/** The 1-minute load average now: a run is evidence only on a quiet machine. */
export function load1(): number {
  return loadavg()[0] ?? Number.NaN;
}

/**
 * `broker`: the Mosquitto every external contender publishes to (its CPU in a paced window
 * is reported as brokerCpuUsPerLine, so that a gateway with an embedded broker can be
 * compared with a gateway plus Mosquitto).
 */
export async function runOnce(
  scenario: Scenario,
  contender: Contender,
  broker: { port: number; pid: number },
  runIndex: number,
  baseDir: string,
): Promise<Metrics> {
  const loadStart = load1();
  const metrics = await measure(scenario, contender, broker, runIndex, baseDir);
  return { ...metrics, loadStart, loadEnd: load1() };
}

async function measure(
  scenario: Scenario,
  contender: Contender,
  broker: { port: number; pid: number },
  runIndex: number,
  baseDir: string,
): Promise<Metrics> {
  const runDir = join(baseDir, `run${runIndex}`);
  mkdirSync(runDir, { recursive: true });
  const pairs: PtyPair[] = [];
  let subscriber: Subscriber | undefined;
  let running: Running | undefined;
  let closeWriter: (() => Promise<void>) | undefined;
  try {
    for (let i = 0; i < scenario.ports; i += 1)
      pairs.push(await createPtyPair(runDir, { device: `dev${i}`, gateway: `tty${i}` }));
    const rig = {
      brokerPort: broker.port,
      ports: pairs.map((p, i) => ({ name: `p${i}`, path: p.gatewayPath })),
      runDir,
      runIndex,
    };
    // A contender with its own (embedded) broker is subscribed to once it listens.
    if (contender.ownBroker === undefined)
      subscriber = await startSubscriber(broker.port, scenario.kind === 'paced');
    running = await contender.start(rig);
    subscriber ??= await startSubscriber(
      contender.ownBroker?.(rig) ?? broker.port,
      scenario.kind === 'paced',
    );
    const devicePaths = pairs.map((p) => p.devicePath);
    if (scenario.kind === 'idle') return await idle(scenario, running);
    const result =
      scenario.kind === 'burst'
        ? await burst(scenario, contender, running, subscriber, devicePaths, broker.pid)
        : await paced(scenario, contender, running, subscriber, devicePaths, broker.pid);
    closeWriter = result.close;
    return result.metrics;
  } finally {
    await running?.stop();
    await subscriber?.stop();
    await Promise.all(pairs.map((p) => p.kill()));
    await closeWriter?.();
  }
}

async function burst(
  scenario: Extract<Scenario, { kind: 'burst' }>,
  contender: Contender,
  running: Running,
  subscriber: Subscriber,
  devicePaths: string[],
  brokerPid: number,
): Promise<{ metrics: Metrics; close: () => Promise<void> }> {
  const lines = scenario.linesPerPort * scenario.ports;
  const expected = lines * contender.messagesPerLine + scenario.ports * contender.primingMessages;
  probe(running); // starts the probe's window
  const before = sample(running.pids);
  const brokerBefore = sample([brokerPid]).cpuS;
  const tracer = startTracer(running);
  const writer = startWriter({ mode: 'burst', paths: devicePaths, linesPerPort: scenario.linesPerPort });
  let peak = before.peakRssMb;
  await until(
    () => subscriber.count() >= expected,
    STALL_MS,
    () => subscriber.count(),
  );
  const written = await writer;
  tracer?.kill('SIGINT');
  const after = sample(running.pids);
  const brokerCpuS = sample([brokerPid]).cpuS - brokerBefore;
  peak = Math.max(peak, after.peakRssMb);
  const received = Math.min(subscriber.count(), expected);
  const seconds = (subscriber.lastArrivalMs() - written.startedAtMs) / 1000;
  const eld = await readProbe(running);
  return {
    close: () => written.close(),
    metrics: {
      linesPerS:
        (received - scenario.ports * contender.primingMessages) / contender.messagesPerLine / seconds,
      messagesPerS: received / seconds,
      lost: expected - received,
      cpuSPer100kLines: ((after.cpuS - before.cpuS) / lines) * 1e5,
      // Who is busy while the lines flow: a contender or a broker at 100 % of a core is
      // what bounds the rate; neither near it means they wait on each other.
      cpuPercent: ((after.cpuS - before.cpuS) / seconds) * 100,
      brokerCpuPercent: (brokerCpuS / seconds) * 100,
      peakRssMb: peak,
      ...(eld === null ? {} : { eventLoopP99Ms: eld }),
      diskBytesPerMessage: (after.diskWriteBytes - before.diskWriteBytes) / Math.max(1, received),
    },
  };
}

async function paced(
  scenario: Extract<Scenario, { kind: 'paced' }>,
  contender: Contender,
  running: Running,
  subscriber: Subscriber,
  devicePaths: string[],
  brokerPid: number,
): Promise<{ metrics: Metrics; close: () => Promise<void> }> {
  const durationMs = scenario.warmupMs + scenario.measureMs;
  const writer = startWriter({
    mode: 'paced',
    paths: devicePaths,
    ratePerPort: scenario.ratePerPort,
    durationMs,
  });
  await sleep(scenario.warmupMs);
  if (process.env['BENCH_MEMORY'] !== undefined) await readProbe(running);
  probe(running);
  const windowStartMs = performance.timeOrigin + performance.now();
  const before = sample(running.pids);
  const brokerBefore = sample([brokerPid]).cpuS;
  const threadsBefore = running.pids.map((pid) => threadTicks(pid));
  const tracer = startTracer(running);
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(sample(running.pids).rssMb), 1000);
  const written = await writer;
  tracer?.kill('SIGINT');
  clearInterval(sampler);
  const expected = written.linesWritten * 2; // paced lines: temp and ts
  const expectedFor =
    (contender.messagesPerLine === 1 ? written.linesWritten : expected) +
    scenario.ports * contender.primingMessages;
  await until(
    () => subscriber.count() >= expectedFor,
    3000,
    () => subscriber.count(),
  );
  const after = sample(running.pids);
  const brokerCpuS = sample([brokerPid]).cpuS - brokerBefore;
  if (process.env['BENCH_THREADS'] !== undefined)
    running.pids.forEach((pid, i) => {
      const busy = [...threadTicks(pid)].map(
        ([name, t]) => `${name}=${t - (threadsBefore[i]?.get(name) ?? 0)}`,
      );
      console.log(`\n    threads of ${pid} (ticks in window): ${busy.join(' ')}`);
    });
  const eld = await readProbe(running);
  const window = subscriber.samples(windowStartMs);
  dumpLatencies(contender, window);
  const latencies = window.map((s) => s.latencyMs).sort((a, b) => a - b);
  const linesInWindow = (scenario.measureMs / 1000) * scenario.ratePerPort * scenario.ports;
  const cpuS = after.cpuS - before.cpuS;
  return {
    close: () => written.close(),
    metrics: {
      latencyP50Ms: quantile(latencies, 0.5),
      latencyP99Ms: quantile(latencies, 0.99),
      latencyMaxMs: latencies[latencies.length - 1] ?? Number.NaN,
      cpuUsPerLine: (cpuS / linesInWindow) * 1e6,
      cpuSPer100kLines: (cpuS / linesInWindow) * 1e5,
      cpuPercent: (cpuS / (scenario.measureMs / 1000)) * 100,
      // Mosquitto's share (0 for a contender with an embedded broker: it does that work itself).
      brokerCpuUsPerLine: (brokerCpuS / linesInWindow) * 1e6,
      steadyRssMb: quantile(
        rss.sort((a, b) => a - b),
        0.5,
      ),
      peakRssMb: after.peakRssMb,
      ...(eld === null ? {} : { eventLoopP99Ms: eld }),
      diskBytesPerMessage:
        (after.diskWriteBytes - before.diskWriteBytes) / (linesInWindow * contender.messagesPerLine),
      lost: expectedFor - Math.min(subscriber.count(), expectedFor),
    },
  };
}

/**
 * BENCH_LATENCIES=<dir>: every paced window's latencies, one `<written epoch ms> <latency ms>`
 * line per message, to `<dir>/<contender>-<n>.txt` — to see when the slow ones happen (a
 * period points at a timer, a cluster at one stall).
 */
function dumpLatencies(contender: Contender, samples: { writtenMs: number; latencyMs: number }[]): void {
  const dir = process.env['BENCH_LATENCIES'];
  if (dir === undefined) return;
  mkdirSync(dir, { recursive: true });
  let n = 1;
  while (existsSync(join(dir, `${contender.id}-${n}.txt`))) n += 1;
  const text = samples.map((s) => `${s.writtenMs.toFixed(3)} ${s.latencyMs.toFixed(3)}`).join('\n');
  writeFileSync(join(dir, `${contender.id}-${n}.txt`), `${text}\n`);
}

/**
 * RSS once a second over the window, and the CPU spent idling. The window starts 15 s after
 * the contender is ready: V8 keeps the young generation start-up grew it to (16 MiB
 * semi-spaces) until its memory reducer sees ~10 s of low allocation; what a site's daemon
 * holds for days is the figure after that.
 */
async function idle(scenario: Extract<Scenario, { kind: 'idle' }>, running: Running): Promise<Metrics> {
  await sleep(IDLE_SETTLE_MS);
  const before = sample(running.pids);
  const rss: number[] = [];
  for (let t = 0; t < scenario.measureMs; t += 1000) {
    await sleep(1000);
    rss.push(sample(running.pids).rssMb);
  }
  const after = sample(running.pids);
  return {
    steadyRssMb: quantile(
      rss.sort((a, b) => a - b),
      0.5,
    ),
    peakRssMb: after.peakRssMb,
    cpuPercent: ((after.cpuS - before.cpuS) / (scenario.measureMs / 1000)) * 100,
  };
}

/**
 * BENCH_STRACE: `perf` records the contender into /tmp/perf.data; `stat` counts its socket
 * and tty syscalls with perf's tracepoints (no stop per syscall, so the counts are of an
 * undisturbed run); anything else runs strace -c (which slows every syscall).
 */
function startTracer(running: Running): ReturnType<typeof spawn> | undefined {
  const mode = process.env['BENCH_STRACE'];
  if (mode === undefined) return undefined;
  const pid = String(running.pids[0]);
  const stdio: ['ignore', 'inherit', 'inherit'] = ['ignore', 'inherit', 'inherit'];
  if (mode === 'perf')
    return spawn('perf', ['record', '-F', '2000', '-g', '-o', '/tmp/perf.data', '-p', pid], { stdio });
  if (mode === 'stat') {
    const events = ['read', 'write', 'writev', 'epoll_pwait', 'pwrite64', 'fsync', 'fdatasync'];
    const list = events.map((name) => `syscalls:sys_enter_${name}`).join(',');
    return spawn('perf', ['stat', '-e', list, '-p', pid], { stdio });
  }
  return spawn('strace', ['-c', '-f', '-p', pid], { stdio });
}

function startWriter(data: Record<string, unknown>): Promise<WriterResult> {
  const worker = new Worker(new URL('./writer-worker.js', import.meta.url), { workerData: data });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    worker.once('message', (message: Omit<WriterResult, 'close'>) =>
      resolve({
        ...message,
        close: async () => {
          worker.postMessage('close');
          await exited;
        },
      }),
    );
    worker.once('error', reject);
  });
}

/** SIGUSR2 to the Node contender: its probe writes the delay since the last one. */
function probe(running: Running): void {
  if (running.probeFile !== null) for (const pid of running.pids) process.kill(pid, 'SIGUSR2');
}

async function readProbe(running: Running): Promise<number | null> {
  if (running.probeFile === null) return null;
  probe(running);
  await sleep(200);
  try {
    const report = JSON.parse(readFileSync(running.probeFile, 'utf8')) as { p99Ms: number; memory: unknown };
    if (process.env['BENCH_MEMORY'] !== undefined)
      console.log(`\n    memory: ${JSON.stringify(report.memory)}`);
    return report.p99Ms;
  } catch {
    return null;
  }
}

/** Waits for `done`, giving up when `progress` has not moved for `stallMs` (or after 5 min). */
async function until(done: () => boolean, stallMs: number, progress: () => number): Promise<void> {
  let last = progress();
  let lastMoved = Date.now();
  const deadline = Date.now() + 300_000;
  while (!done() && Date.now() < deadline) {
    await sleep(20);
    const now = progress();
    if (now !== last) {
      last = now;
      lastMoved = Date.now();
    } else if (Date.now() - lastMoved > stallMs) return;
  }
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
