// The pure MQTT-SN v1.2 gateway core (src/mqttsn/gateway.ts) against a fake environment:
// a clock the test advances, every packet sent recorded, a queue whose answer the test
// chooses (queued, full, failing, or held until the test releases it), preset de-dup marks.
// Each test names the clause of MQTT-SN 1.2 (the OASIS/IBM specification) or of
// docs/contract.md §4.2 it checks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClientSession } from '../../../src/mqttsn/client-state.ts';
import {
  FakeEnv,
  PORT,
  PREFIX,
  buf,
  client,
  connect,
  connectWithWill,
  publish,
  register,
  settle,
  setup,
  subscribeName,
} from '../../helpers/mqttsn-rig.ts';

// ------------------------------------------------------------------------------------------

describe('§6.2/§6.3 CONNECT and the Will handshake', () => {
  it('§6.2: CONNECT without the Will flag is answered CONNACK 0x00 and the client is Active', () => {
    const s = setup();
    connect(s);
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
    s.gw.receive('', {
      type: 'CONNECT',
      will: true,
      cleanSession: true,
      protocolId: 1,
      duration: 60,
      clientId: 'dev-1',
    });
    assert.deepEqual(s.env.takeFor(), [{ type: 'WILLTOPICREQ' }]);
    s.gw.receive('', { type: 'WILLTOPIC', will: null });
    assert.deepEqual(s.env.takeFor(), [{ type: 'CONNACK', returnCode: 0 }]);
    assert.equal(client(s.gw).will, null);
    assert.equal(client(s.gw).state, 'active');
  });

  for (const topic of ['$SYS/x', 'a/+', 'a/#', '#', '/a', 'a//b', '']) {
    it(`docs/contract.md §4.2 + §6.3: Will topic ${JSON.stringify(topic)} outside the rules → CONNACK 0x03`, () => {
      const s = setup();
      s.gw.receive('', {
        type: 'CONNECT',
        will: true,
        cleanSession: true,
        protocolId: 1,
        duration: 60,
        clientId: 'dev-1',
      });
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
    s.gw.receive('', {
      type: 'CONNECT',
      will: true,
      cleanSession: true,
      protocolId: 1,
      duration: 60,
      clientId: 'dev-1',
    });
    s.env.take();
    s.gw.receive('', { type: 'WILLTOPIC', will: { topic: '../x', qos: 0, retain: false } });
    assert.deepEqual(s.env.takeFor(), [{ type: 'CONNACK', returnCode: 3 }]);
  });

  it('§5.3.8: a ProtocolId other than 0x01 → CONNACK 0x03, no session', () => {
    const s = setup();
    s.gw.receive('', {
      type: 'CONNECT',
      will: false,
      cleanSession: true,
      protocolId: 2,
      duration: 60,
      clientId: 'dev-1',
    });
    assert.deepEqual(s.env.takeFor(), [{ type: 'CONNACK', returnCode: 3 }]);
    assert.equal(s.gw.clients().length, 0);
  });

  it('§5.5 + max_clients: a client past the limit behind a forwarder → CONNACK 0x01 (congestion)', () => {
    const s = setup({ max_clients: 2 });
    connect(s, '0001', { clientId: 'n1' });
    connect(s, '0002', { clientId: 'n2' });
    s.gw.receive('0003', {
      type: 'CONNECT',
      will: false,
      cleanSession: true,
      protocolId: 1,
      duration: 60,
      clientId: 'n3',
    });
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

describe('§6.5 REGISTER from the client', () => {
  it('§6.5: REGISTER → REGACK with a topic id; the same name again → the same id', () => {
    const s = setup();
    connect(s);
    const temp = register(s, 'temp', '', 5);
    assert.equal(register(s, 'temp', '', 6), temp);
    const hum = register(s, 'a/b.c-d_e', '', 7);
    assert.notEqual(hum, temp);
  });

  for (const name of ['a/+', 'a/#', '$SYS/x', '/temp', 'temp/', 'a//b', 'a b', 'ü']) {
    it(`docs/contract.md §4.2/§5: REGISTER ${JSON.stringify(name)} → REGACK 0x03`, () => {
      const s = setup();
      connect(s);
      s.gw.receive('', { type: 'REGISTER', topicId: 0, msgId: 9, topicName: name });
      assert.deepEqual(s.env.takeFor(), [{ type: 'REGACK', topicId: 0, msgId: 9, returnCode: 3 }]);
      assert.deepEqual(s.env.dropReasons(), ['topic_refused']);
    });
  }

  it('§6.5 + max_topics: a REGISTER past a full table → REGACK 0x03', () => {
    const s = setup({ max_topics: 2 });
    connect(s);
    register(s, 'a', '', 1);
    register(s, 'b', '', 2);
    s.gw.receive('', { type: 'REGISTER', topicId: 0, msgId: 3, topicName: 'c' });
    assert.deepEqual(s.env.takeFor(), [{ type: 'REGACK', topicId: 0, msgId: 3, returnCode: 3 }]);
    register(s, 'a', '', 4); // known names still answer
    assert.equal(client(s.gw).topics.size, 2);
  });

  it('§6.14: REGISTER without a connection → DISCONNECT', () => {
    const s = setup();
    s.gw.receive('', { type: 'REGISTER', topicId: 0, msgId: 1, topicName: 'temp' });
    assert.deepEqual(s.env.takeFor(), [{ type: 'DISCONNECT' }]);
    assert.deepEqual(s.env.dropReasons(), ['not_connected']);
  });
});

describe('§6.6–§6.8 PUBLISH from the client', () => {
  it('§6.6 QoS 0, normal id: queued as <prefix>/<name>, no answer', async () => {
    const s = setup();
    connect(s);
    const id = register(s, 'temp');
    s.gw.receive('', publish({ kind: 'normal', id }, '21.5', 0, 0, { retain: true }));
    await settle();
    assert.deepEqual(s.env.takeFor(), []);
    assert.deepEqual(s.env.queued, [
      {
        messages: [
          {
            port: PORT,
            topic: `${PREFIX}/temp`,
            payload: buf('21.5'),
            qos: 0,
            retain: true,
            createdAt: s.env.time,
          },
        ],
        mark: undefined,
      },
    ]);
    assert.equal(s.gw.counters.published, 1);
  });

  it('§6.6 QoS 1, predefined id: queued at QoS 1 with a de-dup mark, then PUBACK', async () => {
    const s = setup();
    connect(s);
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'ok', 1, 11));
    await settle();
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBACK', topicId: 7, msgId: 11, returnCode: 0 }]);
    const [q] = s.env.queued;
    assert.equal(q?.messages[0]?.topic, `${PREFIX}/status`);
    assert.equal(q?.messages[0]?.qos, 1);
    assert.equal(q?.mark?.port, ClientSession.markKey(PORT, 'dev-1'));
    assert.equal(q?.mark?.seq, 11);
  });

  it('§6.6 QoS 1, short topic name: topic <prefix>/<name>, PUBACK echoes the two octets', async () => {
    const s = setup();
    connect(s);
    s.gw.receive('', publish({ kind: 'short', name: 'ab' }, 'x', 1, 3));
    await settle();
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBACK', topicId: 0x6162, msgId: 3, returnCode: 0 }]);
    assert.equal(s.env.messages()[0]?.topic, `${PREFIX}/ab`);
  });

  it('§6.8 QoS −1 without a connection (predefined id, short name) is queued at QoS 0, unanswered', async () => {
    const s = setup();
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'up', -1, 0));
    s.gw.receive('', publish({ kind: 'short', name: 'tm' }, '21.5', -1, 0));
    await settle();
    assert.deepEqual(s.env.takeFor(), []);
    assert.deepEqual(
      s.env.messages().map((m) => [m.topic, m.qos, m.payload.toString()]),
      [
        [`${PREFIX}/status`, 0, 'up'],
        [`${PREFIX}/tm`, 0, '21.5'],
      ],
    );
    assert.equal(s.gw.clients().length, 0, 'QoS −1 creates no session');
  });

  it('§6.8 QoS −1 with an unknown predefined id is dropped without an answer', async () => {
    const s = setup();
    s.gw.receive('', publish({ kind: 'predefined', id: 8 }, 'x', -1, 0));
    await settle();
    assert.deepEqual(s.env.takeFor(), []);
    assert.deepEqual(s.env.queued, []);
    assert.deepEqual(s.env.dropReasons(), ['invalid_topic_id']);
  });

  it('docs/contract.md §4.2: a QoS 1 PUBLISH is acknowledged only after queue() resolves', async () => {
    const s = setup();
    connect(s);
    s.env.queueMode = 'hold';
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'ok', 1, 5));
    await settle();
    assert.equal(s.env.queued.length, 1, 'queue() was called');
    assert.deepEqual(s.env.takeFor(), [], 'no PUBACK while the queue has not answered');
    s.env.held[0]?.resolve({ status: 'queued' });
    await settle();
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBACK', topicId: 7, msgId: 5, returnCode: 0 }]);
  });

  it('§6.7 QoS 2: PUBREC after queueing, PUBREL → PUBCOMP', async () => {
    const s = setup();
    connect(s);
    const id = register(s, 'temp');
    s.env.queueMode = 'hold';
    s.gw.receive('', publish({ kind: 'normal', id }, '20', 2, 8));
    await settle();
    assert.deepEqual(s.env.takeFor(), [], 'no PUBREC before the queue answered');
    s.env.held[0]?.resolve({ status: 'queued' });
    await settle();
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBREC', msgId: 8 }]);
    assert.equal(s.env.messages()[0]?.qos, 2);
    assert.equal(s.env.messages()[0]?.topic, `${PREFIX}/temp`);
    s.gw.receive('', { type: 'PUBREL', msgId: 8 });
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBCOMP', msgId: 8 }]);
    assert.equal(client(s.gw).awaitingRel.size, 0);
  });

  for (const qos of [0, 1, 2] as const) {
    it(`§6.6: an unknown normal topic id at QoS ${qos} → PUBACK 0x02, nothing queued`, async () => {
      const s = setup();
      connect(s);
      s.gw.receive('', publish({ kind: 'normal', id: 77 }, '1', qos, qos === 0 ? 0 : 4));
      await settle();
      assert.deepEqual(s.env.takeFor(), [
        { type: 'PUBACK', topicId: 77, msgId: qos === 0 ? 0 : 4, returnCode: 2 },
      ]);
      assert.deepEqual(s.env.queued, []);
      assert.deepEqual(s.env.dropReasons(), ['invalid_topic_id']);
    });
  }

  it('§6.9: an unknown predefined topic id → PUBACK 0x02', async () => {
    const s = setup();
    connect(s);
    s.gw.receive('', publish({ kind: 'predefined', id: 8 }, '1', 1, 4));
    await settle();
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBACK', topicId: 8, msgId: 4, returnCode: 2 }]);
    assert.deepEqual(s.env.queued, []);
  });

  for (const [name, payload] of [
    ['temp', 'hot'],
    ['temp', '1000'],
    ['temp', ''],
    ['hum', '40.5'],
    ['mode', 'on'],
  ] as const) {
    it(`docs/contract.md §4.2/§3: ${name}=${JSON.stringify(payload)} fails the field → PUBACK 0x03, nothing queued`, async () => {
      const s = setup();
      connect(s);
      const id = register(s, name);
      s.gw.receive('', publish({ kind: 'normal', id }, payload, 1, 2));
      await settle();
      assert.deepEqual(s.env.takeFor(), [{ type: 'PUBACK', topicId: id, msgId: 2, returnCode: 3 }]);
      assert.deepEqual(s.env.queued, []);
      assert.deepEqual(s.env.dropReasons(), ['payload_refused']);
    });
  }

  it('docs/contract.md §3: the field is found by its wire key ("hum" for field humidity)', async () => {
    const s = setup({ undeclared_topics: false });
    connect(s);
    const id = register(s, 'hum');
    s.gw.receive('', publish({ kind: 'normal', id }, '40', 1, 2));
    await settle();
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBACK', topicId: id, msgId: 2, returnCode: 0 }]);
    assert.equal(s.env.messages()[0]?.topic, `${PREFIX}/hum`);
  });

  it('docs/contract.md §4.2: undeclared_topics: false refuses a topic without a field → PUBACK 0x03', async () => {
    const s = setup({ undeclared_topics: false });
    connect(s);
    const id = register(s, 'other');
    s.gw.receive('', publish({ kind: 'normal', id }, '1', 1, 2));
    s.gw.receive('', publish({ kind: 'normal', id }, '1', 0, 0));
    await settle();
    assert.deepEqual(s.env.takeFor(), [
      { type: 'PUBACK', topicId: id, msgId: 2, returnCode: 3 },
      { type: 'PUBACK', topicId: id, msgId: 0, returnCode: 3 },
    ]);
    assert.deepEqual(s.env.queued, []);
    assert.deepEqual(s.env.dropReasons(), ['topic_refused', 'topic_refused']);
  });

  it('undeclared_topics: true (default) publishes a topic without a field as sent', async () => {
    const s = setup();
    connect(s);
    const id = register(s, 'other');
    s.gw.receive('', publish({ kind: 'normal', id }, 'anything', 1, 2));
    await settle();
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBACK', topicId: id, msgId: 2, returnCode: 0 }]);
    assert.equal(s.env.messages()[0]?.payload.toString(), 'anything');
  });

  for (const qos of [1, 2] as const) {
    it(`§6.6: queue full at QoS ${qos} → PUBACK 0x01 (congestion)`, async () => {
      const s = setup();
      connect(s);
      s.env.queueMode = 'full';
      s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'x', qos, 6));
      await settle();
      assert.deepEqual(s.env.takeFor(), [{ type: 'PUBACK', topicId: 7, msgId: 6, returnCode: 1 }]);
      assert.deepEqual(s.env.dropReasons(), ['queue_full']);
      assert.equal(s.gw.counters.published, 0);
      assert.equal(client(s.gw).awaitingRel.size, 0);
    });
  }

  it('§6.13: queue storage failing → no answer (the client retries), counted', async () => {
    const s = setup();
    connect(s);
    s.env.queueMode = 'reject';
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'x', 1, 6));
    await settle();
    assert.deepEqual(s.env.takeFor(), []);
    assert.deepEqual(s.env.dropReasons(), ['queue_full']);
    // The resend once the queue works again is queued (nothing was committed).
    s.env.queueMode = 'queued';
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'x', 1, 6, { dup: true }));
    await settle();
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBACK', topicId: 7, msgId: 6, returnCode: 0 }]);
    assert.equal(s.env.queued.length, 2);
    assert.equal(s.gw.counters.duplicates, 0);
  });

  for (const qos of [0, 1, 2] as const) {
    it(`§6.14: PUBLISH QoS ${qos} from an unknown address → DISCONNECT, nothing queued`, async () => {
      const s = setup();
      s.gw.receive('0009', publish({ kind: 'predefined', id: 7 }, 'x', qos, qos === 0 ? 0 : 1));
      await settle();
      assert.deepEqual(s.env.takeFor('0009'), [{ type: 'DISCONNECT' }]);
      assert.deepEqual(s.env.queued, []);
      assert.deepEqual(s.env.dropReasons(), ['not_connected']);
    });
  }
});

describe('§5.3.4/§6.7 retransmissions are acknowledged again, queued once', () => {
  it('§5.3.4: a QoS 1 DUP=1 resend (same MsgId and payload) after the first was queued', async () => {
    const s = setup();
    connect(s);
    const id = register(s, 'temp');
    s.gw.receive('', publish({ kind: 'normal', id }, '21', 1, 9));
    await settle();
    s.gw.receive('', publish({ kind: 'normal', id }, '21', 1, 9, { dup: true }));
    await settle();
    const ack = { type: 'PUBACK', topicId: id, msgId: 9, returnCode: 0 };
    assert.deepEqual(s.env.takeFor(), [ack, ack]);
    assert.equal(s.env.queued.length, 1);
    assert.equal(s.gw.counters.duplicates, 1);
    assert.equal(s.gw.counters.published, 1);
  });

  it('§5.3.4: a resend arriving while the first copy is still being queued is queued once', async () => {
    const s = setup();
    connect(s);
    s.env.queueMode = 'hold';
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'ok', 1, 9));
    await settle();
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'ok', 1, 9, { dup: true }));
    await settle();
    assert.equal(s.env.queued.length, 1, 'the resend waits for the first copy');
    assert.deepEqual(s.env.takeFor(), []);
    s.env.held[0]?.resolve({ status: 'queued' });
    await settle();
    const ack = { type: 'PUBACK', topicId: 7, msgId: 9, returnCode: 0 };
    assert.deepEqual(s.env.takeFor(), [ack, ack]);
    assert.equal(s.env.queued.length, 1);
    assert.equal(s.gw.counters.duplicates, 1);
    assert.equal(client(s.gw).pendingUplink.size, 0);
  });

  it('§6.7: a QoS 2 resend without DUP while awaiting PUBREL → PUBREC again, queued once', async () => {
    const s = setup();
    connect(s);
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'ok', 2, 12));
    await settle();
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'ok', 2, 12));
    await settle();
    assert.deepEqual(s.env.takeFor(), [
      { type: 'PUBREC', msgId: 12 },
      { type: 'PUBREC', msgId: 12 },
    ]);
    assert.equal(s.env.queued.length, 1);
    assert.equal(s.gw.counters.duplicates, 1);
    // Released, the MsgId may be reused for a new message.
    s.gw.receive('', { type: 'PUBREL', msgId: 12 });
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBCOMP', msgId: 12 }]);
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'ok', 2, 12));
    await settle();
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBREC', msgId: 12 }]);
    assert.equal(s.env.queued.length, 2);
  });

  it('§5.3.4: the same MsgId with DUP=0 and a different payload is a new message', async () => {
    const s = setup();
    connect(s);
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'a', 1, 9));
    await settle();
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'b', 1, 9));
    await settle();
    // DUP=1 but a different payload: not the same message either.
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'c', 1, 9, { dup: true }));
    await settle();
    assert.deepEqual(
      s.env.messages().map((m) => m.payload.toString()),
      ['a', 'b', 'c'],
    );
    assert.equal(s.gw.counters.duplicates, 0);
  });

  it('docs/contract.md §4.1 reused: a fresh gateway restores the window from the committed marks', async () => {
    const first = setup();
    connect(first, '', { clientId: 'dev-1' });
    first.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'ok', 1, 42));
    await settle();
    const mark = first.env.queued[0]?.mark;
    assert.ok(mark);
    assert.equal(mark.port, ClientSession.markKey(PORT, 'dev-1'));
    assert.equal(mark.seq, 42);
    assert.equal(typeof mark.hash, 'number');

    // The gateway crashed after committing; its PUBACK was lost. A new one starts.
    const env = new FakeEnv();
    env.presetMarks.set(mark.port, [mark]);
    const second = setup({}, env);
    connect(second, '', { clientId: 'dev-1' });
    assert.deepEqual(env.marksAsked, [ClientSession.markKey(PORT, 'dev-1')]);
    second.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'ok', 1, 42, { dup: true }));
    await settle();
    assert.deepEqual(env.takeFor(), [{ type: 'PUBACK', topicId: 7, msgId: 42, returnCode: 0 }]);
    assert.deepEqual(env.queued, [], 'not queued twice');
    assert.equal(second.gw.counters.duplicates, 1);
  });
});

describe('§6.9 SUBSCRIBE and UNSUBSCRIBE', () => {
  it('§6.9: a name without wildcards → SUBACK with its topic id; subscribed upstream under the prefix', () => {
    const s = setup();
    connect(s);
    s.gw.receive('', {
      type: 'SUBSCRIBE',
      dup: false,
      qos: 1,
      msgId: 3,
      topic: { kind: 'name', name: 'led' },
    });
    const [suback] = s.env.takeFor();
    assert.ok(suback?.type === 'SUBACK');
    assert.equal(suback.returnCode, 0);
    assert.equal(suback.msgId, 3);
    assert.equal(suback.qos, 1);
    assert.ok(suback.topicId >= 1);
    assert.deepEqual(s.env.subscribed, [[`${PREFIX}/led`, 1]]);
    // The same id serves the client's own PUBLISH on that name (one table, §6.5).
    assert.equal(register(s, 'led'), suback.topicId);
  });

  for (const name of ['cmd/+', '#', '+/set']) {
    it(`§6.9: wildcard filter ${name} → SUBACK topic id 0x0000`, () => {
      const s = setup();
      connect(s);
      s.gw.receive('', { type: 'SUBSCRIBE', dup: false, qos: 0, msgId: 3, topic: { kind: 'name', name } });
      assert.deepEqual(s.env.takeFor(), [{ type: 'SUBACK', qos: 0, topicId: 0, msgId: 3, returnCode: 0 }]);
      assert.deepEqual(s.env.subscribed, [[`${PREFIX}/${name}`, 0]]);
    });
  }

  it('§6.9: a predefined topic id → SUBACK with that id', () => {
    const s = setup();
    connect(s);
    s.gw.receive('', {
      type: 'SUBSCRIBE',
      dup: false,
      qos: 2,
      msgId: 4,
      topic: { kind: 'predefined', id: 9 },
    });
    assert.deepEqual(s.env.takeFor(), [{ type: 'SUBACK', qos: 2, topicId: 9, msgId: 4, returnCode: 0 }]);
    assert.deepEqual(s.env.subscribed, [[`${PREFIX}/cmd/fan`, 2]]);
  });

  it('§6.9: a short topic name → SUBACK topic id 0x0000', () => {
    const s = setup();
    connect(s);
    s.gw.receive('', {
      type: 'SUBSCRIBE',
      dup: false,
      qos: 1,
      msgId: 5,
      topic: { kind: 'short', name: 'ab' },
    });
    assert.deepEqual(s.env.takeFor(), [{ type: 'SUBACK', qos: 1, topicId: 0, msgId: 5, returnCode: 0 }]);
    assert.deepEqual(s.env.subscribed, [[`${PREFIX}/ab`, 1]]);
  });

  for (const name of ['#/a', 'a/#/b', '$x', '$SYS/#', '/a', 'a//b', 'a+', 'a#']) {
    it(`docs/contract.md §4.2: filter ${JSON.stringify(name)} outside the rules → SUBACK 0x03, not subscribed`, () => {
      const s = setup();
      connect(s);
      s.gw.receive('', { type: 'SUBSCRIBE', dup: false, qos: 1, msgId: 6, topic: { kind: 'name', name } });
      assert.deepEqual(s.env.takeFor(), [{ type: 'SUBACK', qos: 0, topicId: 0, msgId: 6, returnCode: 3 }]);
      assert.deepEqual(s.env.subscribed, []);
      assert.equal(client(s.gw).subscriptions.size, 0);
    });
  }

  it('§6.9: an unknown predefined topic id → SUBACK 0x02', () => {
    const s = setup();
    connect(s);
    s.gw.receive('', {
      type: 'SUBSCRIBE',
      dup: false,
      qos: 1,
      msgId: 7,
      topic: { kind: 'predefined', id: 8 },
    });
    assert.deepEqual(s.env.takeFor(), [{ type: 'SUBACK', qos: 0, topicId: 0, msgId: 7, returnCode: 2 }]);
    assert.deepEqual(s.env.subscribed, []);
  });

  it('§6.9: UNSUBSCRIBE → unsubscribed upstream, UNSUBACK; an unknown name → UNSUBACK only', () => {
    const s = setup();
    connect(s);
    subscribeName(s, 'cmd/+', 1);
    s.gw.receive('', { type: 'UNSUBSCRIBE', msgId: 8, topic: { kind: 'name', name: 'cmd/+' } });
    assert.deepEqual(s.env.takeFor(), [{ type: 'UNSUBACK', msgId: 8 }]);
    assert.deepEqual(s.env.unsubscribed, [`${PREFIX}/cmd/+`]);
    s.gw.receive('', { type: 'UNSUBSCRIBE', msgId: 9, topic: { kind: 'name', name: 'never' } });
    assert.deepEqual(s.env.takeFor(), [{ type: 'UNSUBACK', msgId: 9 }]);
    assert.deepEqual(s.env.unsubscribed, [`${PREFIX}/cmd/+`]);
    // Nothing is delivered on it any more.
    s.gw.deliver(`${PREFIX}/cmd/led`, buf('1'), 1, false);
    assert.deepEqual(s.env.take(), []);
  });

  it('§6.9: SUBSCRIBE again with another QoS re-subscribes upstream at that QoS', () => {
    const s = setup();
    connect(s);
    subscribeName(s, 'led', 0);
    subscribeName(s, 'led', 0, '', 201);
    subscribeName(s, 'led', 2, '', 202);
    assert.deepEqual(s.env.subscribed, [
      [`${PREFIX}/led`, 0],
      [`${PREFIX}/led`, 2],
    ]);
    assert.deepEqual(s.env.unsubscribed, [`${PREFIX}/led`]);
  });
});

describe('§6.10/§6.13 delivery from the broker', () => {
  it('§6.10: a topic matched by a wildcard → the gateway REGISTERs it first, PUBLISHes after REGACK 0', () => {
    const s = setup();
    connect(s);
    subscribeName(s, 'cmd/+', 1);
    s.gw.deliver(`${PREFIX}/cmd/led`, buf('on'), 1, true);
    const [reg, ...rest] = s.env.takeFor();
    assert.deepEqual(rest, []);
    assert.ok(reg?.type === 'REGISTER', 'REGISTER first');
    assert.equal(reg.topicName, 'cmd/led');
    assert.ok(reg.topicId >= 1 && reg.topicId <= 0xfffe);
    assert.ok(reg.msgId >= 1);
    // Nothing more until the REGACK, even after another message.
    s.gw.deliver(`${PREFIX}/cmd/led`, buf('off'), 1, false);
    assert.deepEqual(s.env.take(), []);
    s.gw.receive('', { type: 'REGACK', topicId: reg.topicId, msgId: reg.msgId, returnCode: 0 });
    const [pub, ...more] = s.env.takeFor();
    assert.deepEqual(more, []);
    assert.ok(pub?.type === 'PUBLISH');
    assert.deepEqual(pub.topic, { kind: 'normal', id: reg.topicId });
    assert.equal(pub.qos, 1);
    assert.equal(pub.retain, true);
    assert.equal(pub.dup, false);
    assert.ok(pub.msgId >= 1);
    assert.notEqual(pub.msgId, reg.msgId);
    assert.equal(pub.payload.toString(), 'on');
    s.gw.receive('', { type: 'PUBACK', topicId: reg.topicId, msgId: pub.msgId, returnCode: 0 });
    // The second message uses the registered id at once.
    const [pub2, ...none] = s.env.takeFor();
    assert.deepEqual(none, []);
    assert.ok(pub2?.type === 'PUBLISH');
    assert.deepEqual(pub2.topic, { kind: 'normal', id: reg.topicId });
    assert.equal(pub2.payload.toString(), 'off');
    s.gw.receive('', { type: 'PUBACK', topicId: reg.topicId, msgId: pub2.msgId, returnCode: 0 });
    assert.equal(s.gw.counters.delivered, 2);
  });

  it('§6.10: a REGACK rejection drops that delivery (counted)', () => {
    const s = setup();
    connect(s);
    subscribeName(s, 'cmd/+', 0);
    s.gw.deliver(`${PREFIX}/cmd/led`, buf('on'), 0, false);
    const [reg] = s.env.takeFor();
    assert.ok(reg?.type === 'REGISTER');
    s.gw.receive('', { type: 'REGACK', topicId: reg.topicId, msgId: reg.msgId, returnCode: 3 });
    assert.deepEqual(s.env.take(), []);
    assert.deepEqual(s.env.dropReasons(), ['delivery_failed']);
    assert.equal(client(s.gw).downlink.length, 0);
  });

  it('§6.13: a QoS 1 PUBLISH is retried with DUP=1 every T_retry, dropped after N_retry retries', () => {
    const s = setup({ retry: 1000, retries: 2 });
    connect(s);
    const id = subscribeName(s, 'led', 1);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 1, false);
    const [first] = s.env.takeFor();
    assert.ok(first?.type === 'PUBLISH');
    assert.deepEqual(first.topic, { kind: 'normal', id });
    assert.equal(first.dup, false);
    s.env.advance(999);
    s.gw.tick();
    assert.deepEqual(s.env.take(), [], 'not before T_retry');
    s.env.advance(1);
    s.gw.tick();
    assert.deepEqual(s.env.takeFor(), [{ ...first, dup: true }], 'retry 1 at T_retry');
    s.env.advance(1000);
    s.gw.tick();
    assert.deepEqual(s.env.takeFor(), [{ ...first, dup: true }], 'retry 2');
    s.env.advance(1000);
    s.gw.tick();
    assert.deepEqual(s.env.take(), [], 'given up: nothing more sent');
    assert.deepEqual(s.env.dropReasons(), ['delivery_failed']);
    assert.equal(client(s.gw).outstanding, null);
    assert.equal(client(s.gw).downlink.length, 0);
    assert.equal(s.gw.counters.delivered, 0);
    // A late PUBACK for it is ignored.
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: first.msgId, returnCode: 0 });
    assert.equal(s.gw.counters.delivered, 0);
  });

  it('§6.13: retries 0 → dropped at the first T_retry without a retransmission', () => {
    const s = setup({ retry: 500, retries: 0 });
    connect(s);
    subscribeName(s, 'led', 1);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 1, false);
    assert.equal(s.env.take().length, 1);
    s.env.advance(500);
    s.gw.tick();
    assert.deepEqual(s.env.take(), []);
    assert.deepEqual(s.env.dropReasons(), ['delivery_failed']);
  });

  it('§6.7/§6.13: QoS 2 delivery: PUBLISH → PUBREC → PUBREL (retried) → PUBCOMP', () => {
    const s = setup();
    connect(s);
    const id = subscribeName(s, 'led', 2);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 2, false);
    const [pub] = s.env.takeFor();
    assert.ok(pub?.type === 'PUBLISH');
    assert.equal(pub.qos, 2);
    assert.deepEqual(pub.topic, { kind: 'normal', id });
    s.gw.receive('', { type: 'PUBREC', msgId: pub.msgId });
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBREL', msgId: pub.msgId }]);
    s.env.advance(1000);
    s.gw.tick();
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBREL', msgId: pub.msgId }], 'PUBREL retried');
    s.gw.receive('', { type: 'PUBCOMP', msgId: pub.msgId });
    assert.equal(client(s.gw).outstanding, null);
    assert.equal(client(s.gw).downlink.length, 0);
    assert.equal(s.gw.counters.delivered, 1);
  });

  for (const [sub, msg, expected] of [
    [1, 2, 1],
    [2, 0, 0],
    [0, 2, 0],
    [2, 2, 2],
  ] as const) {
    it(`MQTT 3.1.1 §3.8.4 via §6.9: subscription QoS ${sub}, message QoS ${msg} → delivered at ${expected}`, () => {
      const s = setup();
      connect(s);
      subscribeName(s, 'led', sub);
      s.gw.deliver(`${PREFIX}/led`, buf('1'), msg, false);
      const [pub] = s.env.takeFor();
      assert.ok(pub?.type === 'PUBLISH');
      assert.equal(pub.qos, expected);
      assert.equal(pub.msgId === 0, expected === 0, 'MsgId 0 exactly for QoS 0 (§5.3.7)');
    });
  }

  it('overlapping subscriptions deliver once, at the highest matching QoS', () => {
    const s = setup();
    connect(s);
    subscribeName(s, '#', 0);
    subscribeName(s, 'led', 2, '', 201);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 2, false);
    const sent = s.env.takeFor();
    assert.equal(sent.length, 1);
    assert.ok(sent[0]?.type === 'PUBLISH');
    assert.equal(sent[0].qos, 2);
  });

  it('§6.9: a subscription by predefined id delivers with the predefined id, no REGISTER', () => {
    const s = setup();
    connect(s);
    s.gw.receive('', {
      type: 'SUBSCRIBE',
      dup: false,
      qos: 0,
      msgId: 4,
      topic: { kind: 'predefined', id: 9 },
    });
    s.env.take();
    s.gw.deliver(`${PREFIX}/cmd/fan`, buf('50'), 1, false);
    assert.deepEqual(s.env.takeFor(), [
      {
        type: 'PUBLISH',
        dup: false,
        qos: 0,
        retain: false,
        topic: { kind: 'predefined', id: 9 },
        msgId: 0,
        payload: buf('50'),
      },
    ]);
  });

  it('§6.9: a subscription by short name delivers with the short name', () => {
    const s = setup();
    connect(s);
    s.gw.receive('', {
      type: 'SUBSCRIBE',
      dup: false,
      qos: 0,
      msgId: 4,
      topic: { kind: 'short', name: 'ab' },
    });
    s.env.take();
    s.gw.deliver(`${PREFIX}/ab`, buf('x'), 0, false);
    const [pub] = s.env.takeFor();
    assert.ok(pub?.type === 'PUBLISH');
    assert.deepEqual(pub.topic, { kind: 'short', name: 'ab' });
  });

  it('docs/contract.md §4.2: broker topics outside the prefix are never delivered', () => {
    const s = setup();
    connect(s);
    subscribeName(s, '#', 1);
    for (const topic of ['home/other/led', PREFIX, `${PREFIX}/`, 'home/kitchenette/led', 'led', '$SYS/x'])
      s.gw.deliver(topic, buf('1'), 1, false);
    assert.deepEqual(s.env.take(), []);
    assert.equal(client(s.gw).downlink.length, 0);
  });

  it('§6.6: PUBACK 0x01 (congestion) from the client → the same message again after T_retry, DUP set', () => {
    const s = setup();
    connect(s);
    const id = subscribeName(s, 'led', 1);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 1, false);
    const [pub] = s.env.takeFor();
    assert.ok(pub?.type === 'PUBLISH');
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: pub.msgId, returnCode: 1 });
    assert.deepEqual(s.env.takeFor(), [], 'nothing at once');
    s.env.advance(1000); // T_retry of setup()
    s.gw.tick();
    const [again] = s.env.takeFor();
    assert.ok(again?.type === 'PUBLISH');
    assert.equal(again.msgId, pub.msgId);
    assert.equal(again.dup, true);
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: again.msgId, returnCode: 0 });
    assert.equal(s.gw.counters.delivered, 1);
  });

  it('§6.10: PUBACK 0x02 from the client → the gateway REGISTERs the topic again and resends', () => {
    const s = setup();
    connect(s);
    const id = subscribeName(s, 'led', 1);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 1, false);
    const [pub] = s.env.takeFor();
    assert.ok(pub?.type === 'PUBLISH');
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: pub.msgId, returnCode: 2 });
    const [reg, ...rest] = s.env.takeFor();
    assert.deepEqual(rest, []);
    assert.ok(reg?.type === 'REGISTER');
    assert.equal(reg.topicName, 'led');
    assert.equal(reg.topicId, id);
    s.gw.receive('', { type: 'REGACK', topicId: reg.topicId, msgId: reg.msgId, returnCode: 0 });
    const [again] = s.env.takeFor();
    assert.ok(again?.type === 'PUBLISH');
    assert.deepEqual(again.topic, { kind: 'normal', id });
    assert.equal(again.payload.toString(), '1');
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: again.msgId, returnCode: 0 });
    assert.equal(s.gw.counters.delivered, 1);
  });

  it('§6.10: PUBACK 0x02 to a retransmitted PUBLISH: the mapping is forgotten, the next message re-REGISTERs', () => {
    const s = setup({ retry: 1000, retries: 3 });
    connect(s);
    const id = subscribeName(s, 'led', 1);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 1, false);
    s.env.advance(1000);
    s.gw.tick();
    const [, resent] = s.env.takeFor();
    assert.ok(resent?.type === 'PUBLISH' && resent.dup);
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: resent.msgId, returnCode: 2 });
    s.env.take();
    s.gw.deliver(`${PREFIX}/led`, buf('2'), 1, false);
    const [next] = s.env.takeFor();
    assert.ok(next?.type === 'REGISTER', `REGISTER before using the id again, got ${next?.type}`);
    assert.equal(next.topicName, 'led');
  });

  it('the message being sent stays when newer ones overflow the buffer; the oldest waiting one goes', () => {
    const s = setup({ sleep_buffer: 2 });
    connect(s);
    const id = subscribeName(s, 'led', 1);
    s.gw.deliver(`${PREFIX}/led`, buf('m1'), 1, false);
    const [pub1] = s.env.takeFor();
    assert.ok(pub1?.type === 'PUBLISH');
    s.gw.deliver(`${PREFIX}/led`, buf('m2'), 1, false);
    s.gw.deliver(`${PREFIX}/led`, buf('m3'), 1, false);
    assert.deepEqual(s.env.take(), []);
    assert.deepEqual(s.env.dropReasons(), ['sleep_buffer_full']);
    assert.deepEqual(
      client(s.gw).downlink.map((d) => d.payload.toString()),
      ['m1', 'm3'],
    );
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: pub1.msgId, returnCode: 0 });
    const [pub3] = s.env.takeFor();
    assert.ok(pub3?.type === 'PUBLISH');
    assert.equal(pub3.payload.toString(), 'm3');
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: pub3.msgId, returnCode: 0 });
    assert.equal(s.gw.counters.delivered, 2);
    assert.equal(client(s.gw).downlink.length, 0);
  });

  it('a buffer of one: a newer message replaces the one being sent (oldest dropped) and goes out', () => {
    const s = setup({ sleep_buffer: 0 });
    connect(s);
    const id = subscribeName(s, 'led', 1);
    s.gw.deliver(`${PREFIX}/led`, buf('m1'), 1, false);
    const [pub1] = s.env.takeFor();
    assert.ok(pub1?.type === 'PUBLISH');
    s.gw.deliver(`${PREFIX}/led`, buf('m2'), 1, false);
    const [pub2] = s.env.takeFor();
    assert.ok(pub2?.type === 'PUBLISH', 'm2 is not left behind');
    assert.equal(pub2.payload.toString(), 'm2');
    // A late PUBACK for m1 does not settle m2.
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: pub1.msgId, returnCode: 0 });
    assert.equal(client(s.gw).downlink.length, 1);
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: pub2.msgId, returnCode: 0 });
    assert.equal(client(s.gw).downlink.length, 0);
    assert.equal(s.gw.counters.delivered, 1);
    assert.deepEqual(s.env.dropReasons(), ['sleep_buffer_full']);
  });
});

describe('§6.14 sleeping clients', () => {
  it('§6.14: DISCONNECT(Duration) → DISCONNECT, Asleep', () => {
    const s = setup();
    connect(s);
    s.gw.receive('', { type: 'DISCONNECT', duration: 30 });
    assert.deepEqual(s.env.takeFor(), [{ type: 'DISCONNECT' }]);
    const c = client(s.gw);
    assert.equal(c.state, 'asleep');
    assert.equal(c.sleepMs, 30_000);
    assert.deepEqual(s.env.changes.at(-1), { clientId: 'dev-1', address: '', from: 'active', to: 'asleep' });
  });

  it('§6.14: messages for a sleeping client are buffered (oldest dropped), sent on PINGREQ, then PINGRESP', () => {
    const s = setup({ sleep_buffer: 2 });
    connect(s);
    const id = subscribeName(s, 'led', 0);
    s.gw.receive('', { type: 'DISCONNECT', duration: 30 });
    s.env.take();
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
    const s = setup();
    connect(s);
    const id = subscribeName(s, 'led', 1);
    s.gw.receive('', { type: 'DISCONNECT', duration: 30 });
    s.env.take();
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
    const s = setup();
    connect(s);
    s.gw.receive('', { type: 'DISCONNECT', duration: 30 });
    s.env.take();
    s.gw.receive('', { type: 'PINGREQ', clientId: 'dev-1' });
    assert.deepEqual(s.env.takeFor(), [{ type: 'PINGRESP' }]);
    assert.equal(client(s.gw).state, 'asleep');
  });

  it('§6.14: PINGREQ with another ClientId → DISCONNECT', () => {
    const s = setup();
    connect(s);
    s.gw.receive('', { type: 'DISCONNECT', duration: 30 });
    s.env.take();
    s.gw.receive('', { type: 'PINGREQ', clientId: 'someone-else' });
    assert.deepEqual(s.env.takeFor(), [{ type: 'DISCONNECT' }]);
  });

  it('§6.14: CONNECT (CleanSession=0) from Asleep → Active, the buffered messages follow the CONNACK', () => {
    const s = setup();
    connect(s);
    subscribeName(s, 'cmd/+', 0);
    s.gw.receive('', { type: 'DISCONNECT', duration: 30 });
    s.env.take();
    s.gw.deliver(`${PREFIX}/cmd/led`, buf('1'), 0, false);
    s.gw.receive('', {
      type: 'CONNECT',
      will: false,
      cleanSession: false,
      protocolId: 1,
      duration: 60,
      clientId: 'dev-1',
    });
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
      s.gw.receive('', {
        type: 'PUBLISH',
        dup: false,
        qos: 0,
        retain: false,
        topic: { kind: 'short', name: 'tm' },
        msgId: 0,
        payload: buf(String(i)),
      });
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
    const s = setup();
    connect(s, '', { duration: 10 });
    subscribeName(s, 'led', 1);
    s.env.advance(20_000);
    s.gw.tick();
    assert.deepEqual(s.env.unsubscribed, [`${PREFIX}/led`]);
    assert.deepEqual(s.env.queued, [], 'no Will, nothing queued');
  });

  it('§6.11: anything heard from the client, PINGREQ included, restarts the keep-alive', () => {
    const s = setup();
    connect(s, '', { duration: 10 });
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
    s.gw.receive('', { type: 'DISCONNECT', duration: 20 });
    s.env.take();
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
