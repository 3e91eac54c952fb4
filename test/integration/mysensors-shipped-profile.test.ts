// A user who only names the shipped `mysensors-gateway` profile gets every presented child
// generically: a node with a static id presents S_TEMP on child 1 and reports V_TEMP, and
// the reading goes to <port>/<node>/1/V_TEMP with a Home Assistant sensor for it — not to a
// fixed field's topic (<port>/<node>/temperature) that would win for that key on every node.
// Real socat pty, real daemon, real Mosquitto.
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
import { createPtyPair, openDeviceEnd } from '../helpers/socat.ts';
import type { DeviceEnd, PtyPair } from '../helpers/socat.ts';

const BASE = 'iot/shipped';

void describe('shipped mysensors-gateway profile, named and nothing else', () => {
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let gateway: GatewayProcess;
  let device: DeviceEnd;
  let sub: Subscription;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-mys-shipped-'));
    mkdirSync(join(dir, 'devices')); // empty: the shipped profile is the one used
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
    writeFileSync(
      join(dir, 'gateway.yaml'),
      [
        'version: 1',
        `gateway: { id: shipgw, base_topic: ${BASE} }`,
        `mqtt: { broker: external, url: "${broker.url}" }`,
        'homeassistant: { discovery: true, prefix: hass }',
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        `devices_dir: "${join(dir, 'devices')}"`,
        'ports:',
        `  - { name: radio, path: "${pty.gatewayPath}", device: mysensors-gateway, idle_timeout: 0 }`,
      ].join('\n'),
    );
    sub = await subscribe({ host: broker.host, port: broker.port, topics: [`${BASE}/#`, 'hass/#'], qos: 1 });
    device = await openDeviceEnd(pty.devicePath);
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    await gateway.waitForOutput('port radio: opened', 20_000);
    // The first line after an open may be partial and is discarded: the serial gateway's
    // own startup message takes that place.
    await device.write('0;255;3;0;14;Gateway startup complete.\n');
  });

  after(async () => {
    await device?.close();
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('child 1 presented as S_TEMP: 1;1;0;21.5 goes to <port>/<node>/1/V_TEMP with a HA sensor', async () => {
    for (const line of ['12;255;0;0;17;2.3.2', '12;255;3;0;11;Garden node', '12;1;0;0;6;Garden'])
      await device.write(`${line}\n`);
    await device.write('12;1;1;0;0;21.5\n');
    const reading = await sub.waitFor(
      (m) => m.topic === `${BASE}/radio/12/1/V_TEMP` || m.topic === `${BASE}/radio/12/temperature`,
      10_000,
    );
    assert.equal(reading.topic, `${BASE}/radio/12/1/V_TEMP`, 'the generic topic, not a fixed field');
    assert.equal(reading.payload, '21.5');
    const config = await sub.waitFor(
      (m) => m.topic === 'hass/sensor/tty2mqtt_shipgw/radio_12_1/config',
      10_000,
    );
    const entity = JSON.parse(config.payload) as {
      state_topic: string;
      device_class: string;
      unit_of_measurement: string;
      device: { name: string; via_device: string };
    };
    assert.equal(entity.state_topic, `${BASE}/radio/12/1/V_TEMP`);
    assert.equal(entity.device_class, 'temperature');
    assert.equal(entity.unit_of_measurement, '°C');
    assert.deepEqual([entity.device.name, entity.device.via_device], ['Garden node', 'tty2mqtt_shipgw']);
    assert.equal(
      sub.messages.filter((m) => m.topic === `${BASE}/radio/12/temperature`).length,
      0,
      'no fixed-field topic',
    );
    const sensors = sub.messages.filter((m) => /^hass\/[a-z_]+\/tty2mqtt_shipgw\/radio_/.test(m.topic));
    console.log(
      `# ${reading.topic}=${reading.payload}; HA ${config.topic} (${config.payload.length} bytes); ` +
        `${sensors.length} radio entity config(s): ${[...new Set(sensors.map((m) => m.topic))].join(' ')}`,
    );
  });
});

// "Fixed fields stay possible": the shipped profile copied and given fixed fields and a
// per-node command (test/fixtures/mysensors-fixed, the README's example), still in
// controller mode. A fixed field's key goes to <port>/<node>/<field> on every node; a
// presented child without a fixed field still goes to <port>/<node>/<child>/<V_TYPE>; the
// per-node command is written and acked by the node's echo.
void describe('a copy of the profile with fixed fields, in controller mode', () => {
  const FIXED_BASE = 'iot/fixed';
  const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'mysensors-fixed');
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let gateway: GatewayProcess;
  let device: DeviceEnd;
  let sub: Subscription;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-mys-fixed-'));
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
    writeFileSync(
      join(dir, 'gateway.yaml'),
      [
        'version: 1',
        `gateway: { id: fixedgw, base_topic: ${FIXED_BASE} }`,
        `mqtt: { broker: external, url: "${broker.url}" }`,
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        `devices_dir: "${FIXTURES}"`,
        'ports:',
        `  - { name: radio, path: "${pty.gatewayPath}", device: mysensors-fixed, idle_timeout: 0 }`,
      ].join('\n'),
    );
    sub = await subscribe({ host: broker.host, port: broker.port, topics: [`${FIXED_BASE}/#`], qos: 1 });
    device = await openDeviceEnd(pty.devicePath);
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    await gateway.waitForOutput('port radio: opened', 20_000);
    await device.write('0;255;3;0;14;Gateway startup complete.\n');
  });

  after(async () => {
    await device?.close();
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('fixed keys go to <port>/<node>/<field>, other presented children stay generic', async () => {
    for (const line of ['12;255;0;0;17;2.3.2', '12;1;0;0;6;', '12;4;0;0;6;Outside'])
      await device.write(`${line}\n`);
    await device.write('12;1;1;0;0;21.5\n12;4;1;0;0;7.25\n');
    const fixed = await sub.waitFor((m) => m.topic === `${FIXED_BASE}/radio/12/temperature`, 10_000);
    const generic = await sub.waitFor((m) => m.topic === `${FIXED_BASE}/radio/12/4/V_TEMP`, 10_000);
    assert.deepEqual([fixed.payload, generic.payload], ['21.5', '7.25']);
    assert.ok(!sub.messages.some((m) => m.topic === `${FIXED_BASE}/radio/12/1/V_TEMP`));
    console.log(`# ${fixed.topic}=${fixed.payload} ${generic.topic}=${generic.payload}`);
  });

  void it('the per-node command node12_light is written and acked by the node’s echo', async () => {
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${FIXED_BASE}/radio/node12_light/set`,
      payload: '1',
      qos: 1,
    });
    await device.waitFor('12;3;1;1;2;1\n', 10_000);
    await device.write('12;3;1;1;2;1\n12;3;1;0;2;1\n'); // the echo, then the new state
    const acked = await sub.waitFor(
      (m) => m.topic === `${FIXED_BASE}/radio/node12_light/result` && m.payload.includes('"status":"acked"'),
      10_000,
    );
    const light = await sub.waitFor((m) => m.topic === `${FIXED_BASE}/radio/12/light`, 10_000);
    assert.equal(light.payload, 'true');
    console.log(`# ${acked.payload}; ${light.topic}=${light.payload}`);
  });
});
