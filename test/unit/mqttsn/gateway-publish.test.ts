// The pure MQTT-SN v1.2 gateway core (src/mqttsn/gateway.ts): REGISTER and PUBLISH from the
// client, and retransmissions acknowledged again but queued once,
// against the fake environment of test/helpers/mqttsn-rig.ts (a clock the test advances,
// every packet sent recorded, a queue whose answer the test chooses, preset de-dup marks).
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
  connected,
  publish,
  register,
  settle,
  setup,
} from '../../helpers/mqttsn-rig.ts';

describe('§6.5 REGISTER from the client', () => {
  it('§6.5: REGISTER → REGACK with a topic id; the same name again → the same id', () => {
    const s = connected();
    const temp = register(s, 'temp', '', 5);
    assert.equal(register(s, 'temp', '', 6), temp);
    const hum = register(s, 'a/b.c-d_e', '', 7);
    assert.notEqual(hum, temp);
  });

  for (const name of ['a/+', 'a/#', '$SYS/x', '/temp', 'temp/', 'a//b', 'a b', 'ü']) {
    it(`docs/contract.md §4.2/§5: REGISTER ${JSON.stringify(name)} → REGACK 0x03`, () => {
      const s = connected();
      s.gw.receive('', { type: 'REGISTER', topicId: 0, msgId: 9, topicName: name });
      assert.deepEqual(s.env.takeFor(), [{ type: 'REGACK', topicId: 0, msgId: 9, returnCode: 3 }]);
      assert.deepEqual(s.env.dropReasons(), ['topic_refused']);
    });
  }

  it('§6.5 + max_topics: a REGISTER past a full table → REGACK 0x03', () => {
    const s = connected({ max_topics: 2 });
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
    const s = connected();
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
    const s = connected();
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
    const s = connected();
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
    const s = connected();
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
    const s = connected();
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
      const s = connected();
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
    const s = connected();
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
      const s = connected();
      const id = register(s, name);
      s.gw.receive('', publish({ kind: 'normal', id }, payload, 1, 2));
      await settle();
      assert.deepEqual(s.env.takeFor(), [{ type: 'PUBACK', topicId: id, msgId: 2, returnCode: 3 }]);
      assert.deepEqual(s.env.queued, []);
      assert.deepEqual(s.env.dropReasons(), ['payload_refused']);
    });
  }

  it('docs/contract.md §3: the field is found by its wire key ("hum" for field humidity)', async () => {
    const s = connected({ undeclared_topics: false });
    const id = register(s, 'hum');
    s.gw.receive('', publish({ kind: 'normal', id }, '40', 1, 2));
    await settle();
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBACK', topicId: id, msgId: 2, returnCode: 0 }]);
    assert.equal(s.env.messages()[0]?.topic, `${PREFIX}/hum`);
  });

  it('docs/contract.md §4.2: undeclared_topics: false refuses a topic without a field → PUBACK 0x03', async () => {
    const s = connected({ undeclared_topics: false });
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
    const s = connected();
    const id = register(s, 'other');
    s.gw.receive('', publish({ kind: 'normal', id }, 'anything', 1, 2));
    await settle();
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBACK', topicId: id, msgId: 2, returnCode: 0 }]);
    assert.equal(s.env.messages()[0]?.payload.toString(), 'anything');
  });

  for (const qos of [1, 2] as const) {
    it(`§6.6: queue full at QoS ${qos} → PUBACK 0x01 (congestion)`, async () => {
      const s = connected();
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
    const s = connected();
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
    const s = connected();
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
    const s = connected();
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
    const s = connected();
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
    const s = connected();
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
