// The Outbox contract against the durable store, on real SQLite files in a temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openSqliteOutbox } from '../../../src/queue/sqlite-outbox.ts';
import type { SqliteOutbox } from '../../../src/queue/sqlite-outbox.ts';
import { outboxContract } from '../../helpers/outbox-contract.ts';
import type { OutboxFactoryOptions } from '../../helpers/outbox-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-contract-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const open = (o: OutboxFactoryOptions, writeDelayMs = 0): Promise<SqliteOutbox> =>
  openSqliteOutbox({
    path: join(dir, `q${(n += 1)}`, 'queue.db'),
    durability: 'normal',
    maxMessages: o.maxMessages ?? 1000,
    maxBytes: o.maxBytes ?? 1_000_000,
    maxAgeMs: o.maxAgeMs ?? 86_400_000,
    whenFull: o.whenFull ?? 'drop_oldest',
    writeDelayMs,
    ...(o.now === undefined ? {} : { now: o.now }),
  });

outboxContract('SqliteOutbox', (o) => open(o));

// The same contract with write-behind on (the broker connected, durability normal): QoS 1
// messages of lines without `#seq` wait in memory for up to the write delay.
outboxContract('SqliteOutbox with write-behind', async (o) => {
  const box = await open(o, 20);
  box.setWriteBehind(true);
  return box;
});
