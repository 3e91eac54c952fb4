// The pure MQTT-SN v1.2 gateway core (src/mqttsn/gateway.ts): sleeping clients, keep-alive and
// DISCONNECT,
// against the fake environment of test/helpers/mqttsn-rig.ts (a clock the test advances,
// every packet sent recorded, a queue whose answer the test chooses, preset de-dup marks).
// Each test names the clause of MQTT-SN 1.2 (the OASIS/IBM specification) or of
// docs/contract.md §4.2 it checks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  PORT,
  PREFIX,
  buf,
  client,
  connectPacket,
  connected,
  connectWithWill,
  fallAsleep,
  publish,
  settle,
  setup,
  subscribeName,
} from '../../helpers/mqttsn-rig.ts';

describe('§6.14 sleeping clients', () => {
  it('§6.14: DISCONNECT(Duration) → DISCONNECT, Asleep', () => {
    const s = connected();
    s.gw.receive('', { type: 'DISCONNECT', duration: 30 });
    assert.deepEqual(s.env.takeFor(), [{ type: 'DISCONNECT' }]);
    const c = client(s.gw);
    assert.equal(c.state, 'asleep');
    assert.equal(c.sleepMs, 30_000);
    assert.deepEqual(s.env.changes.at(-1), { clientId: 'dev-1', address: '', from: 'active', to: 'asleep' });
  });

  it('§6.14: messages for a sleeping client are buffered (oldest dropped), sent on PINGREQ, then PINGRESP', () => {
    const s = connected({ sleep_buffer: 2 });
    const id = subscribeName(s, 'led', 0);
    fallAsleep(s);
    for (const m of ['1', '2', '3']) s.gw.deliver(`${PREFIX}/led`, buf(m), 0, false);
    assert.deepEqual(s.env.take(), [], 'nothing sent to a sleeping client');
    assert.equal(client(s.gw).downlink.length, 2);
    assert.deepEqual(s.env.dropReasons(), ['sleep_buffer_full']);
    s.env.advance(10_000);
    s.gw.receive('', { type: 'PINGREQ', clientId: 'dev-1' });
    const sent = s.env.takeFor();
    assert.deepEqual(
      sent.map((p) => (p.type === 'PUBLISH' ? `PUBLISH ${p.payload.toString()}` : p.type)),
      ['PUBLISH 2', 'PUBLISH 3', 'PINGRESP'],
    );
    assert.ok(sent[0]?.type === 'PUBLISH');
    assert.deepEqual(sent[0].topic, { kind: 'normal', id });
    assert.equal(client(s.gw).state, 'asleep');
    assert.equal(client(s.gw).asleepSince, s.env.time, 'the sleep timer restarts');
    assert.deepEqual(
      s.env.changes.slice(-2).map((c) => `${c.from}→${c.to}`),
      ['asleep→awake', 'awake→asleep'],
    );
  });

  it('§6.14: a buffered QoS 1 message waits for its PUBACK before PINGRESP', () => {
    const s = connected();
    const id = subscribeName(s, 'led', 1);
    fallAsleep(s);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 1, false);
    s.gw.receive('', { type: 'PINGREQ', clientId: 'dev-1' });
    const [pub, ...rest] = s.env.takeFor();
    assert.deepEqual(rest, []);
    assert.ok(pub?.type === 'PUBLISH');
    assert.equal(client(s.gw).state, 'awake');
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: pub.msgId, returnCode: 0 });
    assert.deepEqual(s.env.takeFor(), [{ type: 'PINGRESP' }]);
    assert.equal(client(s.gw).state, 'asleep');
  });

  it('§6.14: PINGREQ(ClientId) with nothing buffered → PINGRESP at once, still asleep', () => {
    const s = connected();
    fallAsleep(s);
    s.gw.receive('', { type: 'PINGREQ', clientId: 'dev-1' });
    assert.deepEqual(s.env.takeFor(), [{ type: 'PINGRESP' }]);
    assert.equal(client(s.gw).state, 'asleep');
  });

  it('§6.14: PINGREQ with another ClientId → DISCONNECT', () => {
    const s = connected();
    fallAsleep(s);
    s.gw.receive('', { type: 'PINGREQ', clientId: 'someone-else' });
    assert.deepEqual(s.env.takeFor(), [{ type: 'DISCONNECT' }]);
  });

  it('§6.14: CONNECT (CleanSession=0) from Asleep → Active, the buffered messages follow the CONNACK', () => {
    const s = connected();
    subscribeName(s, 'cmd/+', 0);
    fallAsleep(s);
    s.gw.deliver(`${PREFIX}/cmd/led`, buf('1'), 0, false);
    s.gw.receive('', connectPacket({ cleanSession: false }));
    const sent = s.env.takeFor();
    assert.deepEqual(sent[0], { type: 'CONNACK', returnCode: 0 });
    assert.equal(sent[1]?.type, 'REGISTER', '§6.10: topics are registered again after a reconnect');
    assert.equal(client(s.gw).state, 'active');
  });
});

describe('§6.11/§6.12 keep-alive and DISCONNECT', () => {
  it('§6.11: any message keeps a client alive — one that only PUBLISHes is never lost', async () => {
    const s = setup();
    connectWithWill(s, { topic: 'state', qos: 1, retain: true, payload: 'gone' }, '', { duration: 10 });
    for (let i = 0; i < 10; i++) {
      s.env.advance(9_000);
      s.gw.receive('', publish({ kind: 'short', name: 'tm' }, String(i), 0, 0));
      s.gw.tick();
    }
    await settle();
    assert.equal(client(s.gw).state, 'active');
    assert.equal(s.gw.counters.willsPublished, 0);
  });

  it('a PINGREQ from a client the gateway does not know (it restarted) is answered DISCONNECT', () => {
    const s = setup();
    s.gw.receive('', { type: 'PINGREQ', clientId: 'sleeper' });
    assert.deepEqual(s.env.takeFor(), [{ type: 'DISCONNECT' }]);
  });

  it('§6.11: silent for more than 1.5× the keep-alive → Lost, the Will queued as given', async () => {
    const s = setup();
    connectWithWill(s, { topic: 'state', qos: 1, retain: true, payload: 'gone' }, '', { duration: 10 });
    s.env.advance(15_000);
    s.gw.tick();
    assert.equal(client(s.gw).state, 'active', 'exactly 1.5× is still within tolerance');
    s.env.advance(1);
    s.gw.tick();
    await settle();
    assert.equal(client(s.gw).state, 'lost');
    assert.deepEqual(s.env.queued, [
      {
        messages: [
          {
            port: PORT,
            topic: `${PREFIX}/state`,
            payload: buf('gone'),
            qos: 1,
            retain: true,
            createdAt: s.env.time,
          },
        ],
        mark: undefined,
      },
    ]);
    assert.deepEqual(s.env.changes.at(-1), { clientId: 'dev-1', address: '', from: 'active', to: 'lost' });
    assert.equal(s.gw.counters.lost, 1);
    assert.equal(s.gw.counters.willsPublished, 1);
    s.gw.tick();
    assert.equal(s.env.queued.length, 1, 'lost once');
  });

  it('§6.11: a lost clean-session client gives up its upstream subscriptions', () => {
    const s = connected({}, { duration: 10 });
    subscribeName(s, 'led', 1);
    s.env.advance(20_000);
    s.gw.tick();
    assert.deepEqual(s.env.unsubscribed, [`${PREFIX}/led`]);
    assert.deepEqual(s.env.queued, [], 'no Will, nothing queued');
  });

  it('§6.11: anything heard from the client, PINGREQ included, restarts the keep-alive', () => {
    const s = connected({}, { duration: 10 });
    s.env.advance(14_000);
    s.gw.receive('', { type: 'PINGREQ' });
    assert.deepEqual(s.env.takeFor(), [{ type: 'PINGRESP' }]);
    s.env.advance(14_000);
    s.gw.tick();
    assert.equal(client(s.gw).state, 'active');
    s.gw.receive('', { type: 'REGISTER', topicId: 0, msgId: 1, topicName: 'temp' });
    s.env.advance(14_000);
    s.gw.tick();
    assert.equal(client(s.gw).state, 'active');
  });

  it('§6.14: asleep past 1.5× the sleep duration → Lost, the Will queued', async () => {
    const s = setup();
    connectWithWill(s, { topic: 'state', qos: 0, retain: false, payload: 'gone' }, '', { duration: 10 });
    fallAsleep(s, 20);
    s.env.advance(30_000);
    s.gw.tick();
    assert.equal(client(s.gw).state, 'asleep', 'the keep-alive does not apply while asleep');
    s.env.advance(1);
    s.gw.tick();
    await settle();
    assert.equal(client(s.gw).state, 'lost');
    assert.equal(s.env.messages()[0]?.topic, `${PREFIX}/state`);
  });

  it('§6.12: DISCONNECT without Duration → DISCONNECT, Disconnected, the Will is NOT published', async () => {
    const s = setup();
    connectWithWill(s, { topic: 'state', qos: 1, retain: true, payload: 'gone' }, '', { duration: 10 });
    subscribeName(s, 'led', 1);
    s.gw.receive('', { type: 'DISCONNECT' });
    assert.deepEqual(s.env.takeFor(), [{ type: 'DISCONNECT' }]);
    assert.equal(client(s.gw).state, 'disconnected');
    assert.deepEqual(s.env.unsubscribed, [`${PREFIX}/led`], 'clean session: subscriptions go');
    s.env.advance(3_600_000);
    s.gw.tick();
    await settle();
    assert.equal(client(s.gw).state, 'disconnected');
    assert.deepEqual(s.env.queued, []);
    assert.equal(s.gw.counters.lost, 0);
    // Deliveries to a disconnected client are dropped, not buffered.
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 1, false);
    assert.deepEqual(s.env.take(), []);
  });

  it('§6.11: the Will of a lost client that the queue refuses is counted', async () => {
    const s = setup();
    connectWithWill(s, { topic: 'state', qos: 1, retain: true, payload: 'gone' }, '', { duration: 10 });
    s.env.queueMode = 'full';
    s.env.advance(16_000);
    s.gw.tick();
    await settle();
    assert.deepEqual(s.env.dropReasons(), ['queue_full']);
  });
});
