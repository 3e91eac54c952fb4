// The durable outbox's memory and table bounds in BYTES, not only counts: the QoS 0 ring,
// the write-behind staging, and the dead-letter table (count, bytes and age). Real SQLite
// files; a hand-driven clock where the outbox takes one; a real logger writing to a stream.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../../src/log/logger.ts';
import { queueSummary } from '../../../src/queue/inspect.ts';
import { MESSAGE_OVERHEAD_BYTES, reconciles } from '../../../src/queue/limits.ts';
import { openSqliteOutbox } from '../../../src/queue/sqlite-outbox.ts';
import type { SqliteOutboxOptions } from '../../../src/queue/sqlite-outbox.ts';
import { message } from '../../helpers/outbox-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-byte-bounds-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const KiB = 1024;
const MiB = 1024 * KiB;

const options = (extra: Partial<SqliteOutboxOptions> = {}): SqliteOutboxOptions => ({
  path: join(dir, `q${(n += 1)}.db`),
  durability: 'normal',
  maxMessages: 100_000,
  maxBytes: 1024 * MiB,
  maxAgeMs: 1e12,
  whenFull: 'drop_oldest',
  ...extra,
});

/** A real pino logger whose JSON lines are collected. */
function collectingLog(): { log: ReturnType<typeof createLogger>; lines: () => { msg: string }[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level: 'info', destination });
  const lines = (): { msg: string }[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { msg: string });
  return { log, lines };
}

const big = (port: string, i: number, bytes: number, extra: object = {}): ReturnType<typeof message> =>
  message(port, i, { payload: Buffer.alloc(bytes, 0x61), ...extra });

describe('queue bounds in bytes', () => {
  it('QoS 0 ring: 64 KiB readings stay under the ring byte bound, drops counted as qos0_ring_bytes', async () => {
    const { log, lines } = collectingLog();
    const ringBytes = 1 * MiB;
    const box = await openSqliteOutbox(options({ ring: { maxMessages: 10_000, maxBytes: ringBytes }, log }));
    const count = 100;
    for (let i = 1; i <= count; i += 1) await box.submit([big('a', i, 64 * KiB, { qos: 0 })]);
    const s = box.stats();
    // Each entry costs payload + topic + MESSAGE_OVERHEAD_BYTES against the ring's bound.
    const held = s.bytes + s.depth * MESSAGE_OVERHEAD_BYTES;
    console.log(
      `ring: ${count} x 64 KiB submitted, ${s.depth} held, ${held} bytes (bound ${ringBytes}), ` +
        `dropped ${JSON.stringify(s.dropped)}`,
    );
    assert.ok(held <= ringBytes, `ring holds ${held} bytes, over its ${ringBytes} bound`);
    assert.ok(s.depth >= 10, `the ring should still hold the newest readings, holds ${s.depth}`);
    assert.equal(s.dropped['qos0_ring_bytes'], count - s.depth);
    assert.ok(reconciles(s), JSON.stringify(s));
    // The newest survive: oldest dropped first.
    const leased = box.lease(1000);
    assert.equal(leased.at(-1)?.topic, `t/a/${count}`);
    assert.equal(leased[0]?.topic, `t/a/${count - s.depth + 1}`);
    // One line when the bound starts biting, not one per drop.
    const biting = lines().filter((l) => /QoS 0 ring/.test(l.msg));
    assert.equal(biting.length, 1, JSON.stringify(biting));
    await box.close();
  });

  it('dead letters: capped by count, bytes and age, oldest removed first, counted by reason', async () => {
    const { log, lines } = collectingLog();
    let now = 1_000_000;
    const o = options({
      now: () => now,
      log,
      deadLetter: { maxMessages: 5, maxBytes: 200 * KiB, maxAgeMs: 60_000 },
    });
    const box = await openSqliteOutbox(o);
    const deadLetterAll = async (msgs: ReturnType<typeof message>[]): Promise<void> => {
      await box.submit(msgs);
      for (const m of box.lease(msgs.length)) {
        box.deadLetter(m.id, 'refused');
        now += 1;
      }
    };
    // Count: 8 small dead letters, at most 5 kept (the newest).
    await deadLetterAll(Array.from({ length: 8 }, (_, i) => message('a', i + 1)));
    let kept = queueSummary(o.path).deadLetters.map((d) => d.topic);
    console.log(`dead letters after 8 by count (cap 5): ${kept.join(',')}`);
    assert.deepEqual(kept, ['t/a/4', 't/a/5', 't/a/6', 't/a/7', 't/a/8']);
    assert.equal(box.stats().deadLetters, 5);
    assert.equal(box.stats().deadLetterEvictions?.['max_messages'], 3);
    // Bytes: three of 80 KiB do not fit in 200 KiB: the oldest go until they do.
    await deadLetterAll([big('b', 1, 80 * KiB), big('b', 2, 80 * KiB), big('b', 3, 80 * KiB)]);
    const s = box.stats();
    kept = queueSummary(o.path).deadLetters.map((d) => d.topic);
    console.log(`dead letters after 3 x 80 KiB (cap 200 KiB): ${kept.join(',')}, ${s.deadLetterBytes} bytes`);
    assert.ok((s.deadLetterBytes ?? Infinity) <= 200 * KiB, `${s.deadLetterBytes}`);
    assert.deepEqual(kept.slice(-2), ['t/b/2', 't/b/3']);
    assert.ok(!kept.includes('t/b/1'));
    assert.ok((s.deadLetterEvictions?.['max_bytes'] ?? 0) >= 1);
    // Age: a minute later, everything is too old (enforced at lease time, once a second).
    now += 61_000;
    box.lease(1);
    const aged = box.stats();
    console.log(
      `dead letters after 61 s (max age 60 s): ${aged.deadLetters}, ${JSON.stringify(aged.deadLetterEvictions)}`,
    );
    assert.equal(queueSummary(o.path).deadLetters.length, 0);
    assert.equal(aged.deadLetters, 0);
    assert.equal(aged.deadLetterBytes, 0);
    assert.ok((aged.deadLetterEvictions?.['max_age'] ?? 0) >= 1);
    // Eviction is not a drop: the dead letters left the queue's books when they were dead-lettered.
    assert.equal(aged.deadLettered, 11);
    assert.ok(reconciles(aged), JSON.stringify(aged));
    assert.ok(lines().some((l) => /dead letters? .*evicted|evicted .*dead letter/i.test(l.msg)));
    await box.close();
  });

  it('dead letters: bounds lowered in the config apply when the queue is reopened', async () => {
    const o = options();
    const box = await openSqliteOutbox(o);
    await box.submit([1, 2, 3, 4].map((i) => message('a', i)));
    for (const m of box.lease(4)) box.deadLetter(m.id, 'refused');
    await box.close();
    const reopened = await openSqliteOutbox({
      ...o,
      deadLetter: { maxMessages: 2, maxBytes: 1e9, maxAgeMs: 1e12 },
    });
    const s = reopened.stats();
    console.log(
      `reopened with max_messages 2: ${s.deadLetters} kept, evicted ${JSON.stringify(s.deadLetterEvictions)}`,
    );
    assert.equal(s.deadLetters, 2);
    assert.deepEqual(s.deadLetterEvictions, { max_messages: 2 });
    assert.deepEqual(
      queueSummary(o.path).deadLetters.map((d) => d.topic),
      ['t/a/3', 't/a/4'],
    );
    await reopened.close();
  });

  it('write-behind staging: over its byte bound the oldest staged rows are written early, none dropped', async () => {
    const { log, lines } = collectingLog();
    const stagedMaxBytes = 512 * KiB;
    const o = options({ writeDelayMs: 60_000, stagedMaxBytes, log });
    const box = await openSqliteOutbox(o);
    box.setWriteBehind(true);
    const count = 40;
    const settled: number[] = [];
    const submits = Array.from({ length: count }, (_, i) =>
      box.submit([big('a', i + 1, 64 * KiB)]).then(() => settled.push(i + 1)),
    );
    await new Promise((resolve) => setImmediate(resolve));
    const onDisk = queueSummary(o.path).depth;
    const s = box.stats();
    const inMemory = (count - onDisk) * (64 * KiB + 'xt/a/40'.length);
    console.log(
      `staging: ${count} x 64 KiB, ${onDisk} written early, ~${inMemory} bytes staged (bound ${stagedMaxBytes}), ` +
        `stagedEarly ${s.stagedEarly}`,
    );
    assert.ok(inMemory <= stagedMaxBytes, `${count - onDisk} rows (~${inMemory} bytes) staged`);
    assert.equal(s.stagedEarly, onDisk);
    assert.equal(s.depth, count, 'nothing dropped');
    assert.deepEqual(s.dropped, {});
    assert.ok(reconciles(s));
    // The lines written early resolved (their devices could be told ACK): oldest first.
    assert.deepEqual(
      settled.sort((a, b) => a - b),
      Array.from({ length: onDisk }, (_, i) => i + 1),
    );
    assert.equal(lines().filter((l) => /staging/i.test(l.msg)).length, 1);
    await box.close();
    await Promise.all(submits);
    assert.equal(queueSummary(o.path).depth, count);
  });
});
