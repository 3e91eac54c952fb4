// The pure MQTT-SN v1.2 gateway core (src/mqttsn/gateway.ts): SUBSCRIBE and UNSUBSCRIBE,
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
  register,
  subscribeName,
  subscribePacket,
} from '../../helpers/mqttsn-rig.ts';

describe('§6.9 SUBSCRIBE and UNSUBSCRIBE', () => {
  it('§6.9: a name without wildcards → SUBACK with its topic id; subscribed upstream under the prefix', () => {
    const s = connected();
    s.gw.receive('', subscribePacket({ kind: 'name', name: 'led' }, 1, 3));
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
      const s = connected();
      s.gw.receive('', subscribePacket({ kind: 'name', name }, 0, 3));
      assert.deepEqual(s.env.takeFor(), [{ type: 'SUBACK', qos: 0, topicId: 0, msgId: 3, returnCode: 0 }]);
      assert.deepEqual(s.env.subscribed, [[`${PREFIX}/${name}`, 0]]);
    });
  }

  it('§6.9: a predefined topic id → SUBACK with that id', () => {
    const s = connected();
    s.gw.receive('', subscribePacket({ kind: 'predefined', id: 9 }, 2, 4));
    assert.deepEqual(s.env.takeFor(), [{ type: 'SUBACK', qos: 2, topicId: 9, msgId: 4, returnCode: 0 }]);
    assert.deepEqual(s.env.subscribed, [[`${PREFIX}/cmd/fan`, 2]]);
  });

  it('§6.9: a short topic name → SUBACK topic id 0x0000', () => {
    const s = connected();
    s.gw.receive('', subscribePacket({ kind: 'short', name: 'ab' }, 1, 5));
    assert.deepEqual(s.env.takeFor(), [{ type: 'SUBACK', qos: 1, topicId: 0, msgId: 5, returnCode: 0 }]);
    assert.deepEqual(s.env.subscribed, [[`${PREFIX}/ab`, 1]]);
  });

  for (const name of ['#/a', 'a/#/b', '$x', '$SYS/#', '/a', 'a//b', 'a+', 'a#']) {
    it(`docs/contract.md §4.2: filter ${JSON.stringify(name)} outside the rules → SUBACK 0x03, not subscribed`, () => {
      const s = connected();
      s.gw.receive('', subscribePacket({ kind: 'name', name }, 1, 6));
      assert.deepEqual(s.env.takeFor(), [{ type: 'SUBACK', qos: 0, topicId: 0, msgId: 6, returnCode: 3 }]);
      assert.deepEqual(s.env.subscribed, []);
      assert.equal(client(s.gw).subscriptions.size, 0);
    });
  }

  it('§6.9: an unknown predefined topic id → SUBACK 0x02', () => {
    const s = connected();
    s.gw.receive('', subscribePacket({ kind: 'predefined', id: 8 }, 1, 7));
    assert.deepEqual(s.env.takeFor(), [{ type: 'SUBACK', qos: 0, topicId: 0, msgId: 7, returnCode: 2 }]);
    assert.deepEqual(s.env.subscribed, []);
  });

  it('§6.9: UNSUBSCRIBE → unsubscribed upstream, UNSUBACK; an unknown name → UNSUBACK only', () => {
    const s = connected();
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
    const s = connected();
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
