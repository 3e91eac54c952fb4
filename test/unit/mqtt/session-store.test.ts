// The publisher's MQTT.js store (src/mqtt/session-store.ts): QoS 2 state is durable (the
// queue's packet store), QoS 1 PUBLISHes live in memory — the queue row is what makes QoS 1
// survive a crash.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Packet } from 'mqtt';
import { SessionStore } from '../../../src/mqtt/session-store.ts';
import { MemoryPacketStore } from '../../../src/queue/memory-packet-store.ts';

const publish = (messageId: number, qos: 1 | 2): Packet => ({
  cmd: 'publish',
  messageId,
  qos,
  topic: `t/${messageId}`,
  payload: Buffer.from('x'),
  retain: false,
  dup: false,
});

function put(store: SessionStore, packet: Packet): void {
  store.put(packet, (error) => assert.equal(error, undefined));
}

async function replay(store: SessionStore): Promise<Packet[]> {
  const out: Packet[] = [];
  for await (const p of store.createStream() as AsyncIterable<Packet>) out.push(p);
  return out;
}

describe('SessionStore', () => {
  it('keeps QoS 1 PUBLISHes in memory and QoS 2 PUBLISH/PUBREL in the durable store', async () => {
    const durable = new MemoryPacketStore();
    const store = new SessionStore(durable, (p) => (p.cmd === 'publish' ? (p.messageId ?? 0) * 10 : null));
    put(store, publish(1, 1));
    put(store, publish(2, 2));
    assert.deepEqual(
      durable.all().map((p) => p.messageId),
      [2],
    );
    assert.deepEqual([...store.queueIds()].sort(), [10, 20]);
    assert.equal(store.queueIdFor(1), 10);
    put(store, { cmd: 'pubrel', messageId: 2 }); // keeps the queue id of its PUBLISH
    assert.equal(durable.get(2)?.queueId, 20);
    const replayed = await replay(store);
    assert.deepEqual(
      replayed.map((p) => `${p.cmd}:${p.messageId}:${p.cmd === 'publish' ? String(p.dup) : '-'}`),
      ['pubrel:2:-', 'publish:1:true'],
    );
    store.del({ messageId: 1 }, (error, packet) => {
      assert.equal(error, undefined);
      assert.equal(packet?.cmd, 'publish');
    });
    store.del({ messageId: 2 }, (error) => assert.equal(error, undefined));
    assert.equal(durable.all().length, 0);
    assert.equal(store.queueIds().size, 0);
    store.get({ messageId: 1 }, (error) => assert.ok(error instanceof Error));
  });

  it('reports a durable write failure to MQTT.js instead of throwing', () => {
    const durable = new MemoryPacketStore();
    durable.put = () => {
      throw new Error('SQLITE_FULL: database or disk is full');
    };
    const store = new SessionStore(durable, () => 1);
    let reported: Error | undefined;
    store.put(publish(3, 2), (error) => (reported = error));
    assert.match(reported?.message ?? '', /SQLITE_FULL/);
  });
});
