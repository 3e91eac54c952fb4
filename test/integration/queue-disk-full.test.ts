// A queue file on a full filesystem: a real 1 MiB tmpfs (we run as root;
// mount fails the test rather than skipping it). Filled up, submits reject (no device is
// ACKed), stats().storageError says why, nothing crashes and the file stays sound; once the
// filler is deleted, the next submits succeed and the error clears by itself.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { integrityCheck } from '../../src/queue/inspect.ts';
import { reconciles } from '../../src/queue/limits.ts';
import type { OutMessage } from '../../src/queue/outbox.ts';
import { openSqliteOutbox } from '../../src/queue/sqlite-outbox.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-full-'));
let mounted = false;

before(() => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
  mounted = true;
});
after(() => {
  if (mounted) execFileSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
});

const line = (n: number): OutMessage[] => [
  {
    port: 'p',
    topic: `full/${n}`,
    payload: Buffer.alloc(2000, n),
    qos: 1,
    retain: false,
    createdAt: Date.now(),
  },
];

describe('durable queue on a full filesystem', () => {
  it('rejects submits while the disk is full and recovers by itself when space returns', async () => {
    const path = join(dir, 'q', 'queue.db');
    const options = { path, durability: 'full' as const, maxMessages: 1e6, maxBytes: 1e9, maxAgeMs: 1e12 };
    const box = await openSqliteOutbox({ ...options, whenFull: 'reject_new' });
    writeFileSync(join(dir, 'filler'), Buffer.alloc(700 * 1024));
    let queued = 0;
    let failure: unknown;
    for (let n = 0; n < 1000 && failure === undefined; n += 1) {
      try {
        await box.submit(line(n));
        queued += 1;
      } catch (error) {
        failure = error;
      }
    }
    assert.ok(failure !== undefined, 'the disk never filled up');
    assert.ok(queued > 10, `only ${queued} queued before the disk was full`);
    assert.match(box.stats().storageError ?? '', /SQLITE_FULL|full/i);
    await assert.rejects(box.submit(line(5000)));
    assert.ok(reconciles(box.stats()));
    assert.equal(box.stats().depth, queued);
    // Leasing and acking go on while the disk is full (the deletes wait for space).
    const [first] = box.lease(1);
    box.ack(first!.id);
    queued -= 1;

    rmSync(join(dir, 'filler'));
    for (let n = 0; n < 20; n += 1) await box.submit(line(10_000 + n));
    queued += 20;
    assert.equal(box.stats().storageError, null);
    assert.equal(box.stats().depth, queued);
    assert.ok(reconciles(box.stats()));
    await box.close();

    assert.equal(integrityCheck(path), 'ok');
    const reopened = await openSqliteOutbox({ ...options, whenFull: 'reject_new' });
    assert.equal(reopened.stats().depth, queued);
    assert.equal(reopened.lease(1e6).length, queued);
    await reopened.close();
  });
});
