// The rig every delivery scenario of issue 3 stands on:
//
//   ack device ─ socat pty ─ gateway (child process) ─ fault proxy ─ Mosquitto ─ mosquitto_sub
//
// The subscriber connects to Mosquitto directly (never through the proxy) at QoS 1 and
// stays connected, so whatever the proxy does to the gateway, the observer sees everything
// the broker accepted. Everything is on 127.0.0.1 and stopped by PID in stop().
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const FIXTURES = new URL('../fixtures/delivery/', import.meta.url);
/** base_topic and port name of test/fixtures/delivery/gateway.yaml. */
export const DELIVERY_BASE = 'delivery/test';
export const METER_TOPIC = `${DELIVERY_BASE}/meter`;
export const HEALTH_TOPIC = `${DELIVERY_BASE}/gateway/health`;

export interface DeliveryRig {
  dir: string;
  broker: Mosquitto;
  proxy: FaultProxy;
  pty: PtyPair;
  gateway: GatewayProcess;
  /** On METER_TOPIC and HEALTH_TOPIC, QoS 1, straight to Mosquitto. */
  sub: Subscription;
  /** The largest queue depth any gateway/health message reported so far (null: none seen). */
  maxHealthDepth(): number | null;
  stop(): Promise<void>;
}

export async function startDeliveryRig(): Promise<DeliveryRig> {
  const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-delivery-'));
  const parts: Partial<DeliveryRig> = { dir };
  const stop = async (): Promise<void> => {
    await parts.gateway?.kill('SIGKILL');
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
      qos: 1,
      protocolV5: true,
    });
    copyFileSync(new URL('gateway.yaml', FIXTURES), join(dir, 'gateway.yaml'));
    // cwd stays the repository (`--import tsx` resolves from there); paths come from -c.
    parts.gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')], {
      env: { TTY2MQTT_TEST_BROKER_URL: parts.proxy.url, TTY2MQTT_TEST_METER_PATH: parts.pty.gatewayPath },
    });
    // Connected to the broker (health is published on every connect) and the port is open.
    const gatewayExit = parts.gateway.exited.then((code) => {
      throw new Error(`gateway exited (${code})`);
    });
    gatewayExit.catch(() => undefined);
    await Promise.race([parts.sub.waitFor((m) => m.topic === HEALTH_TOPIC, 20_000), gatewayExit]);
    await parts.gateway.waitForOutput(`opened ${parts.pty.gatewayPath}`, 20_000);
  } catch (error) {
    const output =
      parts.gateway === undefined
        ? ''
        : `\ngateway output:\n${parts.gateway.stdout()}${parts.gateway.stderr()}`;
    await stop();
    throw new Error(`delivery rig did not start: ${(error as Error).message}${output}`, { cause: error });
  }
  const sub = parts.sub;
  return {
    ...(parts as Omit<DeliveryRig, 'maxHealthDepth' | 'stop'>),
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

function healthDepth(payload: string): number | undefined {
  try {
    const depth = (JSON.parse(payload) as { queue?: { depth?: unknown } }).queue?.depth;
    return typeof depth === 'number' ? depth : undefined;
  } catch {
    return undefined;
  }
}
