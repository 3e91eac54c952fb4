// The one test suite every Outbox implementation must pass (the idea of MQTT.js's
// abstract_store and aedes-persistence's abstract.js): the memory outbox and the durable
// SQLite store. After every operation the books must balance.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reconciles } from '../../src/queue/limits.ts';
import type { OutMessage, SessionOutbox } from '../../src/queue/outbox.ts';

export interface OutboxFactoryOptions {
  maxMessages?: number;
  maxBytes?: number;
  maxAgeMs?: number;
  whenFull?: 'drop_oldest' | 'reject_new';
  now?: () => number;
}

export function message(port: string, n: number, overrides: Partial<OutMessage> = {}): OutMessage {
  return {
    port,
    topic: `t/${port}/${n}`,
    payload: Buffer.from(String(n)),
    qos: 1,
    retain: false,
    createdAt: Date.now(),
    ...overrides,
  };
}

/** The books balance: received = published + deadLettered + rejected + dropped + depth. */
export function assertBooks(box: SessionOutbox): void {
  const s = box.stats();
  assert.ok(reconciles(s), `books do not balance: ${JSON.stringify(s)}`);
}

export function outboxContract(
  name: string,
  create: (options: OutboxFactoryOptions) => Promise<SessionOutbox> | SessionOutbox,
): void {
  describe(`Outbox contract: ${name}`, () => {
    it('leases in submission order and forgets acknowledged messages', async () => {
      const box = await create({});
      await box.submit([message('a', 1), message('b', 1)]);
      await box.submit([message('a', 2)]);
      const leased = box.lease(10);
      assert.deepEqual(
        leased.map((m) => m.topic),
        ['t/a/1', 't/b/1', 't/a/2'],
      );
      assert.equal(box.stats().inflight, 3);
      assertBooks(box);
      for (const m of leased) box.ack(m.id);
      assertBooks(box);
      assert.equal(box.stats().depth, 0);
      assert.equal(box.stats().bytes, 0);
      assert.equal(box.stats().published, 3);
      assert.deepEqual(box.lease(10), []);
      await box.close();
    });

    it('gives each port increasing portSeq values and increasing ids', async () => {
      const box = await create({});
      await box.submit([message('a', 1), message('b', 1), message('a', 2)]);
      await box.submit([message('a', 3, { qos: 0 }), message('b', 2, { qos: 2 })]);
      const leased = box.lease(10);
      const seqs = (port: string): number[] => leased.filter((m) => m.port === port).map((m) => m.portSeq);
      for (const port of ['a', 'b']) {
        const s = seqs(port);
        assert.ok(
          s.every((v, i) => i === 0 || v > (s[i - 1] as number)),
          `${port}: ${s.join(',')}`,
        );
      }
      const ids = leased.map((m) => m.id);
      assert.ok(ids.every((v, i) => i === 0 || v > (ids[i - 1] as number)));
      assert.equal(new Set(leased.map((m) => `${m.port}/${m.portSeq}`)).size, leased.length);
      await box.close();
    });

    it('never leases a message twice until it is released, and keeps order on release', async () => {
      const box = await create({});
      await box.submit([1, 2, 3, 4].map((n) => message('a', n)));
      const first = box.lease(2);
      const second = box.lease(10);
      assert.deepEqual(
        second.map((m) => m.topic),
        ['t/a/3', 't/a/4'],
      );
      // Released out of order, they come back in id order, ahead of the rest.
      box.release(first[1]!.id, { attempted: true });
      box.release(first[0]!.id, { attempted: true });
      box.release(second[0]!.id);
      assertBooks(box);
      const again = box.lease(10);
      assert.deepEqual(
        again.map((m) => m.topic),
        ['t/a/1', 't/a/2', 't/a/3'],
      );
      assert.deepEqual(
        again.map((m) => m.attempts),
        [1, 1, 0],
      );
      await box.close();
    });

    it('a release with a delay keeps the message back until the delay has passed', async () => {
      let now = 1_000_000;
      const box = await create({ now: () => now });
      await box.submit([message('a', 1, { createdAt: now }), message('a', 2, { createdAt: now })]);
      const [m1] = box.lease(1);
      box.release(m1!.id, { delayMs: 5000, attempted: true });
      assert.deepEqual(
        box.lease(10).map((m) => m.topic),
        ['t/a/2'],
      );
      now += 4999;
      assert.deepEqual(box.lease(10), []);
      now += 1;
      const later = box.lease(10);
      assert.deepEqual(
        later.map((m) => [m.topic, m.attempts]),
        [['t/a/1', 1]],
      );
      assertBooks(box);
      await box.close();
    });

    it('dead-letters a message without blocking the ones behind it', async () => {
      const box = await create({});
      await box.submit([1, 2, 3].map((n) => message('a', n)));
      const [m1, m2] = box.lease(2);
      box.deadLetter(m1!.id, 'not authorised (0x87)');
      box.ack(m2!.id);
      assertBooks(box);
      const s = box.stats();
      assert.equal(s.deadLettered, 1);
      assert.equal(s.deadLetters, 1);
      assert.equal(s.depth, 1);
      assert.deepEqual(
        box.lease(10).map((m) => m.topic),
        ['t/a/3'],
      );
      box.deadLetter(m1!.id, 'again'); // already gone: nothing happens
      assert.equal(box.stats().deadLettered, 1);
      assertBooks(box);
      await box.close();
    });

    it("commits a line's #seq mark with its messages and keeps the last 256 per port", async () => {
      const box = await create({});
      await box.submit([message('a', 1)], { seq: { port: 'a', seq: 7, hash: 1234 } });
      await box.submit([], { seq: { port: 'a', seq: 8, hash: 99 } }); // a line with nothing to publish
      assert.deepEqual(box.seqMarks('a'), [
        { port: 'a', seq: 7, hash: 1234 },
        { port: 'a', seq: 8, hash: 99 },
      ]);
      assert.deepEqual(box.seqMarks('b'), []);
      await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          box.submit([message('b', i)], { seq: { port: 'b', seq: i, hash: i } }),
        ),
      );
      const marks = box.seqMarks('b');
      assert.equal(marks.length, 256);
      assert.deepEqual(marks[0], { port: 'b', seq: 44, hash: 44 });
      assert.deepEqual(marks[255], { port: 'b', seq: 299, hash: 299 });
      assert.equal(box.seqMarks('a').length, 2);
      assertBooks(box);
      await box.close();
    });

    it('keeps marks of at most keysInScope keys per scope (least recently marked go) and forgets a key on request', async () => {
      const box = await create({});
      const key = (id: string): string => `p\u0000mqttsn:${id}`;
      for (const id of ['a', 'b', 'c', 'a', 'd'])
        await box.submit([], { seq: { port: key(id), seq: 1, hash: 1, keysInScope: 3 } });
      assert.deepEqual(
        ['a', 'b', 'c', 'd'].map((id) => box.seqMarks(key(id)).length),
        [2, 0, 1, 1],
        'b, the least recently marked, went when d came',
      );
      await box.submit([], { seq: { port: 'p', seq: 5, hash: 5 } }); // a line port: not in the scope
      box.forgetSeqMarks(key('a'));
      assert.deepEqual(box.seqMarks(key('a')), []);
      assert.equal(box.seqMarks('p').length, 1);
      await box.close();
    });

    it('tells listeners when messages become available', async () => {
      const box = await create({});
      let calls = 0;
      const off = box.onAvailable(() => (calls += 1));
      await box.submit([message('a', 1)]);
      assert.ok(calls >= 1);
      off();
      const before = calls;
      await box.submit([message('a', 2)]);
      assert.equal(calls, before);
      await box.close();
    });

    it('drop_oldest makes room by dropping the oldest unleased messages, counted', async () => {
      const box = await create({ maxMessages: 3, whenFull: 'drop_oldest' });
      await box.submit([1, 2, 3].map((n) => message('a', n)));
      const [leased] = box.lease(1); // in flight: never dropped
      const result = await box.submit([message('a', 4), message('a', 5)]);
      assert.deepEqual(result, { status: 'queued' });
      assertBooks(box);
      assert.deepEqual(
        box.lease(10).map((m) => m.topic),
        ['t/a/4', 't/a/5'],
      );
      assert.equal(leased!.topic, 't/a/1');
      assert.equal(box.stats().dropped['dropped_oldest'], 2);
      await box.close();
    });

    it('reject_new refuses a whole line when it does not fit, and takes nothing of it', async () => {
      const box = await create({ maxMessages: 3, whenFull: 'reject_new' });
      await box.submit([1, 2].map((n) => message('a', n)));
      const mark = { port: 'a', seq: 5, hash: 5 };
      assert.deepEqual(await box.submit([message('a', 3), message('a', 4)], { seq: mark }), {
        status: 'full',
      });
      assert.equal(box.stats().depth, 2);
      assert.equal(box.stats().rejected, 2);
      assert.deepEqual(box.seqMarks('a'), []);
      assertBooks(box);
      assert.deepEqual(await box.submit([message('a', 3)]), { status: 'queued' });
      assertBooks(box);
      await box.close();
    });

    it('enforces max_bytes as well as max_messages', async () => {
      const box = await create({ maxBytes: 40, whenFull: 'reject_new' });
      const big = message('a', 1, { payload: Buffer.alloc(30) });
      assert.deepEqual(await box.submit([big]), { status: 'queued' });
      assert.deepEqual(await box.submit([message('a', 2, { payload: Buffer.alloc(30) })]), {
        status: 'full',
      });
      assertBooks(box);
      await box.close();
    });

    it('expires messages older than max_age, counted', async () => {
      let now = 10_000;
      const box = await create({ maxAgeMs: 1000, now: () => now });
      await box.submit([message('a', 1, { createdAt: 8000 }), message('a', 2, { createdAt: 9500 })]);
      now = 10_000;
      assert.deepEqual(
        box.lease(10).map((m) => m.topic),
        ['t/a/2'],
      );
      assert.equal(box.stats().dropped['expired'], 1);
      assertBooks(box);
      await box.close();
    });

    it('reports the age of the oldest message', async () => {
      let now = 5000;
      const box = await create({ now: () => now });
      assert.equal(box.stats().oldestAgeMs, null);
      await box.submit([message('a', 1, { createdAt: 4000 })]);
      now = 6000;
      assert.equal(box.stats().oldestAgeMs, 2000);
      await box.close();
    });

    it('keeps session packets in first-put order, replaced in place', async () => {
      const box = await create({});
      box.packets.put({ messageId: 5, queueId: 1, packet: Buffer.from('publish-5') });
      box.packets.put({ messageId: 2, queueId: 2, packet: Buffer.from('publish-2') });
      box.packets.put({ messageId: 5, queueId: null, packet: Buffer.from('pubrel-5') });
      assert.deepEqual(
        box.packets.all().map((p) => [p.messageId, p.queueId, p.packet.toString()]),
        [
          [5, null, 'pubrel-5'],
          [2, 2, 'publish-2'],
        ],
      );
      assert.equal(box.packets.get(2)?.packet.toString(), 'publish-2');
      box.packets.delete(2);
      assert.equal(box.packets.get(2), undefined);
      box.packets.clear();
      assert.deepEqual(box.packets.all(), []);
      await box.close();
    });

    it('never leases a message a stored packet carries, and accepts its ack', async () => {
      const box = await create({});
      await box.submit([1, 2].map((n) => message('a', n)));
      const [m1] = box.lease(1);
      box.packets.put({ messageId: 1, queueId: m1!.id, packet: Buffer.from('p') });
      box.release(m1!.id); // e.g. the connection dropped; the session will resend the packet
      assert.deepEqual(
        box.lease(10).map((m) => m.topic),
        ['t/a/2'],
      );
      box.ack(m1!.id); // resumed through the session and acknowledged
      box.packets.delete(1);
      assertBooks(box);
      assert.equal(box.stats().published, 1);
      assert.equal(box.stats().depth, 1);
      await box.close();
    });

    it('makes a message leasable again once its stored packet is deleted', async () => {
      const box = await create({});
      await box.submit([1, 2].map((n) => message('a', n)));
      const [m1] = box.lease(1);
      box.packets.put({ messageId: 9, queueId: m1!.id, packet: Buffer.from('p') });
      box.release(m1!.id);
      assert.deepEqual(
        box.lease(1).map((m) => m.topic),
        ['t/a/2'],
      );
      assert.deepEqual(box.lease(1), []);
      box.packets.delete(9); // the session was lost: deliver it afresh
      assert.deepEqual(
        box.lease(1).map((m) => m.topic),
        ['t/a/1'],
      );
      await box.close();
    });

    it('takes QoS 0 messages too, leased in order with the rest', async () => {
      const box = await create({});
      await box.submit([message('a', 1, { qos: 0 })]);
      await box.submit([message('a', 2, { qos: 1 })]);
      await box.submit([message('a', 3, { qos: 0 })]);
      const leased = box.lease(10);
      assert.deepEqual(
        leased.map((m) => m.topic),
        ['t/a/1', 't/a/2', 't/a/3'],
      );
      for (const m of leased) box.ack(m.id);
      assertBooks(box);
      assert.equal(box.stats().depth, 0);
      await box.close();
    });
  });
}
