// The programs under test, each started the way its users start it, against the same
// broker and the gateway ends of the same kind of pty pairs:
//   mosquitto_pub -l   one process per port, stdin = the tty (a line = one message);
//   naive              bench/naive-gateway.js (serialport + ReadlineParser + MQTT.js);
//   lean               bench/lean-gateway.js (tty.ReadStream + MQTT.js: the Node floor);
//   lean-rm            the same floor keeping to the broker's Receive Maximum, as MQTT 5 asks;
//   tty2mqtt           the real CLI with a generated gateway.yaml and bench/devices/.
// Node contenders get bench/probe/event-loop.js preloaded for their event-loop delay.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/helpers/ports.ts';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PROBE = join(REPO, 'bench/probe/event-loop.js');

export interface RigPorts {
  brokerPort: number;
  /** Gateway ends of the pty pairs, named p0, p1, … */
  ports: { name: string; path: string }[];
  runDir: string;
  runIndex: number;
}

export interface Running {
  pids: number[];
  /** Where the event-loop probe writes on SIGUSR2 (Node contenders only). */
  probeFile: string | null;
  stop(): Promise<void>;
}

export interface Contender {
  id: string;
  qos: 0 | 1;
  /** The contender whose figures this one's ratios are against (same QoS); itself for baselines. */
  baseline: string;
  /** Messages published per line of the throughput runs (`temp=…,hum=…`). */
  messagesPerLine: number;
  /** Messages it publishes for the writer's opening empty line, per port. */
  primingMessages: number;
  start(rig: RigPorts): Promise<Running>;
  /** Runs only in burst scenarios unless --only names it (its difference shows only there). */
  burstOnly?: boolean;
  /** Set when the contender runs its own broker: the port the subscriber connects to. */
  ownBroker?: (rig: RigPorts) => number;
}

export function contenders(): Contender[] {
  return [
    mosquittoPub(0),
    naive(0),
    tty2mqtt(0, 'normal'),
    mosquittoPub(1),
    naive(1),
    lean(1),
    leanWithinWindow(),
    tty2mqtt(1, 'normal'),
    tty2mqtt(1, 'full'),
    tty2mqttEmbedded(),
    ...otherBuild(),
  ];
}

function mosquittoPub(qos: 0 | 1): Contender {
  return {
    id: `mosquitto_pub-q${qos}`,
    qos,
    baseline: `naive-q${qos}`,
    messagesPerLine: 1,
    primingMessages: 1,
    async start(rig) {
      const children = rig.ports.map((port) => {
        const fd = openSync(port.path, 'r');
        const child = spawn(
          'mosquitto_pub',
          ['-h', '127.0.0.1', '-p', String(rig.brokerPort), '-q', String(qos), '-l'].concat([
            '-i',
            `mp${rig.runIndex}${port.name}`,
            '-t',
            `bench/mp/${port.name}/line`,
          ]),
          { stdio: [fd, 'ignore', 'inherit'] },
        );
        closeSync(fd);
        return child;
      });
      // mosquitto_pub says nothing when connected; it connects in a few ms on loopback.
      await new Promise((resolve) => setTimeout(resolve, 500));
      return { pids: pidsOf(children), probeFile: null, stop: () => stopAll(children) };
    },
  };
}

/** A one-file Node gateway under bench/ (naive by default), with its own environment. */
function naive(
  qos: 0 | 1,
  id = `naive-q${qos}`,
  script = 'bench/naive-gateway.js',
  env: Record<string, string> = {},
): Contender {
  return {
    id,
    qos,
    baseline: `naive-q${qos}`,
    messagesPerLine: 2,
    primingMessages: 0,
    async start(rig) {
      const probeFile = join(rig.runDir, 'probe.json');
      const args = ['--import', PROBE, join(REPO, script)];
      args.push(`mqtt://127.0.0.1:${rig.brokerPort}`, String(qos), 'bench/naive');
      for (const port of rig.ports) args.push(`${port.name}=${port.path}`);
      const child = spawnNode(args, probeFile, REPO, env);
      await waitForOutput(child, (out) => count(out, 'opened ') >= rig.ports.length, id);
      await new Promise((resolve) => setTimeout(resolve, 300)); // MQTT connect: no output
      return { pids: pidsOf([child]), probeFile, stop: () => stopAll([child]) };
    },
  };
}

/** bench/lean-gateway.js: tty.ReadStream + MQTT.js and nothing else (the Node floor). */
function lean(qos: 0 | 1): Contender {
  return naive(qos, `lean-q${qos}`, 'bench/lean-gateway.js');
}

/**
 * The same floor as a compliant MQTT 5 client (LEAN_FLOW=receive-maximum): no more QoS 1
 * PUBLISHes unacknowledged than the broker's Receive Maximum, as tty2mqtt sends.
 */
function leanWithinWindow(): Contender {
  // A window that never fills changes nothing: the paced scenarios would measure lean twice.
  return {
    ...naive(1, 'lean-rm-q1', 'bench/lean-gateway.js', { LEAN_FLOW: 'receive-maximum' }),
    burstOnly: true,
  };
}

/** `cli`: the bundle to run (another checkout's for the -other contenders). */
function tty2mqtt(qos: 0 | 1, durability: 'normal' | 'full', cli?: string): Contender {
  return {
    id: qos === 0 ? 'tty2mqtt-q0' : `tty2mqtt-q1-${durability}`,
    qos,
    baseline: `naive-q${qos}`,
    messagesPerLine: 2,
    primingMessages: 0,
    start(rig) {
      const config = join(rig.runDir, 'gateway.yaml');
      writeFileSync(config, gatewayYaml(rig, qos, durability));
      return startTty2mqtt(rig, config, cli);
    },
  };
}

/**
 * BENCH_OTHER_BUILD=<checkout>: tty2mqtt-q1-other and tty2mqtt-q0-other run that checkout's
 * bundle (built there with `npm run build`) with the same configurations as
 * tty2mqtt-q1-normal and tty2mqtt-q0, alternating with them in one run — a change compared
 * with the build before it, repetition by repetition, instead of across runs whose noise is
 * larger than the change.
 */
function otherBuild(): Contender[] {
  const checkout = process.env['BENCH_OTHER_BUILD'];
  if (checkout === undefined) return [];
  const cli = join(checkout, 'dist/cli.js');
  return [
    { ...tty2mqtt(1, 'normal', cli), id: 'tty2mqtt-q1-other' },
    { ...tty2mqtt(0, 'normal', cli), id: 'tty2mqtt-q0-other' },
  ];
}

/**
 * tty2mqtt as a standalone site runs it: `broker: embedded` (aedes in the same process), the
 * subscriber connected to that broker. Its CPU includes the broker's work; compare it with
 * tty2mqtt-q1-normal's CPU plus Mosquitto's (brokerCpuUsPerLine).
 */
function tty2mqttEmbedded(): Contender {
  const base = tty2mqtt(1, 'normal');
  const ports = new Map<number, number>();
  return {
    ...base,
    id: 'tty2mqtt-q1-embedded',
    async start(rig) {
      const port = await freePort();
      ports.set(rig.runIndex, port);
      const config = join(rig.runDir, 'gateway.yaml');
      writeFileSync(config, gatewayYaml(rig, 1, 'normal', port));
      return startTty2mqtt(rig, config);
    },
    ownBroker: (rig) => ports.get(rig.runIndex) ?? 0,
  };
}

async function startTty2mqtt(
  rig: RigPorts,
  config: string,
  cli = join(REPO, 'dist/cli.js'),
): Promise<Running> {
  const probeFile = join(rig.runDir, 'probe.json');
  // The bundle itself, as an installed package's bin runs it. Not through this checkout's
  // bin/tty2mqtt.js: it switches to the TypeScript sources (tsx, ~35 MB more) as soon as one
  // is newer than the bundle, so a source saved during a run would change what is measured.
  const args = ['--import', PROBE, cli, 'run', '--config', config];
  const child = spawnNode(args, probeFile, rig.runDir);
  await waitForOutput(
    child,
    (out) => out.includes('connected to broker') && count(out, ': opened ') >= rig.ports.length,
    'tty2mqtt',
  );
  return { pids: pidsOf([child]), probeFile, stop: () => stopAll([child]) };
}

/** `embeddedPort`: the gateway runs its own broker there instead of using the rig's Mosquitto. */
function gatewayYaml(rig: RigPorts, qos: 0 | 1, durability: string, embeddedPort?: number): string {
  const ports = rig.ports
    .map((p) => `  - { name: ${p.name}, path: ${p.path}, device: bench-kv-q${qos}, idle_timeout: 0 }`)
    .join('\n');
  return [
    'version: 1',
    `gateway: { id: bench${rig.runIndex}, base_topic: bench/tty }`,
    embeddedPort === undefined
      ? `mqtt: { broker: external, url: "mqtt://127.0.0.1:${rig.brokerPort}", protocol_version: ${process.env['BENCH_TTY2MQTT_PROTOCOL'] ?? 5} }`
      : `mqtt: { broker: embedded }\nembedded_broker: { listen: "127.0.0.1:${embeddedPort}" }`,
    `devices_dir: ${join(REPO, 'bench/devices')}`,
    `queue: { path: ${join(rig.runDir, 'queue.db')}, durability: ${durability}, inflight: ${process.env['BENCH_TTY2MQTT_INFLIGHT'] ?? 32}, write_delay: ${process.env['BENCH_TTY2MQTT_WRITE_DELAY'] ?? '100ms'} }`,
    'ports:',
    ports,
    'log: { level: info }',
    '',
  ].join('\n');
}

/** BENCH_CPU_PROF=<dir>: every Node contender writes a V8 CPU profile there at exit. */
function spawnNode(
  args: string[],
  probeFile: string,
  cwd = REPO,
  env: Record<string, string> = {},
): ChildProcess {
  const profileDir = process.env['BENCH_CPU_PROF'];
  const prof = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
  // BENCH_NODE_ARGS: more node flags for the Node contenders (e.g. --perf-basic-prof).
  prof.push(...(process.env['BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? []));
  return spawn(process.execPath, [...prof, ...args], {
    cwd,
    env: { ...process.env, ...env, BENCH_PROBE_FILE: probeFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const MAX_OUTPUT = 256 * 1024;

async function waitForOutput(
  child: ChildProcess,
  ready: (out: string) => boolean,
  what: string,
): Promise<void> {
  let out = '';
  const collect = (chunk: Buffer): void => {
    if (out.length < MAX_OUTPUT) out += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // BENCH_LOG=<file>: keep everything the contender prints (e.g. with --trace-gc).
  const logFile = process.env['BENCH_LOG'];
  if (logFile !== undefined) {
    child.stdout?.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
    child.stderr?.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
  }
  const deadline = Date.now() + 20_000;
  while (!ready(out)) {
    if (child.exitCode !== null) throw new Error(`${what} exited at start:\n${out}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready within 20 s:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

function pidsOf(children: ChildProcess[]): number[] {
  return children.map((c) => c.pid).filter((pid): pid is number => pid !== undefined);
}

/** SIGTERM each child we started (by its PID), SIGKILL after 5 s. */
async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
}
