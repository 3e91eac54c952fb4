// The pure MQTT-SN v1.2 gateway core (src/mqttsn/gateway.ts): delivery from the broker to the
// client (REGISTER first, retries, QoS, the downlink buffer),
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
  connected,
  subscribeName,
  subscribePacket,
  takePublish,
} from '../../helpers/mqttsn-rig.ts';

describe('§6.10/§6.13 delivery from the broker', () => {
  it('§6.10: a topic matched by a wildcard → the gateway REGISTERs it first, PUBLISHes after REGACK 0', () => {
    const s = connected();
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
    const s = connected();
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
    const s = connected({ retry: 1000, retries: 2 });
    const id = subscribeName(s, 'led', 1);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 1, false);
    const first = takePublish(s);
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
    const s = connected({ retry: 500, retries: 0 });
    subscribeName(s, 'led', 1);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 1, false);
    assert.equal(s.env.take().length, 1);
    s.env.advance(500);
    s.gw.tick();
    assert.deepEqual(s.env.take(), []);
    assert.deepEqual(s.env.dropReasons(), ['delivery_failed']);
  });

  it('§6.7/§6.13: QoS 2 delivery: PUBLISH → PUBREC → PUBREL (retried) → PUBCOMP', () => {
    const s = connected();
    const id = subscribeName(s, 'led', 2);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 2, false);
    const pub = takePublish(s);
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
      const s = connected();
      subscribeName(s, 'led', sub);
      s.gw.deliver(`${PREFIX}/led`, buf('1'), msg, false);
      const pub = takePublish(s);
      assert.equal(pub.qos, expected);
      assert.equal(pub.msgId === 0, expected === 0, 'MsgId 0 exactly for QoS 0 (§5.3.7)');
    });
  }

  it('overlapping subscriptions deliver once, at the highest matching QoS', () => {
    const s = connected();
    subscribeName(s, '#', 0);
    subscribeName(s, 'led', 2, '', 201);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 2, false);
    const sent = s.env.takeFor();
    assert.equal(sent.length, 1);
    assert.ok(sent[0]?.type === 'PUBLISH');
    assert.equal(sent[0].qos, 2);
  });

  it('§6.9: a subscription by predefined id delivers with the predefined id, no REGISTER', () => {
    const s = connected();
    s.gw.receive('', subscribePacket({ kind: 'predefined', id: 9 }, 0, 4));
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
    const s = connected();
    s.gw.receive('', subscribePacket({ kind: 'short', name: 'ab' }, 0, 4));
    s.env.take();
    s.gw.deliver(`${PREFIX}/ab`, buf('x'), 0, false);
    const pub = takePublish(s);
    assert.deepEqual(pub.topic, { kind: 'short', name: 'ab' });
  });

  it('docs/contract.md §4.2: broker topics outside the prefix are never delivered', () => {
    const s = connected();
    subscribeName(s, '#', 1);
    for (const topic of ['home/other/led', PREFIX, `${PREFIX}/`, 'home/kitchenette/led', 'led', '$SYS/x'])
      s.gw.deliver(topic, buf('1'), 1, false);
    assert.deepEqual(s.env.take(), []);
    assert.equal(client(s.gw).downlink.length, 0);
  });

  it('§6.6: PUBACK 0x01 (congestion) from the client → the same message again after T_retry, DUP set', () => {
    const s = connected();
    const id = subscribeName(s, 'led', 1);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 1, false);
    const pub = takePublish(s);
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: pub.msgId, returnCode: 1 });
    assert.deepEqual(s.env.takeFor(), [], 'nothing at once');
    s.env.advance(1000); // T_retry of setup()
    s.gw.tick();
    const again = takePublish(s);
    assert.equal(again.msgId, pub.msgId);
    assert.equal(again.dup, true);
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: again.msgId, returnCode: 0 });
    assert.equal(s.gw.counters.delivered, 1);
  });

  it('§6.10: PUBACK 0x02 from the client → the gateway REGISTERs the topic again and resends', () => {
    const s = connected();
    const id = subscribeName(s, 'led', 1);
    s.gw.deliver(`${PREFIX}/led`, buf('1'), 1, false);
    const pub = takePublish(s);
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: pub.msgId, returnCode: 2 });
    const [reg, ...rest] = s.env.takeFor();
    assert.deepEqual(rest, []);
    assert.ok(reg?.type === 'REGISTER');
    assert.equal(reg.topicName, 'led');
    assert.equal(reg.topicId, id);
    s.gw.receive('', { type: 'REGACK', topicId: reg.topicId, msgId: reg.msgId, returnCode: 0 });
    const again = takePublish(s);
    assert.deepEqual(again.topic, { kind: 'normal', id });
    assert.equal(again.payload.toString(), '1');
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: again.msgId, returnCode: 0 });
    assert.equal(s.gw.counters.delivered, 1);
  });

  it('§6.10: PUBACK 0x02 to a retransmitted PUBLISH: the mapping is forgotten, the next message re-REGISTERs', () => {
    const s = connected({ retry: 1000, retries: 3 });
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
    const s = connected({ sleep_buffer: 2 });
    const id = subscribeName(s, 'led', 1);
    s.gw.deliver(`${PREFIX}/led`, buf('m1'), 1, false);
    const pub1 = takePublish(s);
    s.gw.deliver(`${PREFIX}/led`, buf('m2'), 1, false);
    s.gw.deliver(`${PREFIX}/led`, buf('m3'), 1, false);
    assert.deepEqual(s.env.take(), []);
    assert.deepEqual(s.env.dropReasons(), ['sleep_buffer_full']);
    assert.deepEqual(
      client(s.gw).downlink.map((d) => d.payload.toString()),
      ['m1', 'm3'],
    );
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: pub1.msgId, returnCode: 0 });
    const pub3 = takePublish(s);
    assert.equal(pub3.payload.toString(), 'm3');
    s.gw.receive('', { type: 'PUBACK', topicId: id, msgId: pub3.msgId, returnCode: 0 });
    assert.equal(s.gw.counters.delivered, 2);
    assert.equal(client(s.gw).downlink.length, 0);
  });

  it('a buffer of one: a newer message replaces the one being sent (oldest dropped) and goes out', () => {
    const s = connected({ sleep_buffer: 0 });
    const id = subscribeName(s, 'led', 1);
    s.gw.deliver(`${PREFIX}/led`, buf('m1'), 1, false);
    const pub1 = takePublish(s);
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
