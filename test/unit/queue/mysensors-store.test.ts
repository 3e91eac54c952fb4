// The MySensors controller's tables in a real SQLite queue file: a database from before them
// (schema 1) is migrated without losing its queued messages, and nodes and values survive a
// reopen.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openQueueDatabase, SCHEMA_VERSION } from '../../../src/queue/sqlite-schema.ts';
import { SqliteMySensorsStore } from '../../../src/queue/sqlite-mysensors-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-mys-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const node = (id: number) => ({
  id,
  sketchName: 'Attic',
  sketchVersion: '1.0',
  libraryVersion: '2.3.2',
  battery: 80,
  lastHeartbeat: null,
  lastSeen: 1,
  children: [{ child: 1, sensor: 6, description: 'T' }],
});

void describe('SqliteMySensorsStore', () => {
  void it('migrates a schema-1 database, keeping its queued messages', () => {
    const path = join(dir, 'old.db');
    const db = openQueueDatabase(path, { durability: 'normal' });
    db.exec('DROP TABLE mysensors_nodes; DROP TABLE mysensors_values; PRAGMA user_version = 1');
    db.prepare(
      `INSERT INTO messages (port, port_seq, topic, payload, qos, retain, created_at, size)
       VALUES ('radio', 1, 't', x'31', 1, 1, 0, 1)`,
    ).run();
    db.close();
    const reopened = openQueueDatabase(path, { durability: 'normal' });
    assert.equal(reopened.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal((reopened.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n, 1);
    const store = new SqliteMySensorsStore(reopened, (work) => reopened.transaction(work)());
    store.saveNode('radio', node(3));
    assert.deepEqual(store.load('radio').nodes, [node(3)]);
    reopened.close();
  });

  void it('keeps nodes and last values per port across a reopen', () => {
    const path = join(dir, 'new.db');
    let db = openQueueDatabase(path, { durability: 'normal' });
    let store = new SqliteMySensorsStore(db, (work) => db.transaction(work)());
    store.saveNode('radio', node(1));
    store.saveNode('radio', { ...node(1), battery: 50 });
    store.saveNode('other', node(9));
    store.saveValue('radio', { node: 1, child: 1, type: 0, payload: '20', at: 5 });
    store.saveValue('radio', { node: 1, child: 1, type: 0, payload: '21.5', at: 6 });
    db.close();
    db = openQueueDatabase(path, { durability: 'normal' });
    store = new SqliteMySensorsStore(db, (work) => db.transaction(work)());
    const loaded = store.load('radio');
    assert.deepEqual(loaded.nodes, [{ ...node(1), battery: 50 }]);
    assert.deepEqual(loaded.values, [{ node: 1, child: 1, type: 0, payload: '21.5', at: 6 }]);
    db.close();
  });
});
