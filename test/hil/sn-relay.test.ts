// Firmware in the loop, MQTT-SN over SLIP with CRC-16: devices/sn-relay/sn-relay.ino compiled
// for an Uno (fake RSSI), run in the emulated Uno (hil/harness.c), served by the real
// gateway's MQTT-SN port through the pty, published to a real Mosquitto and checked by an
// independent mosquitto_sub. Two boards, one after the other (never two at once):
//   1. SLEEP_SECONDS=0 (the default): CONNECT with a Will, REGISTER of its three names,
//      SUBSCRIBE relay/set by name, its report, a command round trip, and the board pulled.
//   2. SLEEP_SECONDS=5: it sleeps after each report (DISCONNECT with a Duration); a command
//      sent while it sleeps waits at the gateway and is delivered when it wakes; pulled while
//      asleep, it is lost after 1.5 × its sleep duration and the gateway publishes its Will.
// The Will of an awake board is published after 1.5 × its keep-alive, and the sketch's
// keep-alive is a fixed 60 s (not a -D define): that 90 s wait is not made here.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { REPO_ROOT, startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { buildFirmware, startEmulatedBoard } from '../helpers/hil.ts';
import type { EmulatedBoard } from '../helpers/hil.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { ReceivedMessage, Subscription } from '../helpers/mqtt-sub.ts';

const BASE = 'hil/home';
const DEVICE_DIR = join(REPO_ROOT, 'devices', 'sn-relay');
/** The sleeping board's DISCONNECT Duration: long enough to publish into, short to wait out. */
const SLEEP_SECONDS = 5;

interface Profile {
  protocol: string;
  mqttsn: { framing: string };
  fields: {
    relay: { type: 'enum'; values: string[] };
    uptime: { type: 'integer'; min: number };
    rssi: { key: string; type: 'integer'; min: number; max: number };
  };
}
const profile = parse(readFileSync(join(DEVICE_DIR, 'profile.yaml'), 'utf8')) as Profile;

/** The sketch's fake radio/rssi (FAKE_SENSORS): LFSR (taps 0xB400) seeded 0xACE1, −75 + n % 21. */
function fakeRssi(count: number): string[] {
  let state = 0xace1;
  const values: string[] = [];
  for (let i = 0; i < count; i++) {
    const lsb = state & 1;
    state >>= 1;
    if (lsb !== 0) state ^= 0xb400;
    values.push(String(-75 + (state % 21)));
  }
  return values;
}

/** How many times `pattern` occurs in the gateway's log so far. */
function occurrences(gateway: GatewayProcess, pattern: RegExp): number {
  const flags = pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`;
  return (gateway.stdout() + gateway.stderr()).match(new RegExp(pattern.source, flags))?.length ?? 0;
}

/** Resolves once `pattern` has occurred at least `count` times in the gateway's log. */
async function waitForOccurrences(
  gateway: GatewayProcess,
  pattern: RegExp,
  count: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (occurrences(gateway, pattern) < count) {
    if (Date.now() > deadline)
      throw new Error(
        `the gateway logged ${String(pattern)} ${occurrences(gateway, pattern)} time(s), not ${count}, ` +
          `within ${timeoutMs} ms:\n${gateway.stdout()}${gateway.stderr()}`,
      );
    await sleep(50);
  }
}

/** One board on one port of its own gateway and broker; every process stopped in after(). */
interface Rig {
  port: string;
  board: EmulatedBoard;
  broker: Mosquitto;
  sub: Subscription;
  gateway: GatewayProcess;
  topic(name: string): string;
  stop(): Promise<void>;
}

async function startRig(port: string, defines: Record<string, number>): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-hil-snr-'));
  let board: EmulatedBoard | undefined;
  let broker: Mosquitto | undefined;
  let sub: Subscription | undefined;
  let gateway: GatewayProcess | undefined;
  const stop = async (): Promise<void> => {
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await board?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const elf = await buildFirmware('sn-relay', { fake: true, defines });
    board = await startEmulatedBoard(elf, { resetOnOpen: true, pins: true });
    broker = await startMosquitto();
    sub = await subscribe({ host: broker.host, port: broker.port, topics: [`${BASE}/#`], qos: 2 });
    const config = [
      'version: 1',
      `gateway: { id: hilgw, base_topic: ${BASE} }`,
      `mqtt: { broker: external, url: "${broker.url}", keepalive: 5s }`,
      `queue: { path: "${join(dir, 'queue.db')}" }`,
      'ports:',
      `  - { name: ${port}, path: "${board.path}", device: sn-relay, idle_timeout: 0 }`,
      'log: { level: debug }', // the asleep / awake transitions are logged at debug
    ];
    writeFileSync(join(dir, 'gateway.yaml'), `${config.join('\n')}\n`);
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    board,
    broker,
    sub,
    gateway,
    topic: (name) => `${BASE}/${port}/${name}`,
    stop,
  };
}

function command(rig: Rig, payload: string): Promise<void> {
  return publish({
    host: rig.broker.host,
    port: rig.broker.port,
    topic: rig.topic('relay/set'),
    payload,
    qos: 1,
  });
}

/** The first message on `topic` received after `since` (a timestamp) matching `payload`. */
function reportAfter(rig: Rig, topic: string, since: number, payload?: string): Promise<ReceivedMessage> {
  return rig.sub.waitFor(
    (m) =>
      m.topic === rig.topic(topic) &&
      m.receivedAt >= since &&
      (payload === undefined || m.payload === payload),
    10_000,
  );
}

describe('sn-relay.ino (MQTT-SN over SLIP, SLEEP_SECONDS=0) on an emulated Uno → gateway → Mosquitto', () => {
  let rig: Rig;

  before(async () => {
    assert.equal(profile.protocol, 'mqttsn');
    assert.equal(profile.mqttsn.framing, 'slip');
    rig = await startRig('relay1', { SLEEP_SECONDS: 0 });
  });

  after(async () => {
    await rig?.stop();
  });

  it('connects with a Will, REGISTERs relay, uptime and radio/rssi, SUBSCRIBEs relay/set', async () => {
    const { gateway, board, port } = rig;
    await gateway.waitForOutput(`${port}: opened ${board.path}`, 20_000);
    assert.match(board.output(), /opened, atmega328p running .*sn-relay-fake-[0-9a-f]+\.elf/);
    await gateway.waitForOutput('MQTT-SN client sn-relay active', 15_000);
    await rig.sub.waitFor((m) => m.topic === `${BASE}/gateway/state` && m.payload === 'online', 15_000);
    // Its first report needs all three topic ids: every REGISTER (and the Will topic) was
    // accepted — a refused one is logged (topic_refused, invalid_topic_id).
    for (const name of ['relay', 'uptime', 'radio/rssi'])
      await rig.sub.waitFor((m) => m.topic === rig.topic(name), 10_000);
    assert.doesNotMatch(
      gateway.stdout() + gateway.stderr(),
      /"reason":"(topic_refused|invalid_topic_id|not_connected|unexpected)"/,
    );
  });

  it('publishes relay and uptime at QoS 1, radio/rssi at QoS 0, valid per the profile, retained', async () => {
    const { sub } = rig;
    const relay = await sub.waitFor((m) => m.topic === rig.topic('relay'));
    const uptime = await sub.waitFor((m) => m.topic === rig.topic('uptime'));
    const rssi = await sub.waitFor((m) => m.topic === rig.topic('radio/rssi'));
    assert.equal(relay.payload, 'off', 'the relay is off after power-up');
    assert.ok(profile.fields.relay.values.includes(relay.payload));
    assert.match(uptime.payload, /^\d+$/);
    assert.ok(Number(uptime.payload) >= profile.fields.uptime.min && Number(uptime.payload) < 30);
    assert.match(rssi.payload, /^-?\d+$/);
    const dbm = Number(rssi.payload);
    assert.ok(dbm >= profile.fields.rssi.min && dbm <= profile.fields.rssi.max, `rssi ${dbm}`);
    assert.equal(profile.fields.rssi.key, 'radio/rssi');
    assert.equal(rssi.payload, fakeRssi(1)[0], 'the first value of the fake RSSI sequence');
    for (const m of [relay, uptime]) assert.equal(m.qos, 1, `${m.topic} not at QoS 1`);
    assert.equal(rssi.qos, 0, 'the sketch publishes radio/rssi at QoS 0 (MQTT-SN §6.6)');
    // The sketch sets RETAIN on every PUBLISH: a later subscriber gets each state.
    const late = await subscribe({
      host: rig.broker.host,
      port: rig.broker.port,
      topics: [rig.topic('relay'), rig.topic('uptime'), rig.topic('radio/rssi')],
    });
    try {
      await late.waitForCount(3);
      assert.ok(
        late.messages.every((m) => m.retain),
        'all three retained',
      );
    } finally {
      await late.stop();
    }
    await sub.waitFor((m) => m.topic === rig.topic('availability') && m.payload === 'online');
    const topics = new Set(sub.messages.map((m) => m.topic.slice(BASE.length + 1)));
    for (const topic of topics)
      assert.match(topic, new RegExp(`^(gateway/.*|${rig.port}/(relay|uptime|radio/rssi|availability))$`));
  });

  it('relay/set on → D7 (and the LED) high and the board reports relay = on; off → back', async () => {
    const { board } = rig;
    assert.notEqual(board.pins().get('D7'), 1);
    let since = Date.now();
    await command(rig, 'on');
    await board.waitForPin('D7', 1, 5_000);
    await board.waitForPin('D13', 1, 1_000);
    const on = await reportAfter(rig, 'relay', since, 'on');
    assert.equal(on.qos, 1);
    since = Date.now();
    await command(rig, 'off');
    await board.waitForPin('D7', 0, 5_000);
    await board.waitForPin('D13', 0, 1_000);
    await reportAfter(rig, 'relay', since, 'off');
    // The firmware PUBACKed both deliveries: the gateway had nothing to give up on.
    assert.doesNotMatch(rig.gateway.stdout() + rig.gateway.stderr(), /"reason":"delivery_dropped"/);
  });

  it('the board pulled (harness stopped): the port closes and availability goes offline', async () => {
    const since = Date.now();
    await command(rig, 'on');
    await rig.board.waitForPin('D7', 1, 5_000);
    const on = await reportAfter(rig, 'relay', since, 'on');
    await rig.board.stop();
    await rig.gateway.waitForOutput(`${rig.port}: ${rig.board.path} lost`, 10_000);
    await rig.sub.waitFor(
      (m) => m.topic === rig.topic('availability') && m.payload === 'offline' && m.receivedAt >= since,
      10_000,
    );
    // Not lost yet: the gateway waits 1.5 × the 60 s keep-alive before it publishes the Will.
    // Only messages after the `on` report count: an earlier `off` report (a periodic one, or
    // a QoS 1 redelivery) may arrive while this test starts.
    const after = rig.sub.messages.slice(rig.sub.messages.indexOf(on) + 1);
    assert.ok(!after.some((m) => m.topic === rig.topic('relay') && m.payload === 'off'));
  });
});

describe(`sn-relay.ino with SLEEP_SECONDS=${SLEEP_SECONDS}: sleeps, wakes, gets what was kept, Will when lost`, () => {
  let rig: Rig;
  const asleep = /"client":"sn-relay","from":"active","to":"asleep"/;
  const awake = /"client":"sn-relay","from":"asleep","to":"awake"/;

  before(async () => {
    rig = await startRig('relay2', { SLEEP_SECONDS });
  });

  after(async () => {
    await rig?.stop();
  });

  it('connects, reports, then goes to sleep (DISCONNECT with a Duration) and wakes again', async () => {
    const { gateway, board, port } = rig;
    await gateway.waitForOutput(`${port}: opened ${board.path}`, 20_000);
    await gateway.waitForOutput('MQTT-SN client sn-relay active', 15_000);
    await rig.sub.waitFor((m) => m.topic === rig.topic('relay') && m.payload === 'off', 10_000);
    await rig.sub.waitFor((m) => m.topic === rig.topic('radio/rssi'), 10_000);
    // After its report the board sleeps; SLEEP_SECONDS later it wakes (PINGREQ with its
    // ClientId), gets PINGRESP and reconnects for its next report.
    await waitForOccurrences(gateway, asleep, 1, 10_000);
    await waitForOccurrences(gateway, awake, 1, (SLEEP_SECONDS + 5) * 1_000);
    assert.match(gateway.stdout(), /"level":"debug",[^\n]*"msg":"MQTT-SN client sn-relay asleep"/);
    assert.match(gateway.stdout(), /"level":"debug",[^\n]*"msg":"MQTT-SN client sn-relay awake"/);
  });

  it('a command published while it sleeps is kept and delivered when it wakes: D7 goes high', async () => {
    const { gateway, board } = rig;
    // Wait for the start of a sleep, then command at once.
    const sleeps = occurrences(gateway, asleep);
    await waitForOccurrences(gateway, asleep, sleeps + 1, (SLEEP_SECONDS + 10) * 1_000);
    const wakes = occurrences(gateway, awake);
    const since = Date.now();
    await command(rig, 'on');
    // Asleep: the gateway keeps the message; the relay does not move.
    await sleep(1_000);
    assert.equal(
      occurrences(gateway, awake),
      wakes,
      `the board woke within 1 s of a ${SLEEP_SECONDS} s sleep`,
    );
    assert.notEqual(board.pins().get('D7'), 1, 'D7 changed while the board slept');
    // It wakes, the kept PUBLISH goes out, the relay switches and the board reports it.
    await board.waitForPin('D7', 1, (SLEEP_SECONDS + 5) * 1_000);
    await waitForOccurrences(gateway, awake, wakes + 1, 1_000);
    const on = await reportAfter(rig, 'relay', since, 'on');
    assert.ok(on.receivedAt - since >= (SLEEP_SECONDS - 2) * 1_000, 'relay = on before the board woke');
  });

  it('pulled while asleep: lost after 1.5 × the sleep duration, its Will (relay = off, retained) is published', async () => {
    const { gateway, board } = rig;
    const sleeps = occurrences(gateway, asleep);
    await waitForOccurrences(gateway, asleep, sleeps + 1, (SLEEP_SECONDS + 10) * 1_000);
    const since = Date.now();
    await board.stop();
    const will = await rig.sub.waitFor(
      (m) => m.topic === rig.topic('relay') && m.receivedAt >= since,
      (SLEEP_SECONDS * 1.5 + 5) * 1_000,
    );
    assert.equal(will.payload, 'off');
    assert.equal(will.qos, 1);
    // The log line and the Will reach this process by two paths (the gateway's stdout pipe,
    // the broker): the Will may be read first.
    await gateway.waitForOutput(/MQTT-SN client sn-relay lost/, 10_000);
    const late = await subscribe({
      host: rig.broker.host,
      port: rig.broker.port,
      topics: [rig.topic('relay')],
    });
    try {
      const retained = await late.waitFor((m) => m.topic === rig.topic('relay'));
      assert.equal(retained.retain, true);
      assert.equal(retained.payload, 'off');
    } finally {
      await late.stop();
    }
  });
});
