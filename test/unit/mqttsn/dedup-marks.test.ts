// The de-duplication marks of MQTT-SN clients live in the queue database, keyed by port and
// ClientId, so a DUP resend after a gateway crash is recognised (uplink.ts). ClientIds are
// chosen by devices: without a bound, every new one left rows behind for good, reloaded at
// every start. Here the real gateway core runs on a real SQLite queue file: the keys of one
// port are bounded (`max_dedup_clients`, least recently marked forgotten first, rows
// deleted), and a client's marks go when its session ends for good.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ClientSession } from '../../../src/mqttsn/client-state.ts';
import type { SnEnvironment } from '../../../src/mqttsn/context.ts';
import { openSqliteOutbox } from '../../../src/queue/sqlite-outbox.ts';
import type { SqliteOutbox, SqliteOutboxOptions } from '../../../src/queue/sqlite-outbox.ts';
import { FakeEnv, PORT, connect, publish, settle, setup } from '../../helpers/mqttsn-rig.ts';
import type { Setup } from '../../helpers/mqttsn-rig.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-sn-marks-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function queueOptions(): SqliteOutboxOptions {
  return {
    path: join(dir, `q${(n += 1)}`, 'queue.db'),
    durability: 'normal',
    maxMessages: 100_000,
    maxBytes: 1e9,
    maxAgeMs: 1e12,
    whenFull: 'drop_oldest',
  };
}

/** The fake environment, but queue, marks and forgetting go to the real SQLite outbox. */
class SqliteEnv extends FakeEnv {
  constructor(private readonly box: SqliteOutbox) {
    super();
  }
  override queue(...args: Parameters<SnEnvironment['queue']>): ReturnType<SnEnvironment['queue']> {
    super.queue(...args).catch(() => undefined);
    const [messages, mark] = args;
    return this.box.submit(messages, mark === undefined ? {} : { seq: mark });
  }
  override marks(key: string): ReturnType<SnEnvironment['marks']> {
    super.marks(key);
    return this.box.seqMarks(key);
  }
  override forgetMarks(key: string): void {
    this.box.forgetSeqMarks(key);
  }
}

function markRows(path: string): { port: string; n: number }[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT port, n FROM seq_marks').all() as { port: string; n: number }[];
  } finally {
    db.close();
  }
}

/** One QoS 1 PUBLISH from the client at '', acknowledged once queued. */
async function publishQos1(s: Setup, msgId: number): Promise<void> {
  s.gw.receive('', publish({ kind: 'predefined', id: 7 }, `v${msgId}`, 1, msgId));
  await settle();
  for (let i = 0; i < 50 && !s.env.sent.some(([, p]) => p.type === 'PUBACK'); i++)
    await new Promise((resolve) => setTimeout(resolve, 5));
  const acks = s.env.take().filter(([, p]) => p.type === 'PUBACK');
  assert.equal(acks.length, 1, 'PUBACK once queued');
}

describe('MQTT-SN de-dup marks in the queue database', () => {
  it('2,000 random ClientIds leave at most max_dedup_clients keys of marks, also after a reopen', async () => {
    const o = queueOptions();
    const box = await openSqliteOutbox(o);
    const s = setup({ max_dedup_clients: 256 }, new SqliteEnv(box));
    for (let i = 0; i < 2000; i++) {
      // A board swapped on the port each time, as a device inventing ClientIds looks.
      connect(s, '', { clientId: randomBytes(8).toString('hex'), cleanSession: false });
      await publishQos1(s, 1);
    }
    await box.close();
    const rows = markRows(o.path);
    const keys = new Set(rows.map((r) => r.port));
    console.log(
      `# 2000 ClientIds, max_dedup_clients 256: ${keys.size} keys, ${rows.length} rows after close`,
    );
    assert.equal(keys.size, 256);
    const again = await openSqliteOutbox(o);
    const held = [...keys].reduce((total, key) => total + again.seqMarks(key).length, 0);
    assert.equal(held, rows.length, 'what is reloaded is what is on disk');
    await again.close();
  });

  it("a clean-session CONNECT and a DISCONNECT without Duration delete that client's marks", async () => {
    const o = queueOptions();
    const box = await openSqliteOutbox(o);
    const s = setup({}, new SqliteEnv(box));
    const key = ClientSession.markKey(PORT, 'dev-1');
    connect(s, '', { clientId: 'dev-1', cleanSession: false });
    await publishQos1(s, 1);
    await publishQos1(s, 2);
    assert.equal(markRows(o.path).filter((r) => r.port === key).length, 2);
    // CONNECT with CleanSession=1 (§6.2): the session before it is over.
    connect(s, '', { clientId: 'dev-1', cleanSession: true });
    assert.equal(markRows(o.path).filter((r) => r.port === key).length, 0, 'deleted on clean CONNECT');
    // The resend a client may still make right after reconnecting is recognised from memory.
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'v2', 1, 2, { dup: true }));
    await settle();
    assert.equal(s.gw.counters.duplicates, 1);
    s.env.take();
    await publishQos1(s, 3);
    assert.equal(markRows(o.path).filter((r) => r.port === key).length, 1);
    // §6.12: DISCONNECT without Duration ends a clean session for good.
    s.gw.receive('', { type: 'DISCONNECT' });
    assert.equal(markRows(o.path).filter((r) => r.port === key).length, 0, 'deleted on DISCONNECT');
    assert.deepEqual(box.seqMarks(key), []);
    await box.close();
  });

  it('a session that is not clean keeps its marks across DISCONNECT and a lost keep-alive', async () => {
    const o = queueOptions();
    const box = await openSqliteOutbox(o);
    const s = setup({}, new SqliteEnv(box));
    const key = ClientSession.markKey(PORT, 'dev-1');
    connect(s, '', { clientId: 'dev-1', cleanSession: false, duration: 10 });
    await publishQos1(s, 1);
    s.env.advance(16_000);
    s.gw.tick(); // lost: the client may come back and resend (§6.11)
    connect(s, '', { clientId: 'dev-1', cleanSession: false });
    s.gw.receive('', { type: 'DISCONNECT' });
    assert.equal(markRows(o.path).filter((r) => r.port === key).length, 1);
    await box.close();
  });
});
