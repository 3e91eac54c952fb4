// The one test suite every Outbox implementation must pass (the idea of MQTT.js's
// abstract_store and aedes-persistence's abstract.js): the memory outbox now, the durable
// SQLite store in issue 3.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutMessage, Outbox } from '../../src/queue/outbox.ts';

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

export function outboxContract(
  name: string,
  create: (options: OutboxFactoryOptions) => Promise<Outbox> | Outbox,
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
      for (const m of leased) box.ack(m.id);
      assert.equal(box.stats().depth, 0);
      assert.equal(box.stats().bytes, 0);
      assert.deepEqual(box.lease(10), []);
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
      box.release(first[1]!.id);
      box.release(first[0]!.id);
      box.release(second[0]!.id);
      const again = box.lease(10);
      assert.deepEqual(
        again.map((m) => m.topic),
        ['t/a/1', 't/a/2', 't/a/3'],
      );
      assert.ok(again.every((m) => m.attempts === 1));
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
      const result = await box.submit([message('a', 4), message('a', 5)]);
      assert.deepEqual(result, { status: 'queued' });
      assert.deepEqual(
        box.lease(10).map((m) => m.topic),
        ['t/a/3', 't/a/4', 't/a/5'],
      );
      assert.equal(box.stats().dropped['dropped_oldest'], 2);
      await box.close();
    });

    it('reject_new refuses a whole line when it does not fit, and takes nothing of it', async () => {
      const box = await create({ maxMessages: 3, whenFull: 'reject_new' });
      await box.submit([1, 2].map((n) => message('a', n)));
      assert.deepEqual(await box.submit([message('a', 3), message('a', 4)]), { status: 'full' });
      assert.equal(box.stats().depth, 2);
      assert.equal(box.stats().dropped['rejected_full'], 2);
      assert.deepEqual(await box.submit([message('a', 3)]), { status: 'queued' });
      await box.close();
    });

    it('enforces max_bytes as well as max_messages', async () => {
      const box = await create({ maxBytes: 40, whenFull: 'reject_new' });
      const big = message('a', 1, { payload: Buffer.alloc(30) });
      assert.deepEqual(await box.submit([big]), { status: 'queued' });
      assert.deepEqual(await box.submit([message('a', 2, { payload: Buffer.alloc(30) })]), {
        status: 'full',
      });
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
  });
}
