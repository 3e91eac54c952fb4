// The pieces behind /healthz and the status page: the health verdict, the hour of history
// and its rates, the recent-errors ring fed by the logger, and the last-values store.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/log/logger.ts';
import { createHistory } from '../../../src/ops/history.ts';
import { createRecentErrors, recentErrorsOf, toErrorRecord } from '../../../src/log/recent-errors.ts';
import { judgeHealth } from '../../../src/ops/status-health.ts';
import type { HealthInput } from '../../../src/ops/status-health.ts';
import { createLastReadings } from '../../../src/ops/status-readings.ts';
import type { QueueStats } from '../../../src/queue/outbox.ts';

function queue(over: Partial<QueueStats> = {}): QueueStats {
  return {
    depth: 0,
    bytes: 0,
    inflight: 0,
    oldestAgeMs: null,
    dropped: {},
    received: 0,
    recovered: 0,
    published: 0,
    deadLettered: 0,
    rejected: 0,
    deadLetters: 0,
    storageError: null,
    ...over,
  };
}

function input(over: Partial<HealthInput> = {}): HealthInput {
  return {
    started: true,
    queue: queue(),
    limits: { maxMessages: 100, maxBytes: 10_000, whenFull: 'drop_oldest' },
    brokerConnected: true,
    ...over,
  };
}

describe('/healthz verdict', () => {
  it('is ok when connected, or disconnected with nothing to send', () => {
    assert.deepEqual(judgeHealth(input()), { ok: true, reasons: [] });
    assert.deepEqual(judgeHealth(input({ brokerConnected: false })), { ok: true, reasons: [] });
  });

  it('is unhealthy for a broker outage with a backlog, storage errors, a full reject_new queue', () => {
    const outage = judgeHealth(input({ brokerConnected: false, queue: queue({ depth: 3 }) }));
    assert.equal(outage.ok, false);
    assert.deepEqual(outage.reasons, ['broker not connected with 3 message(s) waiting']);
    const disk = judgeHealth(
      input({ queue: queue({ storageError: 'SQLITE_FULL: database or disk is full' }) }),
    );
    assert.deepEqual(disk.reasons, ['queue storage failing: SQLITE_FULL: database or disk is full']);
    const full = { maxMessages: 5, maxBytes: 10_000, whenFull: 'reject_new' as const };
    assert.equal(judgeHealth(input({ limits: full, queue: queue({ depth: 5 }) })).ok, false);
    // drop_oldest keeps taking new readings: full is then normal operation, not a failure.
    assert.equal(
      judgeHealth(input({ limits: { ...full, whenFull: 'drop_oldest' }, queue: queue({ depth: 5 }) })).ok,
      true,
    );
    assert.deepEqual(judgeHealth(input({ started: false })).reasons, ['gateway not started']);
  });
});

describe('status history', () => {
  it('keeps at most `capacity` samples, oldest dropped first', () => {
    let t = 0;
    let depth = 0;
    const h = createHistory({
      take: () => ({ depth: depth++, lines: {} }),
      capacity: 360,
      now: () => (t += 10_000),
    });
    for (let i = 0; i < 400; i++) h.sample();
    assert.equal(h.samples().length, 360);
    assert.equal(h.samples()[0]?.depth, 40);
    assert.equal(h.samples().at(-1)?.depth, 399);
  });

  it('gives lines per minute over the last minute from the samples', () => {
    let t = 1_000_000;
    let lines = 0;
    const h = createHistory({ take: () => ({ depth: 0, lines: { a: lines } }), now: () => t });
    assert.equal(h.ratePerMinute('a', 0, t), null); // nothing to compare with
    for (let i = 0; i < 12; i++) {
      h.sample();
      t += 10_000;
      lines += 20; // 120 lines a minute
    }
    assert.equal(h.ratePerMinute('a', lines, t), 120);
    assert.equal(h.ratePerMinute('unknown', 5, t), null);
  });
});

describe('recent errors ring', () => {
  it('records warn and above from the logger, bounded, without changing stdout or leaking secrets', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ level: 'info', destination });
    const child = log.child({ port: 'livingroom' });
    child.info('opened');
    child.warn({ reason: 'checksum_mismatch', detail: 'got *00', password: 'hunter2' }, 'line discarded');
    log.error({ err: new Error('SQLITE_FULL') }, 'queue storage failing');
    log.warn('plain message');
    const ring = recentErrorsOf(log);
    const got = ring.list();
    assert.equal(got.length, 3);
    assert.deepEqual(
      got.map((e) => [e.level, e.port, e.message, e.detail]),
      [
        ['warn', 'livingroom', 'line discarded', 'checksum_mismatch: got *00'],
        ['error', null, 'queue storage failing', 'SQLITE_FULL'],
        ['warn', null, 'plain message', null],
      ],
    );
    assert.ok(!JSON.stringify(got).includes('hunter2'));
    // stdout still gets every record, redacted as before.
    assert.equal(lines.length, 4);
    const warn = JSON.parse(lines[1]!) as Record<string, unknown>;
    assert.equal(warn['msg'], 'line discarded');
    assert.equal(warn['port'], 'livingroom');
    assert.equal(warn['password'], '[redacted]');
  });

  it('keeps the last N and counts all', () => {
    const ring = createRecentErrors(3);
    for (let i = 0; i < 10; i++) ring.record(toErrorRecord(40, [`m${i}`], {}, i)!);
    assert.deepEqual(
      ring.list().map((e) => e.message),
      ['m7', 'm8', 'm9'],
    );
    assert.equal(ring.total(), 10);
    assert.equal(toErrorRecord(30, ['info'], {}, 0), null);
  });
});

describe('last readings', () => {
  it('keeps the last value per field, bounded in fields and text length', () => {
    const r = createLastReadings();
    r.record('p', new Map([['temperature', 21.5]]), 1);
    r.record(
      'p',
      new Map<string, string | number>([
        ['temperature', 22],
        ['note', 'x'.repeat(500)],
      ]),
      2,
    );
    assert.deepEqual(r.of('p').get('temperature'), { value: 22, at: 2 });
    assert.ok(String(r.of('p').get('note')?.value).length <= 120);
    for (let i = 0; i < 100; i++) r.record('p', new Map([[`f${i}`, i]]), 3);
    assert.equal(r.of('p').size, 32);
    assert.equal(r.of('nobody').size, 0);
  });
});
