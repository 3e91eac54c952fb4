// The pure MQTT-SN v1.2 gateway core (src/mqttsn/gateway.ts): CONNECT and the Will handshake,
// gateway discovery and clients behind a forwarder,
// against the fake environment of test/helpers/mqttsn-rig.ts (a clock the test advances,
// every packet sent recorded, a queue whose answer the test chooses, preset de-dup marks).
// Each test names the clause of MQTT-SN 1.2 (the OASIS/IBM specification) or of
// docs/contract.md §4.2 it checks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  PREFIX,
  buf,
  client,
  connect,
  connectPacket,
  connected,
  connectWithWill,
  publish,
  register,
  settle,
  setup,
  subscribeName,
} from '../../helpers/mqttsn-rig.ts';

describe('§6.2/§6.3 CONNECT and the Will handshake', () => {
  it('§6.2: CONNECT without the Will flag is answered CONNACK 0x00 and the client is Active', () => {
    const s = connected();
    const c = client(s.gw);
    assert.equal(c.state, 'active');
    assert.equal(c.clientId, 'dev-1');
    assert.equal(c.keepAliveMs, 60_000);
    assert.deepEqual(s.env.changes, [{ clientId: 'dev-1', address: '', from: 'connecting', to: 'active' }]);
    assert.equal(s.gw.counters.connects, 1);
  });

  it('§6.3: Will flag → WILLTOPICREQ, WILLTOPIC → WILLMSGREQ, WILLMSG → CONNACK 0x00', () => {
    const s = setup();
    connectWithWill(s, { topic: 'state', qos: 1, retain: true, payload: 'offline' });
    const c = client(s.gw);
    assert.equal(c.state, 'active');
    assert.deepEqual(c.will, {
      topic: `${PREFIX}/state`,
      qos: 1,
      retain: true,
      payload: buf('offline'),
    });
  });

  it('§5.4.7/§6.3: an empty WILLTOPIC means no Will: CONNACK 0x00 at once', () => {
    const s = setup();
    s.gw.receive('', connectPacket({ will: true }));
    assert.deepEqual(s.env.takeFor(), [{ type: 'WILLTOPICREQ' }]);
    s.gw.receive('', { type: 'WILLTOPIC', will: null });
    assert.deepEqual(s.env.takeFor(), [{ type: 'CONNACK', returnCode: 0 }]);
    assert.equal(client(s.gw).will, null);
    assert.equal(client(s.gw).state, 'active');
  });

  for (const topic of ['$SYS/x', 'a/+', 'a/#', '#', '/a', 'a//b', '']) {
    it(`docs/contract.md §4.2 + §6.3: Will topic ${JSON.stringify(topic)} outside the rules → CONNACK 0x03`, () => {
      const s = setup();
      s.gw.receive('', connectPacket({ will: true }));
      assert.deepEqual(s.env.takeFor(), [{ type: 'WILLTOPICREQ' }]);
      s.gw.receive('', { type: 'WILLTOPIC', will: { topic, qos: 0, retain: false } });
      assert.deepEqual(s.env.takeFor(), [{ type: 'CONNACK', returnCode: 3 }]);
      assert.equal(client(s.gw).state, 'disconnected');
      assert.deepEqual(s.env.dropReasons(), ['topic_refused']);
      // A WILLMSG now is out of place: the client is not connected.
      s.gw.receive('', { type: 'WILLMSG', willMsg: buf('x') });
      assert.deepEqual(s.env.takeFor(), [{ type: 'DISCONNECT' }]);
    });
  }

  it('docs/contract.md §4.2: a Will topic "../x" is refused (CONNACK 0x03): device levels "." and ".." are refused', () => {
    const s = setup();
    s.gw.receive('', connectPacket({ will: true }));
    s.env.take();
    s.gw.receive('', { type: 'WILLTOPIC', will: { topic: '../x', qos: 0, retain: false } });
    assert.deepEqual(s.env.takeFor(), [{ type: 'CONNACK', returnCode: 3 }]);
  });

  it('§5.3.8: a ProtocolId other than 0x01 → CONNACK 0x03, no session', () => {
    const s = setup();
    s.gw.receive('', connectPacket({ protocolId: 2 }));
    assert.deepEqual(s.env.takeFor(), [{ type: 'CONNACK', returnCode: 3 }]);
    assert.equal(s.gw.clients().length, 0);
  });

  it('§5.5 + max_clients: a client past the limit behind a forwarder → CONNACK 0x01 (congestion)', () => {
    const s = setup({ max_clients: 2 });
    connect(s, '0001', { clientId: 'n1' });
    connect(s, '0002', { clientId: 'n2' });
    s.gw.receive('0003', connectPacket({ clientId: 'n3' }));
    assert.deepEqual(s.env.takeFor('0003'), [{ type: 'CONNACK', returnCode: 1 }]);
    assert.deepEqual(s.env.dropReasons(), ['too_many_clients']);
    assert.equal(s.gw.clients().length, 2);
    // A client that went away makes room.
    s.gw.receive('0001', { type: 'DISCONNECT' });
    assert.deepEqual(s.env.takeFor('0001'), [{ type: 'DISCONNECT' }]);
    connect(s, '0003', { clientId: 'n3' });
    assert.deepEqual(
      s.gw
        .clients()
        .map((c) => c.address)
        .sort(),
      ['0002', '0003'],
    );
  });

  it('§6.4: WILLTOPICUPD / WILLMSGUPD update the Will, confined; an empty WILLTOPICUPD deletes it', () => {
    const s = setup();
    connectWithWill(s, { topic: 'state', qos: 0, retain: false, payload: 'bye' });
    s.gw.receive('', { type: 'WILLTOPICUPD', will: { topic: 'lwt', qos: 2, retain: true } });
    assert.deepEqual(s.env.takeFor(), [{ type: 'WILLTOPICRESP', returnCode: 0 }]);
    s.gw.receive('', { type: 'WILLMSGUPD', willMsg: buf('gone') });
    assert.deepEqual(s.env.takeFor(), [{ type: 'WILLMSGRESP', returnCode: 0 }]);
    assert.deepEqual(client(s.gw).will, {
      topic: `${PREFIX}/lwt`,
      qos: 2,
      retain: true,
      payload: buf('gone'),
    });
    s.gw.receive('', { type: 'WILLTOPICUPD', will: { topic: '$SYS/lwt', qos: 0, retain: false } });
    assert.deepEqual(s.env.takeFor(), [{ type: 'WILLTOPICRESP', returnCode: 3 }]);
    assert.equal(client(s.gw).will?.topic, `${PREFIX}/lwt`, 'a refused update leaves the Will');
    s.gw.receive('', { type: 'WILLTOPICUPD', will: null });
    assert.deepEqual(s.env.takeFor(), [{ type: 'WILLTOPICRESP', returnCode: 0 }]);
    assert.equal(client(s.gw).will, null);
  });
});

describe('§5.5 clients behind a forwarder', () => {
  it('§5.5/§7.3: two clients on two addresses have their own sessions and topic tables', async () => {
    const s = setup();
    connect(s, '00a1', { clientId: 'node-a' });
    connect(s, '00b2', { clientId: 'node-b' });
    const a = register(s, 'temp', '00a1');
    const b = register(s, 'hum', '00b2');
    assert.equal(a, b, 'per-client tables: both get the first id');
    s.gw.receive('00a1', publish({ kind: 'normal', id: a }, '21', 1, 1));
    s.gw.receive('00b2', publish({ kind: 'normal', id: b }, '40', 1, 1));
    await settle();
    assert.deepEqual(
      s.env.take().map(([addr, p]) => [addr, p.type]),
      [
        ['00a1', 'PUBACK'],
        ['00b2', 'PUBACK'],
      ],
    );
    assert.deepEqual(
      s.env.messages().map((m) => m.topic),
      [`${PREFIX}/temp`, `${PREFIX}/hum`],
    );
    // One asleep, the other keeps receiving.
    subscribeName(s, 'led', 0, '00a1');
    subscribeName(s, 'led', 0, '00b2');
    s.gw.receive('00a1', { type: 'DISCONNECT', duration: 60 });
    assert.deepEqual(s.env.takeFor('00a1'), [{ type: 'DISCONNECT' }]);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 0, false);
    const sent = s.env.takeFor('00b2');
    assert.equal(sent[0]?.type, 'PUBLISH');
    assert.equal(client(s.gw, '00a1').downlink.length, 1);
    assert.equal(client(s.gw, '00b2').state, 'active');
  });
});

describe('§6.1 gateway discovery', () => {
  it('§6.1: SEARCHGW → GWINFO with gateway_id, no session needed', () => {
    const s = setup();
    s.gw.receive('', { type: 'SEARCHGW', radius: 1 });
    assert.deepEqual(s.env.takeFor(), [{ type: 'GWINFO', gwId: 42 }]);
    s.gw.receive('00c3', { type: 'SEARCHGW', radius: 0 });
    assert.deepEqual(s.env.takeFor('00c3'), [{ type: 'GWINFO', gwId: 42 }]);
    assert.equal(s.gw.clients().length, 0);
  });

  it('§6.1: ADVERTISE and GWINFO from others are ignored', () => {
    const s = setup();
    s.gw.receive('', { type: 'ADVERTISE', gwId: 3, duration: 900 });
    s.gw.receive('', { type: 'GWINFO', gwId: 3 });
    assert.deepEqual(s.env.take(), []);
    assert.deepEqual(s.env.drops, []);
  });
});
