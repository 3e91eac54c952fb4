// Part 2 of bench/mqttsn.ts: round-trip latency over a pty, through the real daemon.
// One Mosquitto, two socat pty pairs and `node bin/tty2mqtt.js run --config …` with two
// ports: `sn` (devices/sn-weather: MQTT-SN, raw framing) and `line` (devices/power-meter:
// `#seq` lines with ACK, the baseline). Each device in turn sends at a steady rate for a
// window — paced by a 1 ms timer that catches up, never waiting for answers — and records
// PUBLISH→PUBACK (or line→ACK) per message. Windows alternate sn, line, line, sn, … so a
// machine that gets slower or faster during the run weighs on both alike. A mosquitto_sub
// counts what reached the broker for each port.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMosquitto } from '../../test/helpers/mosquitto.ts';
import type { Mosquitto } from '../../test/helpers/mosquitto.ts';
import { subscribe } from '../../test/helpers/mqtt-sub.ts';
import type { Subscription } from '../../test/helpers/mqtt-sub.ts';
import { createPtyPair } from '../../test/helpers/socat.ts';
import type { PtyPair } from '../../test/helpers/socat.ts';
import { sample } from '../e2e/proc-stats.ts';
import { openLineDevice, openSnDevice } from './devices.ts';
import type { BenchDevice } from './devices.ts';
import { fmt, percentile, sleep } from './stats.ts';

export interface RoundTripOptions {
  repo: string;
  dir: string;
  rate: number;
  warmupMs: number;
  measureMs: number;
  /** Windows per device, alternating (sn, line, line, sn, …). */
  rounds: number;
  lostAfterMs: number;
}

export interface WindowResult {
  device: string;
  round: number;
  sent: number;
  acked: number;
  lost: number;
  ratePerS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  gatewayCpuPercent: number;
}

export interface DeviceSummary {
  device: string;
  profile: string;
  sent: number;
  acked: number;
  lost: number;
  ratePerS: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  gatewayCpuPercent: number;
  /** Every message the device sent (warm-ups and priming included) and what reached the broker. */
  totalSent: number;
  totalAcked: number;
  reachedBroker: number;
  problems: Record<string, number>;
}

export interface RoundTripResult {
  rate: number;
  measureS: number;
  warmupS: number;
  rounds: number;
  gatewayRuns: string;
  windows: WindowResult[];
  devices: DeviceSummary[];
  /** Messages the subscriber saw under bench/sn/#, by topic. */
  topics: Record<string, number>;
}

/** Where each port's readings arrive (sn-weather: topic id 1 → temperature; power-meter: json mode). */
const SN_TOPIC = 'bench/sn/sn/temperature';
const LINE_TOPIC = 'bench/sn/line';

export async function runRoundTrip(
  options: RoundTripOptions,
  progress: (text: string) => void,
): Promise<RoundTripResult> {
  let broker: Mosquitto | undefined;
  const pairs: PtyPair[] = [];
  let gateway: Gateway | undefined;
  let subscription: Subscription | undefined;
  const devices: BenchDevice[] = [];
  try {
    broker = await startMosquitto();
    const snPair = await createPtyPair(options.dir, { device: 'sn-dev', gateway: 'sn-tty' });
    pairs.push(snPair);
    const linePair = await createPtyPair(options.dir, { device: 'line-dev', gateway: 'line-tty' });
    pairs.push(linePair);
    subscription = await subscribe({ host: '127.0.0.1', port: broker.port, topics: ['bench/sn/#'], qos: 1 });
    const config = join(options.dir, 'gateway.yaml');
    writeFileSync(
      config,
      [
        'version: 1',
        'gateway: { id: benchsn, base_topic: bench/sn }',
        `mqtt: { broker: external, url: "${broker.url}" }`,
        `devices_dir: ${join(options.repo, 'devices')}`,
        `queue: { path: ${join(options.dir, 'queue.db')} }`,
        'ports:',
        `  - { name: sn, path: ${snPair.gatewayPath}, device: sn-weather, idle_timeout: 0 }`,
        `  - { name: line, path: ${linePair.gatewayPath}, device: power-meter, idle_timeout: 0 }`,
        'log: { level: info }',
        '',
      ].join('\n'),
    );
    gateway = await startGateway(options.repo, config, options.dir, 2);
    const sn = await openSnDevice(snPair.devicePath, options.lostAfterMs);
    devices.push(sn);
    const line = await openLineDevice(linePair.devicePath, options.lostAfterMs);
    devices.push(line);
    progress(`  gateway pid ${gateway.pid} (${gateway.runs}); MQTT-SN client connected, power meter primed`);

    const windows: WindowResult[] = [];
    const pooled = new Map<string, { samples: number[]; cpuS: number; wallS: number }>();
    for (let round = 0; round < options.rounds; round += 1) {
      const order = round % 2 === 0 ? [sn, line] : [line, sn];
      for (const device of order) {
        const { window, samples, cpuS, wallS } = await measureWindow(device, round, gateway.pid, options);
        windows.push(window);
        const pool = pooled.get(device.name) ?? { samples: [], cpuS: 0, wallS: 0 };
        pool.samples.push(...samples);
        pool.cpuS += cpuS;
        pool.wallS += wallS;
        pooled.set(device.name, pool);
        progress(
          `  ${device.name.padEnd(8)} #${round + 1}: sent ${window.sent} at ${fmt(window.ratePerS)}/s, ` +
            `acked ${window.acked}, lost ${window.lost}, p50 ${fmt(window.p50Ms)} ms, ` +
            `p99 ${fmt(window.p99Ms)} ms, max ${fmt(window.maxMs)} ms, gateway CPU ${fmt(window.gatewayCpuPercent)}%`,
        );
      }
    }

    // What reached the broker: wait until every acknowledged message is there, or nothing
    // new arrived for 3 s.
    const reached = (topic: string): number =>
      subscription?.messages.filter((m) => m.topic === topic).length ?? 0;
    const expected = sn.trips.totalAcked + line.trips.totalAcked;
    let last = -1;
    let stableSince = performance.now();
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline) {
      const now = reached(SN_TOPIC) + reached(LINE_TOPIC);
      if (now >= expected) break;
      if (now !== last) {
        last = now;
        stableSince = performance.now();
      } else if (performance.now() - stableSince > 3000) break;
      await sleep(100);
    }

    const summaries = [
      { device: sn, profile: 'sn-weather (MQTT-SN raw, PUBLISH QoS 1 → PUBACK)', topic: SN_TOPIC },
      { device: line, profile: 'power-meter (#seq line → ACK)', topic: LINE_TOPIC },
    ].map(({ device, profile, topic }): DeviceSummary => {
      const own = windows.filter((w) => w.device === device.name);
      const pool = pooled.get(device.name) ?? { samples: [], cpuS: 0, wallS: 0 };
      const sorted = [...pool.samples].sort((a, b) => a - b);
      const sent = own.reduce((n, w) => n + w.sent, 0);
      const acked = own.reduce((n, w) => n + w.acked, 0);
      return {
        device: device.name,
        profile,
        sent,
        acked,
        lost: own.reduce((n, w) => n + w.lost, 0),
        ratePerS: sent / ((options.measureMs / 1000) * own.length),
        p50Ms: percentile(sorted, 50),
        p90Ms: percentile(sorted, 90),
        p99Ms: percentile(sorted, 99),
        maxMs: sorted[sorted.length - 1] ?? Number.NaN,
        meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
        gatewayCpuPercent: (pool.cpuS / pool.wallS) * 100,
        totalSent: device.trips.totalSent,
        totalAcked: device.trips.totalAcked,
        reachedBroker: reached(topic),
        problems: device.problems(),
      };
    });
    return {
      rate: options.rate,
      measureS: options.measureMs / 1000,
      warmupS: options.warmupMs / 1000,
      rounds: options.rounds,
      gatewayRuns: gateway.runs,
      windows,
      devices: summaries,
      topics: Object.fromEntries(
        [...new Set(subscription.messages.map((m) => m.topic))].map((t) => [t, reached(t)]),
      ),
    };
  } finally {
    for (const device of devices) await device.close();
    await gateway?.stop();
    await subscription?.stop();
    for (const pair of pairs) await pair.kill();
    await broker?.stop();
  }
}

async function measureWindow(
  device: BenchDevice,
  round: number,
  gatewayPid: number,
  options: RoundTripOptions,
): Promise<{ window: WindowResult; samples: number[]; cpuS: number; wallS: number }> {
  device.trips.reset();
  let before: { cpuS: number; at: number } | undefined;
  await pace(options.rate, options.warmupMs + options.measureMs, (n, elapsedMs) => {
    const measured = elapsedMs >= options.warmupMs;
    if (measured && before === undefined) before = { cpuS: sample([gatewayPid]).cpuS, at: performance.now() };
    device.send(n, measured);
  });
  const afterCpu = sample([gatewayPid]).cpuS;
  const afterAt = performance.now();
  // Answers for the last messages: wait until none is in flight, at most lostAfterMs.
  const deadline = performance.now() + options.lostAfterMs;
  while (device.trips.inFlight() > 0 && performance.now() < deadline) await sleep(10);
  const trips = device.trips;
  const sorted = [...trips.samples].sort((a, b) => a - b);
  const cpuS = afterCpu - (before?.cpuS ?? afterCpu);
  const wallS = (afterAt - (before?.at ?? afterAt)) / 1000;
  return {
    window: {
      device: device.name,
      round: round + 1,
      sent: trips.measuredSent,
      acked: trips.measuredAcked,
      lost: trips.measuredSent - trips.measuredAcked,
      ratePerS: trips.measuredSent / wallS,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted[sorted.length - 1] ?? Number.NaN,
      gatewayCpuPercent: (cpuS / wallS) * 100,
    },
    samples: trips.samples,
    cpuS,
    wallS,
  };
}

/**
 * Calls `send(n, elapsedMs)` so that `rate` messages per second go out for `durationMs`:
 * a 1 ms timer sends whatever is due, so a late tick catches up with a small burst.
 */
function pace(
  rate: number,
  durationMs: number,
  send: (n: number, elapsedMs: number) => void,
): Promise<number> {
  const total = Math.round((rate * durationMs) / 1000);
  const start = performance.now();
  let sent = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const elapsed = performance.now() - start;
      const due = Math.min(total, Math.floor((elapsed * rate) / 1000) + 1);
      if (due > sent) {
        send(due - sent, elapsed);
        sent = due;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve(elapsed);
      }
    };
    const timer = setInterval(tick, 1);
    tick();
  });
}

interface Gateway {
  pid: number;
  /** 'bundle' (dist/cli.js) or 'tsx' (sources), as bin/tty2mqtt.js chose. */
  runs: string;
  stop(): Promise<void>;
}

async function startGateway(repo: string, config: string, cwd: string, ports: number): Promise<Gateway> {
  const runs = bundleIsFresh(repo) ? 'bundle dist/cli.js' : 'tsx sources';
  const child: ChildProcess = spawn(
    process.execPath,
    [join(repo, 'bin/tty2mqtt.js'), 'run', '--config', config],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const collect = (chunk: Buffer): void => {
    out = (out + chunk.toString()).slice(-256 * 1024);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  const opened = (): number => out.split(': opened ').length - 1;
  while (!(out.includes('connected to broker') && opened() >= ports)) {
    if (child.exitCode !== null) throw new Error(`tty2mqtt exited at start:\n${out}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`tty2mqtt not ready within 30 s:\n${out}`);
    }
    await sleep(20);
  }
  if (child.pid === undefined) throw new Error('tty2mqtt has no pid');
  return { pid: child.pid, runs, stop };
}

/** bin/tty2mqtt.js's own rule: the bundle runs when it is at least as new as every source. */
function bundleIsFresh(repo: string): boolean {
  const bundle = join(repo, 'dist/cli.js');
  if (!existsSync(bundle)) return false;
  const newest = (dir: string): number => {
    let n = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) n = Math.max(n, newest(path));
      else if (entry.name.endsWith('.ts')) n = Math.max(n, statSync(path).mtimeMs);
    }
    return n;
  };
  return statSync(bundle).mtimeMs >= newest(join(repo, 'src'));
}
