// `tty2mqtt queue` through queueCommand with a fake CommandContext (the lead registers it in
// help.ts): summary, --requeue/--purge with ids, and a missing queue file (exit 1).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import type { CommandContext } from '../../../src/cli/context.ts';
import { queueCommand } from '../../../src/cli/queue.ts';
import { openSqliteOutbox } from '../../../src/queue/sqlite-outbox.ts';
import { message } from '../../helpers/outbox-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-queue-cmd-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'gateway.yaml'),
  'gateway: { id: test }\nqueue: { path: q/queue.db }\nports:\n  - { name: den, path: /dev/null, device: climate }\n',
);

async function run(args: CommandContext['args']): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await queueCommand({
    args: { config: join(dir, 'gateway.yaml'), ...args },
    positionals: [],
    cwd: dir,
    env: {},
    stdin: new PassThrough(),
    stdout,
    stderr,
    isTTY: false,
    pid: process.pid,
    node: { path: process.execPath, version: process.version },
    signal: new AbortController().signal,
  });
  return { code, out, err };
}

describe('tty2mqtt queue', () => {
  it('says clearly when there is no queue file', async () => {
    const { code, err } = await run({});
    assert.equal(code, 1);
    assert.match(err, /no queue file at .*queue\.db/);
  });

  it('prints the summary, requeues and purges dead letters', async () => {
    const box = await openSqliteOutbox({
      path: join(dir, 'q', 'queue.db'),
      durability: 'normal',
      maxMessages: 100,
      maxBytes: 1e6,
      maxAgeMs: 1e12,
      whenFull: 'drop_oldest',
    });
    await box.submit([message('den', 1), message('den', 2), message('den', 3)]);
    const [a, b] = box.lease(2);
    box.deadLetter(a!.id, 'not authorised (0x87)');
    box.deadLetter(b!.id, 'topic invalid (0x90)');
    await box.close();

    const summary = await run({});
    assert.equal(summary.code, 0);
    assert.match(summary.out, /depth\s+1 messages/);
    assert.match(summary.out, /dead letters 2/);
    assert.match(summary.out, /t\/den\/1 — not authorised \(0x87\)/);

    const requeued = await run({ requeue: true, ids: String(a!.id) });
    assert.equal(requeued.code, 0);
    assert.match(requeued.out, new RegExp(`requeued 1 dead letter\\(s\\): ${a!.id}`));
    assert.match(requeued.out, /depth\s+2 messages/);

    const purged = await run({ purge: true });
    assert.match(purged.out, /purged 1 dead letter/);
    assert.match(purged.out, /dead letters 0/);

    const bad = await run({ purge: true, ids: 'x' });
    assert.equal(bad.code, 1);
    assert.match(bad.err, /not a dead letter id/);
  });
});
