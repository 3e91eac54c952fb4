// Firmware in the loop, MySensors serial API: devices/mysensors-gateway/mysensors-gateway.ino
// (two simulated radio nodes, 12 and 13) compiled for an Uno in its fixed-seed fake mode, run
// in the emulated Uno (hil/harness.c, reset on open like an Uno's DTR auto-reset), read by
// the real gateway through its pty and published to a real Mosquitto, where an independent
// mosquitto_sub checks what arrives. The shipped profile is in controller mode with no
// fixed fields, so everything is what the nodes present. Covers: the static nodes present
// at boot and their readings go to <base>/<port>/<node>/<child>/<V_TYPE> in range at the
// profile's QoS/retain, availability, presentations and internal messages not published,
// the boot line `0;255;3;0;14;Gateway startup complete.` never published (also after a
// reopen resets the board), a generic light command (…/12/3/V_STATUS/set) acked by the
// node's echo, and a node that presents again when the controller asks (I_PRESENTATION).
// The sketch's node without an id asks for one, presents, asks for the time, reports and
// obeys a generic command; after a reset it asks again and gets the next id.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT, startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { buildFirmware, startEmulatedBoard, startHilRig } from '../helpers/hil.ts';
import type { EmulatedBoard, HilRig } from '../helpers/hil.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { Subscription } from '../helpers/mqtt-sub.ts';

const BASE = 'hil/home';
const PORT = 'radio';
const NODES = ['12', '13'] as const;
const DEVICE_DIR = join(REPO_ROOT, 'devices', 'mysensors-gateway');

interface Profile {
  line: { format: string };
  mysensors: { controller: boolean };
  fields?: Record<string, unknown>;
  commands?: Record<string, unknown>;
  publish: { qos: number; retain: boolean };
}
const profile = parse(readFileSync(join(DEVICE_DIR, 'profile.yaml'), 'utf8')) as Profile;

/** The sketch reports both nodes 2 s after boot, then every 30 s (not overridable). */
const FIRST_REPORT_MS = 2_000;
/** Simulated seconds run slower on a loaded machine: a wait bounds a hang (soil-csv.test.ts). */
const SLACK_MS = 28_000;
/** The boot line: an internal message (I_GATEWAY_READY), never a reading. */
const BOOT_LINE = 'Gateway startup complete.';
/**
 * Lines per boot that publish nothing: each static node's presentations and internal
 * messages (presentNode: 6), and the node without an id's id request, presentations (6)
 * and time request.
 */
const AUTO_NODE_IGNORED = 1 + 6 + 1;
const IGNORED_PER_BOOT = 6 * NODES.length + AUTO_NODE_IGNORED;
/** The node without an id's readings by the first report: the time (V_TEXT), V_TEMP, V_STATUS. */
const AUTO_NODE_READINGS = 3;

/** What each static node presents (presentNode in the sketch) and the sketch's value bounds. */
const CHILDREN = {
  temperature: { path: '1/V_TEMP', min: -10, max: 35 },
  humidity: { path: '2/V_HUM', min: 20, max: 90 },
  light: { path: '3/V_STATUS' },
} as const;
const topic = (node: string, child: keyof typeof CHILDREN): string =>
  `${BASE}/${PORT}/${node}/${CHILDREN[child].path}`;

interface PortCounters {
  readings: number;
  ignored: number;
  discards: Record<string, number>;
}

describe('mysensors-gateway.ino (MySensors serial API) on an emulated Uno → gateway → Mosquitto', () => {
  let board: EmulatedBoard;
  let broker: Mosquitto;
  let sub: Subscription;
  let gateway: GatewayProcess;

  const request = (action: string, body?: Record<string, unknown>): Promise<unknown> =>
    (rig as HilRig).request(action, body);
  const portCounters = async (): Promise<PortCounters> => {
    const health = (await request('health')) as { ports: Record<string, PortCounters> };
    const counters = health.ports[PORT];
    assert.ok(counters !== undefined);
    return counters;
  };

  let rig: HilRig | undefined;

  before(async () => {
    assert.equal(profile.line.format, 'mysensors');
    // The shipped profile is generic: controller mode, no fixed fields or per-node commands.
    assert.equal(profile.mysensors.controller, true);
    assert.deepEqual([profile.fields ?? {}, profile.commands ?? {}], [{}, {}]);
    rig = await startHilRig({
      device: 'mysensors-gateway',
      port: PORT,
      base: BASE,
      board: { resetOnOpen: true },
    });
    ({ board, broker, sub, gateway } = rig);
  });

  after(async () => {
    await rig?.stop();
  });

  it('publishes each static node’s presented children on <port>/<node>/<child>/<V_TYPE>, in range, retained', async () => {
    await gateway.waitForOutput(`${PORT}: opened ${board.path}`, 20_000);
    assert.match(board.output(), /opened, atmega328p running .*mysensors-gateway-fake\.elf/);
    for (const node of NODES) {
      for (const field of ['temperature', 'humidity'] as const) {
        const m = await sub.waitFor((x) => x.topic === topic(node, field), FIRST_REPORT_MS + SLACK_MS);
        const { min, max } = CHILDREN[field];
        const value = Number(m.payload);
        assert.ok(Number.isFinite(value), `${m.topic}: ${m.payload} is not a number`);
        assert.ok(
          value >= (min ?? -Infinity) && value <= (max ?? Infinity),
          `${m.topic}: ${value} outside ${min}…${max}`,
        );
        assert.equal(m.qos, profile.publish.qos);
      }
      // The light starts off.
      const light = await sub.waitFor((x) => x.topic === topic(node, 'light'), 2_000);
      assert.equal(light.payload, '0', `${light.topic}: ${light.payload}`);
      assert.equal(light.qos, profile.publish.qos);
    }
    // Retained: a subscriber that comes later still gets them, flagged retained.
    const late = await subscribe({ host: broker.host, port: broker.port, topics: [topic('13', 'humidity')] });
    try {
      const r = await late.waitFor((m) => m.topic === topic('13', 'humidity'));
      assert.equal(r.retain, profile.publish.retain);
    } finally {
      await late.stop();
    }
    await sub.waitFor((m) => m.topic === `${BASE}/${PORT}/availability` && m.payload === 'online');
    // The controller recorded the static nodes' boot presentation.
    type Nodes = { node: number; children: { type: string; description: string }[] }[];
    const nodesOf = (payload: string): Nodes | undefined =>
      (JSON.parse(payload) as { nodes?: Nodes }[])[0]?.nodes;
    const devices = await sub.waitFor(
      (m) =>
        m.topic === `${BASE}/gateway/devices` &&
        NODES.every((id) => nodesOf(m.payload)?.find((n) => n.node === Number(id))?.children.length === 3),
      SLACK_MS,
    );
    const nodes = nodesOf(devices.payload);
    for (const id of NODES)
      assert.deepEqual(
        nodes?.find((n) => n.node === Number(id))?.children.map((c) => `${c.type} ${c.description}`),
        ['S_TEMP Temperature', 'S_HUM Humidity', 'S_BINARY Light'],
        devices.payload,
      );
    // Only the presented children of the three nodes and the port's and nodes' own status.
    const topics = new Set(sub.messages.map((m) => m.topic.slice(BASE.length + 1)));
    for (const t of topics)
      assert.match(
        t,
        new RegExp(
          `^(gateway/.*|${PORT}/availability|${PORT}/(1|1[23])/availability|${PORT}/1[23]/(1/V_TEMP|2/V_HUM|3/V_STATUS)|${PORT}/1/(5/V_TEMP|6/V_STATUS|7/V_TEXT))$`,
        ),
      );
  });

  it('the boot line is not published; presentations and internal messages are ignored', async () => {
    assert.ok(
      !sub.messages.some((m) => m.payload.includes(BOOT_LINE) || m.topic.startsWith(`${BASE}/${PORT}/0/`)),
      'the boot line or another node-0 message was published',
    );
    const counters = await portCounters();
    // The board was started by the open: its boot line was the first line read, discarded.
    assert.equal(counters.discards['partial_first_line'], 1, JSON.stringify(counters));
    assert.equal(counters.ignored, IGNORED_PER_BOOT, JSON.stringify(counters));
    // Nothing else was discarded: no parse, schema or topic rejects.
    assert.deepEqual(Object.keys(counters.discards), ['partial_first_line'], JSON.stringify(counters));
    // Three readings per static node (temperature, humidity, light), and the auto node's.
    assert.equal(counters.readings, 3 * NODES.length + AUTO_NODE_READINGS, JSON.stringify(counters));
  });

  it('12/3/V_STATUS/set round-trips: acked by the node’s echo, then the new state is published', async () => {
    const result = `${BASE}/${PORT}/12/3/V_STATUS/result`;
    const before = sub.messages.length;
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/${PORT}/12/3/V_STATUS/set`,
      payload: '1',
      qos: 1,
    });
    const acked = await sub.waitFor(
      (m) => m.topic === result && m.payload.includes('"status":"acked"'),
      5_000,
    );
    // Generic commands report their final status only (no `written` event).
    assert.equal((JSON.parse(acked.payload) as { command: string }).command, '12/3/V_STATUS');
    // The state report that follows the echo is the reading: node 12's light is on, and
    // node 13's is untouched.
    const on = await sub.waitFor(
      (m) => m.topic === topic('12', 'light') && sub.messages.indexOf(m) >= before,
      5_000,
    );
    assert.equal(on.payload, '1', `${on.topic}: ${on.payload}`);
    assert.ok(!sub.messages.slice(before).some((m) => m.topic === topic('13', 'light')));
    // The echo (12;3;1;1;2;1) was the command's answer, not read as data: one light reading.
    assert.equal(sub.messages.slice(before).filter((m) => m.topic === topic('12', 'light')).length, 1);
  });

  it('the node without an id gets id 1 and the time, presents, reports and obeys a generic command', async () => {
    const clock = await sub.waitFor((m) => m.topic === `${BASE}/${PORT}/1/7/V_TEXT`, SLACK_MS);
    const time = Number(/^t=(\d+)$/.exec(clock.payload)?.[1]);
    assert.ok(Math.abs(time - Date.now() / 1000) < 120, `the node's time ${clock.payload}`);
    const temp = await sub.waitFor(
      (m) => m.topic === `${BASE}/${PORT}/1/5/V_TEMP`,
      FIRST_REPORT_MS + SLACK_MS,
    );
    assert.ok(Number.isFinite(Number(temp.payload)), temp.payload);
    const devices = await sub.waitFor(
      (m) => m.topic === `${BASE}/gateway/devices` && m.payload.includes('"sketch_name":"Attic Node"'),
      SLACK_MS,
    );
    const node = (
      JSON.parse(devices.payload) as { nodes: { node: number; children: { type: string }[] }[] }[]
    )[0]?.nodes.find((n) => n.node === 1);
    assert.deepEqual(
      node?.children.map((c) => c.type),
      ['S_TEMP', 'S_BINARY', 'S_INFO'],
    );
    const before = sub.messages.length;
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/${PORT}/1/6/V_STATUS/set`,
      payload: '1',
      qos: 1,
    });
    const result = await sub.waitFor((m) => m.topic === `${BASE}/${PORT}/1/6/V_STATUS/result`, 5_000);
    assert.equal((JSON.parse(result.payload) as { status: string }).status, 'acked');
    const fan = await sub.waitFor(
      (m) => m.topic === `${BASE}/${PORT}/1/6/V_STATUS` && sub.messages.indexOf(m) >= before,
      5_000,
    );
    assert.equal(fan.payload, '1');
    console.log(`# auto node: id 1, ${clock.payload}, V_TEMP ${temp.payload}, fan command acked`);
  });

  it('a reopen resets the board: the boot line again is not published, the nodes report afresh', async () => {
    const before = sub.messages.length;
    await request('restart_port', { port: PORT });
    await sub.waitFor(
      (m) => m.topic === topic('12', 'light') && sub.messages.indexOf(m) >= before,
      FIRST_REPORT_MS + SLACK_MS,
    );
    assert.match(board.output(), /reopened, atmega328p reset/);
    // The sketch restarted: node 12's light is off again (a state the firmware only reports
    // after a boot, 2 s after it, long before its next 30 s report).
    const light = sub.messages.slice(before).find((m) => m.topic === topic('12', 'light'));
    assert.equal(light?.payload, '0');
    const counters = await portCounters();
    assert.equal(counters.discards['partial_first_line'], 2, JSON.stringify(counters));
    assert.equal(counters.ignored, 2 * IGNORED_PER_BOOT, JSON.stringify(counters));
    assert.deepEqual(Object.keys(counters.discards), ['partial_first_line'], JSON.stringify(counters));
    assert.ok(!sub.messages.some((m) => m.payload.includes(BOOT_LINE)));
    // The node without an id asked again: id 1 is still known, so it got 2.
    await sub.waitFor((m) => m.topic === `${BASE}/${PORT}/2/7/V_TEXT`, SLACK_MS);
  });
});

// The nodes answer I_PRESENTATION: a controller that starts while the board keeps running
// (no reset on open) missed the boot presentation, drops the first reading of a child it
// does not know, asks the node to present again, and publishes its next report.
describe('mysensors-gateway.ino: a controller that missed the boot presentation asks again (I_PRESENTATION)', () => {
  const REPORT_MS = 30_000; // the sketch's INTERVAL_MS
  let dir: string;
  let board: EmulatedBoard | undefined;
  let broker: Mosquitto | undefined;
  let sub: Subscription | undefined;
  let gateway: GatewayProcess | undefined;

  const startDaemon = (queue: string): GatewayProcess => {
    writeFileSync(
      join(dir, `${queue}.yaml`),
      [
        'version: 1',
        `gateway: { id: hilgw, base_topic: ${BASE} }`,
        `mqtt: { broker: external, url: "${broker!.url}" }`,
        `queue: { path: "${join(dir, `${queue}.db`)}" }`,
        'ports:',
        `  - { name: ${PORT}, path: "${board!.path}", device: mysensors-gateway, idle_timeout: 0 }`,
      ].join('\n'),
    );
    return startGateway(['run', '-c', join(dir, `${queue}.yaml`)]);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-hil-mys-present-'));
    board = await startEmulatedBoard(await buildFirmware('mysensors-gateway', { fake: true }), {
      resetOnOpen: false,
    });
    broker = await startMosquitto();
    sub = await subscribe({ host: broker.host, port: broker.port, topics: [`${BASE}/#`], qos: 1 });
  });

  after(async () => {
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await broker?.stop();
    await board?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a second controller with an empty database gets node 12’s children by asking it to present', async () => {
    gateway = startDaemon('first');
    const first = await sub!.waitFor(
      (m) => m.topic === topic('12', 'temperature'),
      FIRST_REPORT_MS + SLACK_MS,
    );
    await gateway.kill('SIGKILL');
    const before = sub!.messages.length;
    const startedAt = Date.now();
    gateway = startDaemon('second'); // knows no node: the board does not reset, so no boot presentation
    await gateway.waitForOutput(`${PORT}: opened ${board!.path}`, 20_000);
    const again = await sub!.waitFor(
      (m) => m.topic === topic('12', 'temperature') && sub!.messages.indexOf(m) >= before,
      2 * REPORT_MS + SLACK_MS,
    );
    assert.ok(Number.isFinite(Number(again.payload)), again.payload);
    assert.doesNotMatch(board!.output(), /reset/, 'the board kept running');
    const devices = sub!.messages
      .slice(before)
      .filter((m) => m.topic === `${BASE}/gateway/devices`)
      .map((m) => (JSON.parse(m.payload) as { nodes?: { node: number; children: unknown[] }[] }[])[0]?.nodes)
      .find((nodes) => nodes?.some((n) => n.node === 12 && n.children.length === 3));
    assert.ok(devices !== undefined, 'node 12 presented its three children to the second controller');
    console.log(
      `# first controller: ${first.topic}=${first.payload}; second: ${again.payload} after ${Date.now() - startedAt} ms`,
    );
  });
});
