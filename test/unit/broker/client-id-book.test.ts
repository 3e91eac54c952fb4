import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClientIdBook } from '../../../src/broker/client-id-book.ts';

const reserved = { clientId: 'tty2mqtt-gw', username: 'tty2mqtt-gateway-abc' };

void describe('ClientIdBook', () => {
  void it("keeps the gateway's id for the gateway's login only", () => {
    const book = new ClientIdBook({ reserved });
    assert.deepEqual(book.claim('tty2mqtt-gw', 'tty2mqtt-gateway-abc', {}), { ok: true });
    const refused = book.claim('tty2mqtt-gw', 'watcher', {});
    assert.deepEqual(refused, {
      ok: false,
      returnCode: 2,
      reason: `"tty2mqtt-gw" is the gateway's client id`,
    });
  });

  void it('gives an id to the first login; the same login may take it over, another may not', () => {
    const book = new ClientIdBook({ reserved: null });
    const a1 = {};
    const a2 = {};
    assert.equal(book.claim('kitchen', 'alice', a1).ok, true);
    assert.equal(book.claim('kitchen', 'alice', a2).ok, true);
    const bob = book.claim('kitchen', 'bob', {});
    assert.equal(bob.ok, false);
    assert.equal(!bob.ok && bob.returnCode, 2);
    // One of alice's connections is still open: still hers.
    book.released('kitchen', a1);
    assert.equal(book.claim('kitchen', 'bob', {}).ok, false);
    // Clean session, last connection gone: free.
    book.released('kitchen', a2);
    assert.equal(book.bytes, 0);
    assert.equal(book.claim('kitchen', 'bob', {}).ok, true);
  });

  void it('keeps a stored session (CleanSession = 0) owned after its connection closed', () => {
    const book = new ClientIdBook({ reserved: null });
    const a = {};
    book.claim('s', 'alice', a);
    book.connected('s', true);
    book.released('s', a);
    assert.equal(book.claim('s', 'bob', {}).ok, false);
    // A clean reconnect of alice ends the stored session: released, the id is free again.
    const again = {};
    book.claim('s', 'alice', again);
    book.connected('s', false);
    book.released('s', again);
    assert.equal(book.claim('s', 'bob', {}).ok, true);
  });

  void it('stays within its byte bound: forgets offline owners oldest first, then refuses with CONNACK 3', () => {
    // 64 bytes of overhead + id + username: 64 + 2 + 1 = 67 per entry below.
    const book = new ClientIdBook({ reserved: null, maxBytes: 3 * 67 });
    const live: object[] = [];
    for (const id of ['i0', 'i1', 'i2']) {
      const c = {};
      live.push(c);
      book.claim(id, 'u', c);
      book.connected(id, true);
    }
    assert.equal(book.bytes, 201);
    const full = book.claim('i3', 'u', {});
    assert.deepEqual(full, {
      ok: false,
      returnCode: 3,
      reason: "client ids in use fill the broker's 201-byte book",
    });
    // i0 and i1 go offline with stored sessions: only the oldest is forgotten to make room.
    book.released('i0', live[0] ?? {});
    book.released('i1', live[1] ?? {});
    assert.equal(book.claim('i3', 'u', {}).ok, true);
    assert.equal(book.bytes, 201);
    // i0 was forgotten for i3: another login may claim it, which forgets i1 in turn.
    assert.equal(book.claim('i0', 'v', {}).ok, true);
    const noRoom = book.claim('i1', 'v', {});
    assert.equal(!noRoom.ok && noRoom.returnCode, 3, 'only live owners left');
    assert.equal(book.bytes, 201);
  });
});
