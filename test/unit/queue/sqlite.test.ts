// What only the durable store does: survive a reopen (rows, order, ids, portSeq, seq marks,
// packets, dead letters), group commit, the QoS 0 ring, WAL/synchronous settings, and the
// functions behind `tty2mqtt queue`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  integrityCheck,
  purgeDeadLetters,
  queueSummary,
  requeueDeadLetters,
} from '../../../src/queue/inspect.ts';
import { reconciles } from '../../../src/queue/limits.ts';
import { openSqliteOutbox } from '../../../src/queue/sqlite-outbox.ts';
import type { SqliteOutboxOptions } from '../../../src/queue/sqlite-outbox.ts';
import { message } from '../../helpers/outbox-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const options = (extra: Partial<SqliteOutboxOptions> = {}): SqliteOutboxOptions => ({
  path: join(dir, `d${(n += 1)}`, 'sub', 'queue.db'),
  durability: 'normal',
  maxMessages: 1000,
  maxBytes: 1e6,
  maxAgeMs: 1e12,
  whenFull: 'drop_oldest',
  ...extra,
});

describe('SqliteOutbox', () => {
  it('creates its folder 0700 and survives a reopen: rows, order, ids, portSeq, marks, packets', async () => {
    const o = options({ durability: 'full' });
    const box = await openSqliteOutbox(o);
    assert.equal(statSync(join(o.path, '..')).mode & 0o777, 0o700);
    await box.submit([message('a', 1), message('b', 1)], { seq: { port: 'a', seq: 3, hash: 33 } });
    await box.submit([message('a', 2), message('a', 3, { qos: 0 })]);
    const [first] = box.lease(1);
    box.packets.put({ messageId: 7, queueId: first!.id, packet: Buffer.from('pkt') });
    await box.close();

    const again = await openSqliteOutbox(o);
    const s = again.stats();
    assert.equal(s.recovered, 3); // the QoS 0 message lived in memory only
    assert.ok(reconciles(s));
    assert.deepEqual(again.seqMarks('a'), [{ port: 'a', seq: 3, hash: 33 }]);
    assert.deepEqual(again.packets.get(7)?.packet.toString(), 'pkt');
    const leased = again.lease(10); // t/a/1 is carried by the stored packet: not leased
    assert.deepEqual(
      leased.map((m) => m.topic),
      ['t/b/1', 't/a/2'],
    );
    await again.submit([message('a', 4)]);
    const [newer] = again.lease(10);
    assert.ok(newer!.id > leased[1]!.id);
    assert.ok(newer!.portSeq > leased[1]!.portSeq);
    await again.close();
    assert.equal(integrityCheck(o.path), 'ok');
  });

  it('commits a burst of submits in one batch, and at once when batchMaxMessages are pending', async () => {
    const box = await openSqliteOutbox(options({ batchMaxDelayMs: 60_000, batchMaxMessages: 10 }));
    const order: number[] = [];
    const all = Array.from({ length: 10 }, (_, i) => box.submit([message('a', i)]).then(() => order.push(i)));
    await Promise.all(all); // would wait a minute if the full batch did not commit at once
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let resolved = false;
    const late = box.submit([message('a', 10)]).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(resolved, false); // waits for the batch
    await box.close(); // close commits it
    await late;
    assert.equal(resolved, true);
  });

  it('keeps QoS 0 in a bounded ring, counted as ring_overflow; a marked QoS 0 line waits for the commit', async () => {
    const o = options({ ring: { maxMessages: 3 }, batchMaxDelayMs: 5 });
    const box = await openSqliteOutbox(o);
    for (let i = 1; i <= 5; i += 1) await box.submit([message('a', i, { qos: 0 })]);
    assert.equal(box.stats().dropped['ring_overflow'], 2);
    await box.submit([message('a', 6, { qos: 0 })], { seq: { port: 'a', seq: 1, hash: 1 } });
    assert.deepEqual(box.seqMarks('a').length, 1);
    assert.deepEqual(
      box.lease(10).map((m) => m.topic),
      ['t/a/4', 't/a/5', 't/a/6'],
    );
    assert.ok(reconciles(box.stats()));
    await box.close();
  });

  it('notices rows requeued by another process and tells its listeners', async () => {
    const o = options({ resyncIntervalMs: 20 });
    const box = await openSqliteOutbox(o);
    await box.submit([message('a', 1), message('a', 2)]);
    const [m1] = box.lease(1);
    box.deadLetter(m1!.id, 'not authorised');
    assert.equal(queueSummary(o.path).deadLetters.length, 1);
    const available = new Promise<void>((resolve) => box.onAvailable(resolve));
    assert.deepEqual(requeueDeadLetters(o.path), [m1!.id]);
    // The resync timer is unref'd (it never keeps a daemon alive): keep this test alive.
    const keepAlive = setTimeout(() => assert.fail('requeued rows were not noticed'), 5000);
    await available;
    clearTimeout(keepAlive);
    assert.equal(box.stats().depth, 2);
    assert.equal(box.stats().deadLetters, 0);
    assert.ok(reconciles(box.stats()));
    const leased = box.lease(10);
    assert.deepEqual(
      leased.map((m) => m.topic),
      ['t/a/2', 't/a/1'],
    );
    assert.equal(leased[1]!.portSeq, m1!.portSeq); // the same message: its stable id is kept
    await box.close();
  });

  it('summarises the queue and purges dead letters by id or all', async () => {
    const o = options();
    const box = await openSqliteOutbox(o);
    await box.submit([message('a', 1), message('b', 1), message('b', 2), message('b', 3)]);
    const [x, y, z] = box.lease(3);
    box.deadLetter(x!.id, 'packet too large');
    box.deadLetter(y!.id, 'topic invalid');
    box.deadLetter(z!.id, 'topic invalid');
    await box.close();
    const s = queueSummary(o.path);
    assert.equal(s.depth, 1);
    assert.deepEqual(s.ports, [{ port: 'b', depth: 1 }]);
    assert.deepEqual(
      s.deadLetters.map((d) => [d.topic, d.reason, d.attempts]),
      [
        ['t/a/1', 'packet too large', 1],
        ['t/b/1', 'topic invalid', 1],
        ['t/b/2', 'topic invalid', 1],
      ],
    );
    assert.deepEqual(purgeDeadLetters(o.path, [y!.id, 999]), [y!.id]);
    assert.deepEqual(purgeDeadLetters(o.path), [x!.id, z!.id]);
    assert.equal(queueSummary(o.path).deadLetters.length, 0);
  });
});
