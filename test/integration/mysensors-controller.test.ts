// MySensors controller mode end to end: the shipped mysensors-gateway profile on a real socat
// pty, the real daemon and a real Mosquitto. The test plays the serial gateway with a node
// that asks for an id, presents, reports, asks for the time and config, and asks for its
// last value (C_REQ) — also after the daemon restarted on the same queue database.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { Subscription } from '../helpers/mqtt-sub.ts';
import { createPtyPair, openDeviceEnd } from '../helpers/socat.ts';
import type { DeviceEnd, PtyPair } from '../helpers/socat.ts';

const BASE = 'iot/mys';

interface Result {
  id: string;
  command: string;
  status: string;
  reason?: string;
}

interface DevicesEntry {
  port: string;
  nodes?: {
    node: number;
    sketch_name: string | null;
    sketch_version: string | null;
    battery: number | null;
    last_heartbeat: string | null;
    children: { child: number; type: string; description: string }[];
  }[];
}

void describe('MySensors controller mode (shipped mysensors-gateway profile)', () => {
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let gateway: GatewayProcess;
  let device: DeviceEnd;
  let sub: Subscription;

  const startDaemon = async (): Promise<void> => {
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    await gateway.waitForOutput('port radio: opened', 20_000);
    // The first line after an open may be partial and is discarded (docs/contract.md §4.1): the
    // serial gateway's own startup message takes that place.
    await device.write('0;255;3;0;14;Gateway startup complete.\n');
  };

  /** Writes a line and waits for the exact answer the controller writes back. */
  const exchange = async (line: string, answer: string): Promise<void> => {
    const before = device.received().length;
    await device.write(`${line}\n`);
    await device.waitFor(answer, 5000);
    assert.ok(device.received().subarray(before).includes(answer), `${line} → ${answer}`);
  };

  const results = (target: string): Result[] =>
    sub.messages
      .filter((m) => m.topic === `${BASE}/radio/${target}/result`)
      .map((m) => JSON.parse(m.payload) as Result);

  /** Publishes `<target>/set` and returns the next result event with a final status. */
  const command = async (
    target: string,
    payload: string,
    whileWaiting?: () => Promise<void>,
  ): Promise<Result> => {
    const before = results(target).length;
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/radio/${target}/set`,
      payload,
      qos: 1,
    });
    await whileWaiting?.();
    const deadline = Date.now() + 10_000;
    while (results(target).length === before) {
      if (Date.now() > deadline) throw new Error(`no result for ${target}`);
      await sleep(20);
    }
    return results(target)[before] as Result;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-mys-'));
    mkdirSync(join(dir, 'devices'));
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
    writeFileSync(
      join(dir, 'gateway.yaml'),
      [
        'version: 1',
        `gateway: { id: mysgw, base_topic: ${BASE} }`,
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
    await startDaemon();
  });

  after(async () => {
    await device?.close();
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('I_ID_REQUEST is answered with the lowest free id', async () => {
    await exchange('255;255;3;0;3;', '255;255;3;0;4;1\n');
  });

  void it('a presented child is published at <port>/<node>/<child>/<V_TYPE>, checked by its V_ type', async () => {
    for (const line of [
      '1;255;0;0;17;2.3.2',
      '1;255;3;0;11;Attic node',
      '1;255;3;0;12;1.4',
      '1;5;0;0;6;Attic',
      '1;6;0;0;3;Fan',
    ])
      await device.write(`${line}\n`);
    await device.write('1;5;1;0;0;19.50\n1;6;1;0;2;yes\n1;6;1;0;2;1\n');
    const temp = await sub.waitFor((m) => m.topic === `${BASE}/radio/1/5/V_TEMP`, 10_000);
    assert.equal(temp.payload, '19.5');
    const relay = await sub.waitFor((m) => m.topic === `${BASE}/radio/1/6/V_STATUS`, 10_000);
    assert.equal(relay.payload, '1');
    assert.equal(
      sub.messages.filter((m) => m.topic === `${BASE}/radio/1/6/V_STATUS`).length,
      1,
      '"yes" is not 0/1',
    );
    console.log(`# published ${temp.topic}=${temp.payload} ${relay.topic}=${relay.payload}`);
  });

  void it('presented children get Home Assistant entities on a device per node via the gateway', async () => {
    const temp = await sub.waitFor((m) => m.topic === 'hass/sensor/tty2mqtt_mysgw/radio_1_5/config', 10_000);
    const fan = await sub.waitFor((m) => m.topic === 'hass/switch/tty2mqtt_mysgw/radio_1_6/config', 10_000);
    const t = JSON.parse(temp.payload) as {
      state_topic: string;
      device_class: string;
      device: { via_device: string; name: string };
    };
    const f = JSON.parse(fan.payload) as { command_topic: string; payload_on: string };
    assert.equal(t.state_topic, `${BASE}/radio/1/5/V_TEMP`);
    assert.equal(t.device_class, 'temperature');
    assert.deepEqual([t.device.via_device, t.device.name], ['tty2mqtt_mysgw', 'Attic node']);
    assert.deepEqual([f.command_topic, f.payload_on], [`${BASE}/radio/1/6/V_STATUS/set`, '1']);
    const availability = (JSON.parse(temp.payload) as { availability: { topic: string }[] }).availability;
    assert.ok(availability.some((x) => x.topic === `${BASE}/radio/1/availability`));
    const online = await sub.waitFor((m) => m.topic === `${BASE}/radio/1/availability`, 10_000);
    assert.equal(online.payload, 'online');
  });

  void it('I_TIME is answered with Unix time and I_CONFIG with M', async () => {
    const before = device.received().length;
    await device.write('1;255;3;0;1;\n');
    await device.waitFor('1;255;3;0;1;1', 5000);
    const answer = /1;255;3;0;1;(\d+)\n/.exec(device.received().subarray(before).toString());
    assert.ok(answer !== null);
    const skew = Math.abs(Number(answer[1]) - Date.now() / 1000);
    assert.ok(skew < 120, `time answer ${answer[1]} is ${skew} s off`);
    console.log(`# I_TIME answer ${answer[1]} (${skew.toFixed(1)} s from the test's clock)`);
    await exchange('1;255;3;0;6;', '1;255;3;0;6;M\n');
  });

  void it('C_REQ is answered with the last value', async () => {
    await exchange('1;5;2;0;0;', '1;5;1;0;0;19.5\n');
  });

  void it('battery, heartbeat, sketch name and version show in gateway/devices', async () => {
    await device.write('1;255;3;0;0;77\n1;255;3;0;22;5000\n');
    const msg = await sub.waitFor((m) => {
      if (m.topic !== `${BASE}/gateway/devices`) return false;
      const node = (JSON.parse(m.payload) as DevicesEntry[])[0]?.nodes?.[0];
      return node?.battery === 77;
    }, 10_000);
    const node = (JSON.parse(msg.payload) as DevicesEntry[])[0]?.nodes?.[0];
    assert.equal(node?.node, 1);
    assert.equal(node?.sketch_name, 'Attic node');
    assert.equal(node?.sketch_version, '1.4');
    assert.deepEqual(
      node?.children.map((c) => c.type),
      ['S_TEMP', 'S_BINARY'],
    );
    console.log(`# gateway/devices node: ${JSON.stringify(node)}`);
  });

  void it('a generic command is written with ack requested and acked on the echo', async () => {
    const r = await command('1/6/V_STATUS', 'on', async () => {
      await device.waitFor('1;6;1;1;2;1\n', 5000);
      await device.write('1;6;1;1;2;1\n'); // the node's echo
    });
    assert.equal(r.status, 'acked');
    assert.equal(r.command, '1/6/V_STATUS');
    assert.equal(results('1/6/V_STATUS').length, 1, 'one event: acked');
  });

  void it('no echo ends the command failed: timeout', async () => {
    const started = Date.now();
    const r = await command('1/6/V_STATUS', '0');
    assert.deepEqual([r.status, r.reason], ['failed', 'timeout']);
    assert.ok(device.received().includes('1;6;1;1;2;0\n'));
    console.log(`# timeout result after ${Date.now() - started} ms (ack_timeout 2 s)`);
  });

  void it('refuses a child the node never presented and a value its V_ type forbids', async () => {
    const before = device.received().length;
    const unpresented = await command('1/9/V_STATUS', '1');
    assert.deepEqual(
      [unpresented.status, unpresented.reason],
      ['rejected', 'node 1 has not presented child 9'],
    );
    const bad = await command('1/6/V_STATUS', 'maybe');
    assert.equal(bad.status, 'rejected');
    assert.match(bad.reason ?? '', /not 0 or 1/);
    assert.equal(device.received().length, before, 'nothing written');
  });

  void it('a sleeping node gets its command when it wakes (smart sleep)', async () => {
    await device.write('1;255;3;0;32;100\n'); // I_PRE_SLEEP_NOTIFICATION: listening 100 ms
    await sleep(600); // asleep now
    const before = device.received().length;
    const r = await command('1/6/V_STATUS', '1', async () => {
      await sleep(800);
      assert.equal(device.received().subarray(before).includes('1;6;1;1;2;1'), false, 'held while asleep');
      await device.write('1;255;3;0;33;0\n'); // I_POST_SLEEP_NOTIFICATION
      await device.waitFor('1;6;1;1;2;1\n', 5000);
      await device.write('1;6;1;1;2;1\n');
    });
    assert.equal(r.status, 'acked');
  });

  void it('after a restart, allocations and last values are kept', async () => {
    assert.equal(await gateway.kill('SIGTERM'), 0);
    await startDaemon();
    await exchange('255;255;3;0;3;', '255;255;3;0;4;2\n');
    await exchange('1;6;2;0;2;', '1;6;1;0;2;1\n');
    // The node's entities are produced again from the kept presentation: the clean-up of
    // configs from earlier runs (2 s after connecting) leaves them alone.
    await sleep(3000);
    const cleared = sub.messages.filter(
      (m) => m.topic.startsWith('hass/') && m.topic.includes('radio_1_') && m.payload === '',
    );
    assert.deepEqual(cleared, []);
  });
});
