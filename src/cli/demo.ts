// `tty2mqtt demo`: the real gateway — embedded broker, line pipeline, publisher — with
// simulated devices from devices/ on serialport's mock binding, printing the live topic
// stream. Needs nothing but Node (docs/contract.md §1).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway } from '../app/gateway.ts';
import { loadConfig } from '../config/load.ts';
import { parseDuration } from '../config/units.ts';
import { startDemoDevices } from '../demo/binding.ts';
import { ErrorCodes, GatewayError } from '../errors.ts';
import { createLogger } from '../log/logger.ts';
import { watchTopics } from '../mqtt/watch.ts';
import type { CommandContext } from './context.ts';
import { stringArg } from './context.ts';
import { SHIPPED_DEVICES_DIR } from './shipped.ts';
import { packagePath } from '../package-root.ts';

const DEMO_CONFIG = packagePath('src', 'demo', 'demo.yaml');

/** True when nothing listens on host:port yet. */
function isFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function chooseListen(requested: string | undefined): Promise<{ listen: string; note: string }> {
  if (requested !== undefined) return { listen: requested, note: '' };
  if (await isFree('127.0.0.1', 1883)) return { listen: '127.0.0.1:1883', note: '' };
  return { listen: '127.0.0.1:0', note: ' (1883 is taken, so a free port was chosen)' };
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

export async function demoCommand(context: CommandContext): Promise<number> {
  const intervalText = stringArg(context, 'interval') ?? '2s';
  const intervalMs = parseDuration(intervalText);
  if (intervalMs === undefined || intervalMs <= 0)
    throw new GatewayError(
      ErrorCodes.USAGE,
      `--interval must be a duration such as 500ms or 2s, got "${intervalText}"`,
    );
  const { listen, note } = await chooseListen(stringArg(context, 'listen'));
  const stateDir = mkdtempSync(join(tmpdir(), 'tty2mqtt-demo-'));
  try {
    return await runDemo(context, intervalText, intervalMs, listen, note, stateDir);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function runDemo(
  context: CommandContext,
  intervalText: string,
  intervalMs: number,
  listen: string,
  note: string,
  stateDir: string,
): Promise<number> {
  const loaded = await loadConfig({
    file: DEMO_CONFIG,
    cwd: context.cwd,
    env: { ...context.env, TTY2MQTT_DEMO_LISTEN: listen, TTY2MQTT_DEMO_QUEUE: join(stateDir, 'queue.db') },
    shippedDevicesDir: SHIPPED_DEVICES_DIR,
  });
  const { config, profiles } = loaded;
  const devices = startDemoDevices(
    new Map(config.ports.map((p) => [p.path, profiles.get(p.device)!] as const)),
    { intervalMs, nodeIds: [12, 13] },
  );
  const log = createLogger({ level: config.log.level, pretty: context.isTTY });
  const gateway = await Gateway.open({ loaded, log, binding: devices.binding, healthIntervalMs: 30_000 });
  const out = (line: string): void => void context.stdout.write(`${line}\n`);
  try {
    await gateway.start(context.signal);
  } catch (error) {
    await devices.stop();
    await gateway.stop(2000);
    throw error;
  }
  const address = gateway.brokerAddress()!;
  const base = config.gateway.base_topic;
  out(`tty2mqtt demo: embedded MQTT broker on ${address.host}:${address.port}${note}`);
  out(
    `simulated devices: ${config.ports.map((p) => `${p.name} (${p.device})`).join(', ')}; a reading every ${intervalText}`,
  );
  out(`watch from another terminal: mosquitto_sub -h ${address.host} -p ${address.port} -t '${base}/#' -v`);
  out('Ctrl-C stops.\n');
  const watcher = watchTopics(`mqtt://${address.host}:${address.port}`, `${base}/#`, (m) => {
    const text = m.payload.toString('utf8');
    const shown = text.length > 120 ? `${text.slice(0, 117)}...` : text;
    out(`${clock()}  ${m.topic.padEnd(40)} ${shown}${m.retain ? '  (retained)' : ''}`);
  });
  await new Promise<void>((resolve) => {
    if (context.signal.aborted) resolve();
    else context.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  out('\nstopping…');
  await watcher.stop();
  await devices.stop();
  await gateway.stop(5000);
  return 0;
}
