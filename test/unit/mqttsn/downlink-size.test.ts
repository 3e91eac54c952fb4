// Messages from the broker that no PUBLISH within `max_packet` can carry are dropped when
// they arrive (counted as delivery_too_large), not buffered for a sleeping client and then
// retried T_retry × N_retry (MQTT-SN 1.2 §6.13) while everything behind them waits. What
// is kept for a sleeping client (§6.14) is bounded in octets too (`sleep_buffer_bytes`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PREFIX, buf, client, connect, setup, subscribeName } from '../../helpers/mqttsn-rig.ts';

function heldBytes(s: ReturnType<typeof setup>): number {
  return client(s.gw).downlink.reduce((n, d) => n + d.payload.length, 0);
}

describe('downlink size bounds', () => {
  it('a message larger than max_packet for a sleeping client is dropped at arrival; the next one goes out at once', () => {
    const s = setup({ max_packet: 1024 });
    connect(s);
    subscribeName(s, 'cmd/#', 1);
    s.gw.receive('', { type: 'DISCONNECT', duration: 60 });
    s.env.take();
    // 1,000 broker messages of 50 KB: 50 MB if they were kept.
    for (let i = 0; i < 1000; i++) s.gw.deliver(`${PREFIX}/cmd/big`, Buffer.alloc(50_000, 0x61), 1, false);
    s.gw.deliver(`${PREFIX}/cmd/led`, buf('on'), 1, false);
    console.log(
      `# 1000 × 50 KB to a sleeping client (max_packet 1024): ${heldBytes(s)} payload octets held, ` +
        `${s.gw.counters.drops.delivery_too_large ?? 0} dropped as too large`,
    );
    assert.equal(s.gw.counters.drops.delivery_too_large, 1000);
    assert.equal(heldBytes(s), 2, 'only the normal message is kept');
    // It wakes: the normal message is the first thing it gets (REGISTER, then PUBLISH).
    s.gw.receive('', { type: 'PINGREQ', clientId: 'dev-1' });
    const [register] = s.env.takeFor();
    assert.ok(register?.type === 'REGISTER');
    assert.equal(register.topicName, 'cmd/led');
    s.gw.receive('', { type: 'REGACK', topicId: register.topicId, msgId: register.msgId, returnCode: 0 });
    const [published] = s.env.takeFor();
    assert.ok(published?.type === 'PUBLISH');
    assert.equal(published.payload.toString(), 'on');
  });

  it('the boundary: a PUBLISH of exactly max_packet octets is kept, one octet more is not', () => {
    // PUBLISH = Length(1 or 3) MsgType Flags TopicId(2) MsgId(2) Data (§5.4.12): 9 + data past 255.
    const s = setup({ max_packet: 300, predefined: { '9': 'cmd/fan' } });
    connect(s);
    s.gw.receive('', {
      type: 'SUBSCRIBE',
      dup: false,
      qos: 1,
      msgId: 5,
      topic: { kind: 'predefined', id: 9 },
    });
    s.env.take();
    s.gw.deliver(`${PREFIX}/cmd/fan`, Buffer.alloc(291, 0x61), 0, false);
    assert.equal(s.env.takeFor().length, 1, 'exactly 300 octets: sent');
    s.gw.deliver(`${PREFIX}/cmd/fan`, Buffer.alloc(292, 0x61), 0, false);
    assert.deepEqual(s.env.takeFor(), []);
    assert.equal(s.gw.counters.drops.delivery_too_large, 1);
  });

  it('sleep_buffer_bytes bounds what is kept for a sleeping client in octets, oldest dropped', () => {
    const s = setup({ max_packet: 1024, sleep_buffer: 1000, sleep_buffer_bytes: 4096 });
    connect(s);
    subscribeName(s, 'cmd/#', 1);
    s.gw.receive('', { type: 'DISCONNECT', duration: 60 });
    s.env.take();
    for (let i = 0; i < 100; i++)
      s.gw.deliver(`${PREFIX}/cmd/x`, Buffer.alloc(1000, 0x30 + (i % 10)), 1, false);
    const held = client(s.gw).downlink;
    console.log(`# 100 × 1000 octets, sleep_buffer_bytes 4096: ${held.length} kept, ${heldBytes(s)} octets`);
    assert.ok(heldBytes(s) + held.length * 'cmd/x'.length <= 4096);
    assert.equal(held.length, 4);
    assert.equal(held.at(-1)?.payload[0], 0x30 + (99 % 10), 'the newest is kept');
  });
});
