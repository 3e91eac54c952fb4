// Model-based test of the durable store (docs/architecture.md: "a model-based property test with
// random operation sequences and crash/reopen"): random submit / lease / ack / release /
// deadLetter / packets.put / packets.delete / clock / crash-and-reopen sequences, with small
// limits so both when_full policies and the QoS 0 ring overflow, must agree with a plain
// in-memory model — and the books must balance after every step.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { reconciles } from '../../../src/queue/limits.ts';
import type { OutMessage, QoS } from '../../../src/queue/outbox.ts';
import { openSqliteOutbox } from '../../../src/queue/sqlite-outbox.ts';
import type { SqliteOutbox } from '../../../src/queue/sqlite-outbox.ts';
import { QueueModel } from '../../helpers/queue-model.ts';
import type { ModelLine } from '../../helpers/queue-model.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-model-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const LIMITS = { maxMessages: 6, maxBytes: 400, ringMax: 4 };

type Op =
  | { op: 'submit'; line: ModelLine }
  | { op: 'submitThenCrash'; lines: ModelLine[] }
  | { op: 'lease'; max: number }
  | { op: 'ack' | 'deadLetter'; pick: number }
  | { op: 'release'; pick: number; delayMs: number; attempted: boolean }
  | { op: 'put' | 'unput'; pick: number }
  | { op: 'tick'; ms: number }
  | { op: 'crash' };

const lineArb = (qos: fc.Arbitrary<QoS>): fc.Arbitrary<ModelLine> =>
  fc.record({
    port: fc.constantFrom('a', 'b'),
    qos: fc.array(qos, { minLength: 0, maxLength: 3 }),
    size: fc.integer({ min: 1, max: 60 }),
    seq: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
  });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: lineArb(fc.constantFrom<QoS>(0, 1, 2)).map((line) => ({ op: 'submit' as const, line })),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(lineArb(fc.constantFrom<QoS>(1, 2)), { minLength: 1, maxLength: 3 })
      .map((lines) => ({ op: 'submitThenCrash' as const, lines })),
  },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }).map((max) => ({ op: 'lease' as const, max })) },
  { weight: 3, arbitrary: fc.nat().map((pick) => ({ op: 'ack' as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ op: 'deadLetter' as const, pick })) },
  {
    weight: 2,
    arbitrary: fc
      .record({ pick: fc.nat(), delayMs: fc.constantFrom(0, 0, 500, 2000), attempted: fc.boolean() })
      .map((r) => ({ op: 'release' as const, ...r })),
  },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ op: 'put' as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ op: 'unput' as const, pick })) },
  { weight: 1, arbitrary: fc.constantFrom(500, 2000).map((ms) => ({ op: 'tick' as const, ms })) },
  { weight: 1, arbitrary: fc.constant({ op: 'crash' as const }) },
);

let runs = 0;

async function check(
  ops: Op[],
  whenFull: 'drop_oldest' | 'reject_new',
  /** Plants a bug in each opened outbox: the model must notice it. */
  breakIt: (box: SqliteOutbox) => void = () => undefined,
): Promise<void> {
  const path = join(dir, `m${(runs += 1)}.db`);
  let now = 1_000_000;
  const open = async (): Promise<SqliteOutbox> => {
    const box = await openSqliteOutbox({
      path,
      durability: 'normal',
      maxMessages: LIMITS.maxMessages,
      maxBytes: LIMITS.maxBytes,
      maxAgeMs: 1e12,
      whenFull,
      ring: { maxMessages: LIMITS.ringMax },
      batchMaxDelayMs: 1,
      now: () => now,
    });
    breakIt(box);
    return box;
  };
  const model = new QueueModel({ ...LIMITS, whenFull });
  let box = await open();
  const ids = new Map<string, number>(); // topic → id, learned from leases
  let serial = 0;
  const toMessages = (line: ModelLine): OutMessage[] =>
    model.topicsOf(line, (serial += 1)).map((topic, i) => ({
      port: line.port,
      topic,
      payload: Buffer.alloc(line.size),
      qos: line.qos[i] as QoS,
      retain: false,
      createdAt: now,
    }));
  try {
    for (const step of ops) {
      switch (step.op) {
        case 'submit': {
          const messages = toMessages(step.line);
          const mark =
            step.line.seq === undefined ? undefined : { port: step.line.port, seq: step.line.seq, hash: 1 };
          const result = await box.submit(messages, mark === undefined ? {} : { seq: mark });
          assert.deepEqual(result.status, model.submit(step.line, messages));
          break;
        }
        case 'submitThenCrash': {
          let settled = false;
          for (const line of step.lines)
            box.submit(toMessages(line), { seq: { port: line.port, seq: 1, hash: 1 } }).then(
              (r) => (settled ||= r.status === 'queued'), // 'full' is answered at once
              () => (settled = true),
            );
          box.simulateCrash();
          await new Promise((r) => setImmediate(r));
          assert.equal(settled, false, 'a submit resolved although it was never committed');
          model.crash();
          box = await open();
          break;
        }
        case 'lease': {
          const got = box.lease(step.max);
          for (const m of got) ids.set(m.topic, m.id);
          assert.deepEqual(
            got.map((m) => `${m.topic}#${m.attempts}`),
            model.lease(step.max, now),
          );
          break;
        }
        case 'ack':
        case 'deadLetter': {
          const topic = model.pickActive(step.pick);
          if (topic === undefined) break;
          if (step.op === 'ack') box.ack(ids.get(topic)!);
          else box.deadLetter(ids.get(topic)!, 'refused');
          model.remove(topic, step.op === 'ack' ? 'published' : 'deadLettered');
          break;
        }
        case 'release': {
          const topic = model.pickLeased(step.pick);
          if (topic === undefined) break;
          box.release(ids.get(topic)!, { delayMs: step.delayMs, attempted: step.attempted });
          model.release(topic, now + step.delayMs, step.attempted);
          break;
        }
        case 'put': {
          const topic = model.pickLeased(step.pick, true);
          if (topic === undefined) break;
          const messageId = model.put(topic);
          box.packets.put({ messageId, queueId: ids.get(topic)!, packet: Buffer.from(topic) });
          break;
        }
        case 'unput': {
          const messageId = model.unput(step.pick);
          if (messageId !== undefined) box.packets.delete(messageId);
          break;
        }
        case 'tick':
          now += step.ms;
          break;
        case 'crash':
          box.simulateCrash();
          model.crash();
          box = await open();
          break;
      }
      const s = box.stats();
      assert.ok(reconciles(s), `books do not balance after ${step.op}: ${JSON.stringify(s)}`);
      assert.deepEqual(
        {
          depth: s.depth,
          inflight: s.inflight,
          received: s.received,
          published: s.published,
          deadLettered: s.deadLettered,
          rejected: s.rejected,
          dropped: s.dropped,
          marks: [box.seqMarks('a').length, box.seqMarks('b').length],
          packets: box.packets.all().map((p) => p.messageId),
        },
        model.stats(),
        `after ${JSON.stringify(step)}`,
      );
    }
  } finally {
    await box.close();
  }
}

describe('durable queue against its model', () => {
  for (const whenFull of ['drop_oldest', 'reject_new'] as const)
    it(
      `random operation sequences with crashes agree with the model (${whenFull})`,
      { timeout: 60_000 },
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => check(ops, whenFull)),
          { numRuns: 300 },
        );
      },
    );

  it('notices a broken outbox: one whose release forgets the retry delay', async () => {
    const forgetDelay = (box: SqliteOutbox): void => {
      const release = box.release.bind(box);
      box.release = (id, options = {}) => release(id, { ...options, delayMs: 0 });
    };
    const ops: Op[] = [
      { op: 'submit', line: { port: 'a', qos: [1], size: 10, seq: undefined } },
      { op: 'lease', max: 1 },
      { op: 'release', pick: 0, delayMs: 2000, attempted: false },
      { op: 'lease', max: 1 },
    ];
    await check(ops, 'drop_oldest');
    await assert.rejects(check(ops, 'drop_oldest', forgetDelay));
  });
});
