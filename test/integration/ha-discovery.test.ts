// Home Assistant discovery end to end: the real daemon with
// `homeassistant: { discovery: true }`, two ports on socat ptys and a real Mosquitto. The
// retained configs appear for every field and command, are published again when Home
// Assistant's birth message (`online` on homeassistant/status) arrives, and a restart with
// one port removed from the config clears that port's configs and keeps the others.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { ReceivedMessage, Subscription } from '../helpers/mqtt-sub.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';

const BASE = 'iot/home1';
const NODE = 'homeassistant/+/tty2mqtt_testgw/+/config';
const config = (component: string, objectId: string): string =>
  `homeassistant/${component}/tty2mqtt_testgw/${objectId}/config`;

const GATEWAY = [config('binary_sensor', 'gateway_connectivity')];
const LIVINGROOM = [
  config('sensor', 'livingroom_temperature'),
  config('sensor', 'livingroom_humidity'),
  config('select', 'livingroom_led'),
];
const GARDEN = [
  config('sensor', 'garden_moisture'),
  config('sensor', 'garden_raw'),
  config('sensor', 'garden_battery'),
  config('switch', 'garden_pump'),
];

function gatewayYaml(url: string, ports: { name: string; path: string; device: string }[]): string {
  return [
    'version: 1',
    'gateway: { id: testgw, base_topic: iot/home1 }',
    `mqtt: { broker: external, url: "${url}", keepalive: 5s }`,
    'homeassistant: { discovery: true }',
    'ports:',
    ...ports.map((p) => `  - { name: ${p.name}, path: "${p.path}", device: ${p.device}, idle_timeout: 0 }`),
    'log: { level: debug }',
  ].join('\n');
}

/** The retained configs under our node id, as a subscriber arriving now sees them. */
async function retainedConfigs(broker: Mosquitto): Promise<Map<string, string>> {
  const late = await subscribe({ host: broker.host, port: broker.port, topics: [NODE], qos: 1 });
  try {
    // Retained messages are sent right after the SUBACK, before the readiness probe returns.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return new Map(late.messages.filter((m) => m.retain).map((m) => [m.topic, m.payload]));
  } finally {
    await late.stop();
  }
}

function configsOf(messages: readonly ReceivedMessage[], topics: readonly string[]): ReceivedMessage[] {
  return messages.filter((m) => topics.includes(m.topic));
}

describe('Home Assistant discovery with a real Mosquitto', () => {
  let dir: string;
  let broker: Mosquitto;
  let climate: PtyPair;
  let soil: PtyPair;
  let gateway: GatewayProcess | undefined;
  let sub: Subscription;
  let ports: { name: string; path: string; device: string }[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-ha-'));
    broker = await startMosquitto();
    climate = await createPtyPair(dir, { device: 'climate-dev', gateway: 'climate-gw' });
    soil = await createPtyPair(dir, { device: 'soil-dev', gateway: 'soil-gw' });
    ports = [
      { name: 'livingroom', path: climate.gatewayPath, device: 'climate' },
      { name: 'garden', path: soil.gatewayPath, device: 'soil-csv' },
    ];
    writeFileSync(join(dir, 'gateway.yaml'), gatewayYaml(broker.url, ports));
    sub = await subscribe({
      host: broker.host,
      port: broker.port,
      topics: ['homeassistant/#', `${BASE}/gateway/state`],
      qos: 1,
    });
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
  });

  after(async () => {
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await climate?.kill();
    await soil?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes a retained config for the gateway and for every field and command', async () => {
    const all = [...GATEWAY, ...LIVINGROOM, ...GARDEN];
    for (const topic of all) await sub.waitFor((m) => m.topic === topic && m.payload !== '', 20_000);
    const retained = await retainedConfigs(broker);
    assert.deepEqual([...retained.keys()].sort(), [...all].sort());
    for (const [topic, payload] of retained) {
      const parsed = JSON.parse(payload) as { unique_id?: unknown; device?: { identifiers?: unknown } };
      assert.equal(typeof parsed.unique_id, 'string', topic);
      assert.ok(Array.isArray(parsed.device?.identifiers), topic);
    }
    const led = JSON.parse(retained.get(config('select', 'livingroom_led')) ?? '{}') as Record<
      string,
      unknown
    >;
    assert.equal(led['command_topic'], `${BASE}/livingroom/led/set`);
    assert.deepEqual(led['options'], ['on', 'off']);
    const temperature = JSON.parse(
      retained.get(config('sensor', 'livingroom_temperature')) ?? '{}',
    ) as Record<string, unknown>;
    assert.equal(temperature['state_topic'], `${BASE}/livingroom/temperature`);
    assert.equal(temperature['unit_of_measurement'], '°C');
  });

  it('publishes every config again when Home Assistant announces itself online', async () => {
    const all = [...GATEWAY, ...LIVINGROOM, ...GARDEN];
    // The first connect's publication is complete (previous test); count from here on.
    const before = configsOf(sub.messages, all).length;
    await publish({ host: broker.host, port: broker.port, topic: 'homeassistant/status', payload: 'online' });
    await gateway?.waitForOutput('Home Assistant came online', 10_000);
    const deadline = Date.now() + 10_000;
    while (configsOf(sub.messages, all).length < before + all.length && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 300)); // and no more than that
    const again = configsOf(sub.messages, all).slice(before);
    assert.equal(again.length, all.length, 'each config exactly once more');
    assert.deepEqual(again.map((m) => m.topic).sort(), [...all].sort());
    assert.ok(again.every((m) => m.payload !== ''));
  });

  it('after a restart without the garden port, clears its configs and keeps the others', async () => {
    assert.equal(await gateway?.kill('SIGTERM'), 0);
    const before = sub.messages.length;
    writeFileSync(join(dir, 'gateway.yaml'), gatewayYaml(broker.url, ports.slice(0, 1)));
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    for (const topic of GARDEN)
      await sub.waitFor(
        (m) => m.topic === topic && m.payload === '' && sub.messages.indexOf(m) >= before,
        20_000,
      );
    for (const topic of [...GATEWAY, ...LIVINGROOM])
      await sub.waitFor((m) => m.topic === topic && m.payload !== '' && sub.messages.indexOf(m) >= before);
    // Nothing this run still produces was cleared.
    const cleared = sub.messages.slice(before).filter((m) => m.topic.endsWith('/config') && m.payload === '');
    assert.deepEqual(cleared.map((m) => m.topic).sort(), [...GARDEN].sort());
    const retained = await retainedConfigs(broker);
    assert.deepEqual([...retained.keys()].sort(), [...GATEWAY, ...LIVINGROOM].sort());
    await gateway.waitForOutput('removed Home Assistant discovery config no longer produced');
  });
});
