// Queue throughput: enqueue+ack messages/s at durability normal and
// full with 1 and 8 concurrent submitters (each keeps up to 64 lines waiting for their
// commit, as a port's line runner does at a high line rate), the latency-bound case of one
// submitter awaiting every line (one group-commit window per line), and the drain rate (lease+ack) of a 100,000-message
// backlog; the MemoryOutbox in the same run is the baseline the ratios are against.
// Run: node --import tsx bench/queue.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryOutbox } from '../src/queue/memory-outbox.ts';
import type { OutMessage, Outbox } from '../src/queue/outbox.ts';
import { openSqliteOutbox } from '../src/queue/sqlite-outbox.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-bench-'));
const limits = { maxMessages: 10_000_000, maxBytes: 1e12, maxAgeMs: 1e12, whenFull: 'drop_oldest' as const };
let files = 0;

const message = (n: number): OutMessage => ({
  port: `p${n % 8}`,
  topic: `bench/p${n % 8}/temperature`,
  payload: Buffer.from(String(20 + (n % 100) / 10)),
  qos: 1,
  retain: false,
  createdAt: Date.now(),
});

type Kind = 'memory' | 'normal' | 'full';
async function open(kind: Kind): Promise<Outbox> {
  if (kind === 'memory') return new MemoryOutbox(limits);
  return openSqliteOutbox({ ...limits, path: join(dir, `b${(files += 1)}.db`), durability: kind });
}

/** `submitters` loops, each with `window` submits outstanding; a drainer acks as it goes. */
async function enqueueAck(kind: Kind, submitters: number, total: number, window = 64): Promise<number> {
  const box = await open(kind);
  let next = 0;
  let acked = 0;
  const drain = (): void => {
    for (let batch = box.lease(256); batch.length > 0; batch = box.lease(256))
      for (const m of batch) {
        box.ack(m.id);
        acked += 1;
      }
  };
  box.onAvailable(drain);
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: submitters * window }, async () => {
      while (next < total) await box.submit([message((next += 1))]);
    }),
  );
  drain();
  await box.close(); // the last acks' deletes are part of the work
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (acked < total) throw new Error(`only ${acked} of ${total} acked`);
  return acked / seconds;
}

async function drainBacklog(kind: Kind, total: number): Promise<number> {
  const box = await open(kind);
  const lines: Promise<unknown>[] = [];
  for (let i = 0; i < total; i += 1) lines.push(box.submit([message(i)]));
  await Promise.all(lines);
  const start = process.hrtime.bigint();
  let done = 0;
  for (let batch = box.lease(32); batch.length > 0; batch = box.lease(32)) {
    for (const m of batch) {
      box.ack(m.id);
      done += 1;
    }
    if (done % 1024 === 0) await new Promise((r) => setImmediate(r)); // let timers and commits run
  }
  await box.close();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (done !== total) throw new Error(`drained ${done} of ${total}`);
  return done / seconds;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(10);
const rows: [string, number, number][] = [];
for (const submitters of [1, 8]) {
  const base = await enqueueAck('memory', submitters, 100_000);
  for (const kind of ['memory', 'normal', 'full'] as const) {
    const rate = kind === 'memory' ? base : await enqueueAck(kind, submitters, 100_000);
    rows.push([`enqueue+ack  ${kind.padEnd(6)} ${submitters}x64 in flight`, rate, rate / base]);
  }
}
for (const kind of ['normal', 'full'] as const) {
  const rate = await enqueueAck(kind, 1, 200, 1);
  rows.push([`enqueue+ack  ${kind.padEnd(6)} 1 awaiting each line`, rate, rate / rows[0]![1]]);
}
const drainBase = await drainBacklog('memory', 100_000);
for (const kind of ['memory', 'normal', 'full'] as const) {
  const rate = kind === 'memory' ? drainBase : await drainBacklog(kind, 100_000);
  rows.push([`drain 100k   ${kind.padEnd(6)} lease(32)+ack`, rate, rate / drainBase]);
}
console.log(`${'case'.padEnd(42)} ${'msg/s'.padStart(10)}  vs memory`);
for (const [name, rate, ratio] of rows) console.log(`${name.padEnd(42)} ${fmt(rate)}  ${ratio.toFixed(3)}`);
rmSync(dir, { recursive: true, force: true });
