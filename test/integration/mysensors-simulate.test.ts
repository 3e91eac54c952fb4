// `tty2mqtt simulate --device mysensors-gateway` against the real daemon in controller mode,
// both as child processes on the two ends of a socat pty, with a real Mosquitto: the
// simulated node asks for an id, presents, reports, asks for the time and obeys a generic
// command; the static node 1 presents its children and they are published generically.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { Subscription } from '../helpers/mqtt-sub.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';

const BASE = 'iot/mysim';

interface NodeView {
  node: number;
  sketch_name: string | null;
  children: { child: number; type: string }[];
}

void describe('tty2mqtt simulate: a MySensors node against the controller', () => {
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let gateway: GatewayProcess;
  let simulator: GatewayProcess;
  let sub: Subscription;
  let id = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-mysim-'));
    mkdirSync(join(dir, 'devices'));
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
    writeFileSync(
      join(dir, 'gateway.yaml'),
      [
        'version: 1',
        `gateway: { id: mysimgw, base_topic: ${BASE} }`,
        `mqtt: { broker: external, url: "${broker.url}" }`,
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        `devices_dir: "${join(dir, 'devices')}"`,
        'ports:',
        `  - { name: radio, path: "${pty.gatewayPath}", device: mysensors-gateway, idle_timeout: 0 }`,
      ].join('\n'),
    );
    sub = await subscribe({ host: broker.host, port: broker.port, topics: [`${BASE}/#`], qos: 1 });
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    await gateway.waitForOutput('port radio: opened', 20_000);
    simulator = startGateway([
      'simulate',
      '--device',
      'mysensors-gateway',
      '--path',
      pty.devicePath,
      '--interval',
      '300ms',
    ]);
  });

  after(async () => {
    await simulator?.kill('SIGTERM');
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('the node gets an id and the time from the controller', async () => {
    await simulator.waitForOutput(/< 255;255;3;0;4;\d+\n/, 15_000);
    id = Number(/< 255;255;3;0;4;(\d+)\n/.exec(simulator.stdout())?.[1]);
    assert.ok(id >= 1 && id <= 254, `id ${id}`);
    await simulator.waitForOutput(new RegExp(`< ${id};255;3;0;1;\\d+\\n`), 15_000);
    const time = Number(new RegExp(`< ${id};255;3;0;1;(\\d+)\\n`).exec(simulator.stdout())?.[1]);
    assert.ok(Math.abs(time - Date.now() / 1000) < 120, `time ${time}`);
    console.log(`# simulated node got id ${id}, time ${time}`);
  });

  void it('its presented children are published and listed in gateway/devices', async () => {
    const temp = await sub.waitFor((m) => m.topic === `${BASE}/radio/${id}/5/V_TEMP`, 15_000);
    assert.ok(Number.isFinite(Number(temp.payload)), temp.payload);
    const devices = await sub.waitFor((m) => {
      if (m.topic !== `${BASE}/gateway/devices`) return false;
      const nodes = (JSON.parse(m.payload) as { nodes?: NodeView[] }[])[0]?.nodes ?? [];
      return nodes.some((n) => n.node === id && n.children.length === 2 && n.sketch_name !== null);
    }, 15_000);
    const node = (JSON.parse(devices.payload) as { nodes: NodeView[] }[])[0]?.nodes.find(
      (n) => n.node === id,
    );
    assert.equal(node?.sketch_name, 'tty2mqtt sim node');
    assert.deepEqual(
      node?.children.map((c) => c.type),
      ['S_TEMP', 'S_BINARY'],
    );
    console.log(`# ${temp.topic} = ${temp.payload}`);
  });

  void it('the static node 1 presents its children, published at <port>/1/<child>/<V_TYPE>', async () => {
    // The shipped profile has no fixed fields: the simulator's static node presents S_TEMP,
    // S_HUM and S_BINARY on children 1-3, and the controller publishes them generically.
    const temp = await sub.waitFor((m) => m.topic === `${BASE}/radio/1/1/V_TEMP`, 15_000);
    const hum = await sub.waitFor((m) => m.topic === `${BASE}/radio/1/2/V_HUM`, 15_000);
    const light = await sub.waitFor((m) => m.topic === `${BASE}/radio/1/3/V_STATUS`, 15_000);
    assert.ok(Number.isFinite(Number(temp.payload)) && Number.isFinite(Number(hum.payload)));
    assert.equal(light.payload, '0');
    assert.ok(!sub.messages.some((m) => m.topic === `${BASE}/radio/1/temperature`));
    assert.notEqual(id, 1, 'id 1 is the static node, known to the controller');
    console.log(
      `# ${temp.topic}=${temp.payload} ${hum.topic}=${hum.payload} ${light.topic}=${light.payload}`,
    );
  });

  void it('obeys a generic command: acked, and its new state is published', async () => {
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/radio/${id}/6/V_STATUS/set`,
      payload: '1',
      qos: 1,
    });
    const result = await sub.waitFor((m) => m.topic === `${BASE}/radio/${id}/6/V_STATUS/result`, 15_000);
    assert.equal((JSON.parse(result.payload) as { status: string }).status, 'acked');
    const state = await sub.waitFor((m) => m.topic === `${BASE}/radio/${id}/6/V_STATUS`, 15_000);
    assert.equal(state.payload, '1');
  });
});
