// The rig every delivery scenario stands on:
//
//   ack device ─ socat pty ─ gateway (child process) ─ fault proxy ─ Mosquitto ─ mosquitto_sub
//
// The subscriber connects to Mosquitto directly (never through the proxy) at QoS 1 and
// stays connected, so whatever the proxy does to the gateway, the observer sees everything
// the broker accepted. Everything is on 127.0.0.1 and stopped by PID in stop().
//
// The gateway can be killed (kill -9, as in a crash), stopped (SIGTERM) and started again
// on the same config and the same queue file, while the pty, the proxy, the broker and the
// subscriber stay up: the crash and backlog scenarios.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFaultProxy } from './fault-proxy.ts';
import type { FaultProxy } from './fault-proxy.ts';
import { startGateway } from './gateway-process.ts';
import type { GatewayProcess } from './gateway-process.ts';
import { startMosquitto } from './mosquitto.ts';
import type { Mosquitto } from './mosquitto.ts';
import { subscribe } from './mqtt-sub.ts';
import type { Subscription } from './mqtt-sub.ts';
import { createPtyPair } from './socat.ts';
import type { PtyPair } from './socat.ts';
import { errorMessage } from '../../src/errors.ts';

const FIXTURES = new URL('../fixtures/delivery/', import.meta.url);
/** base_topic and port name of test/fixtures/delivery/gateway.yaml. */
export const DELIVERY_BASE = 'delivery/test';
export const METER_TOPIC = `${DELIVERY_BASE}/meter`;
export const HEALTH_TOPIC = `${DELIVERY_BASE}/gateway/health`;

export interface DeliveryRigOptions {
  /**
   * A gateway config in test/fixtures/delivery/ (default `gateway.yaml`), e.g.
   * `gateway-qos2.yaml` (the meter on devices/power-meter-qos2).
   */
  gatewayYaml?: string;
  /** The subscriber's QoS (default 1). */
  subscriberQos?: 1 | 2;
}

export interface RestartOptions {
  /**
   * What to wait for before resolving (default `port`): `port` — the meter port is open;
   * `broker` — also connected to the broker; `none` — just spawned (a crash test may kill
   * it again at any moment, start-up included).
   */
  wait?: 'none' | 'port' | 'broker';
  timeoutMs?: number;
}

export interface DeliveryRig {
  dir: string;
  broker: Mosquitto;
  proxy: FaultProxy;
  pty: PtyPair;
  /** The current gateway process (a new one after each restartGateway()). */
  readonly gateway: GatewayProcess;
  /** Every gateway process of this rig, oldest first; the last one is `gateway`. */
  readonly runs: readonly GatewayProcess[];
  /** On METER_TOPIC and HEALTH_TOPIC, straight to Mosquitto (QoS 1 unless subscriberQos). */
  sub: Subscription;
  /** The largest queue depth any gateway/health message reported so far (null: none seen). */
  maxHealthDepth(): number | null;
  /** kill -9 the current gateway (a crash) and wait until it is gone. Resolves with its exit. */
  kill9Gateway(): Promise<number | string>;
  /** SIGTERM the current gateway (a graceful stop) and wait; resolves with the exit code. */
  stopGateway(): Promise<number | string>;
  /** Starts the gateway again on the same config and queue file; the current one must have exited. */
  restartGateway(options?: RestartOptions): Promise<GatewayProcess>;
  /** The output of every run so far, each headed by `=== gateway run N (pid P) ===`. */
  gatewayLog(): string;
  stop(): Promise<void>;
}

export const DELIVERY_DEVICES_DIR = fileURLToPath(new URL('devices', FIXTURES));

export async function startDeliveryRig(options: DeliveryRigOptions = {}): Promise<DeliveryRig> {
  const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-delivery-'));
  const parts: Partial<Omit<DeliveryRig, 'gateway' | 'runs'>> = { dir };
  const runs: GatewayProcess[] = [];
  const exitedRuns = new WeakSet<GatewayProcess>();
  const current = (): GatewayProcess | undefined => runs[runs.length - 1];
  const stop = async (): Promise<void> => {
    await current()?.kill('SIGKILL');
    await parts.sub?.stop();
    await parts.proxy?.close();
    await parts.pty?.kill();
    await parts.broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    parts.broker = await startMosquitto({
      config: readFileSync(new URL('mosquitto.conf', FIXTURES), 'utf8'),
    });
    const broker = parts.broker;
    parts.proxy = await startFaultProxy({ target: { host: broker.host, port: broker.port } });
    parts.pty = await createPtyPair(dir, { device: 'meter-dev', gateway: 'meter-gw' });
    parts.sub = await subscribe({
      host: broker.host,
      port: broker.port,
      topics: [METER_TOPIC, HEALTH_TOPIC],
      qos: options.subscriberQos ?? 1,
      protocolV5: true,
      // A subscriber that loses its own connection resumes its session: what it missed is
      // queued by the broker, so "missing" can only mean the gateway lost it.
      persistent: true,
    });
    copyFileSync(new URL(options.gatewayYaml ?? 'gateway.yaml', FIXTURES), join(dir, 'gateway.yaml'));
    runs.push(launch(dir, parts.proxy, parts.pty, exitedRuns));
    const first = runs[0] as GatewayProcess;
    // Connected to the broker (health is published on every connect) and the port is open.
    const gatewayExit = first.exited.then((code) => {
      throw new Error(`gateway exited (${code})`);
    });
    gatewayExit.catch(() => undefined);
    await Promise.race([parts.sub.waitFor((m) => m.topic === HEALTH_TOPIC, 20_000), gatewayExit]);
    await first.waitForOutput(`opened ${parts.pty.gatewayPath}`, 20_000);
  } catch (error) {
    const run = current();
    const output = run === undefined ? '' : `\ngateway output:\n${run.stdout()}${run.stderr()}`;
    await stop();
    throw new Error(`delivery rig did not start: ${errorMessage(error)}${output}`, { cause: error });
  }
  const sub = parts.sub;
  const { proxy, pty } = parts as Required<typeof parts>;
  return {
    ...(parts as Omit<DeliveryRig, 'gateway' | 'runs' | 'maxHealthDepth' | 'stop'>),
    get gateway() {
      return current() as GatewayProcess;
    },
    runs,
    async kill9Gateway() {
      return (current() as GatewayProcess).kill('SIGKILL');
    },
    async stopGateway() {
      return (current() as GatewayProcess).kill('SIGTERM');
    },
    async restartGateway(restart = {}) {
      const previous = current() as GatewayProcess;
      if (!exitedRuns.has(previous))
        throw new Error(`restartGateway: the gateway (pid ${previous.pid}) is still running`);
      const run = launch(dir, proxy, pty, exitedRuns);
      runs.push(run);
      const wait = restart.wait ?? 'port';
      const timeoutMs = restart.timeoutMs ?? 30_000;
      if (wait !== 'none') await run.waitForOutput(`opened ${pty.gatewayPath}`, timeoutMs);
      if (wait === 'broker') await run.waitForOutput('connected to broker', timeoutMs);
      return run;
    },
    gatewayLog() {
      return runs
        .map((r, i) => `=== gateway run ${i + 1} (pid ${r.pid}) ===\n${r.stdout()}${r.stderr()}`)
        .join('');
    },
    maxHealthDepth() {
      let max: number | null = null;
      for (const m of sub.messages) {
        if (m.topic !== HEALTH_TOPIC) continue;
        const depth = healthDepth(m.payload);
        if (depth !== undefined) max = Math.max(max ?? 0, depth);
      }
      return max;
    },
    stop,
  };
}

/** One gateway process on the rig's config (copied into `dir`, so data/queue.db is there too). */
function launch(
  dir: string,
  proxy: FaultProxy,
  pty: PtyPair,
  exited: WeakSet<GatewayProcess>,
): GatewayProcess {
  // cwd stays the repository (`--import tsx` resolves from there); paths come from -c.
  const run = startGateway(['run', '-c', join(dir, 'gateway.yaml')], {
    env: {
      TTY2MQTT_TEST_BROKER_URL: proxy.url,
      TTY2MQTT_TEST_METER_PATH: pty.gatewayPath,
      TTY2MQTT_TEST_DEVICES_DIR: DELIVERY_DEVICES_DIR,
    },
  });
  void run.exited.then(() => exited.add(run));
  return run;
}

export function healthDepth(payload: string): number | undefined {
  try {
    const depth = (JSON.parse(payload) as { queue?: { depth?: unknown } }).queue?.depth;
    return typeof depth === 'number' ? depth : undefined;
  } catch {
    return undefined;
  }
}
