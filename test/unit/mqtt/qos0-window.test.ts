// The publisher's QoS 0 send window (src/mqtt/qos0-window.ts) on its own: room by count and
// bytes, one message always fits an empty window, and a full window counted once per wait.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Qos0Window } from '../../../src/mqtt/qos0-window.ts';

describe('QoS 0 send window', () => {
  it('leases about what still fits by bytes, and nothing once the bytes are used up', () => {
    const w = new Qos0Window(4096, 10_000);
    assert.equal(w.room(), 4096);
    for (let i = 0; i < 4; i += 1) w.add(2000);
    // 2000 bytes left at 2000 a message: one fits, plus one to find out.
    assert.equal(w.room(), 2);
    assert.equal(w.fits(2000), true);
    assert.equal(w.fits(2001), false);
    w.add(2000);
    assert.equal(w.room(), 0);
  });

  it('takes one message larger than the whole window when it is empty, so it is never stuck', () => {
    const w = new Qos0Window(4096, 1000);
    assert.equal(w.fits(5000), true);
    w.add(5000);
    assert.equal(w.fits(1), false);
    assert.equal(w.room(), 0);
    w.remove(5000);
    assert.equal(w.fits(1), true);
  });

  it('counts a full window once per wait, until it has emptied', () => {
    const w = new Qos0Window(4096, 1000);
    w.add(1000);
    assert.equal(w.blocked(), true);
    assert.equal(w.blocked(), false);
    w.add(10);
    w.remove(1000);
    assert.equal(w.blocked(), false, 'not empty yet: the same wait');
    w.remove(10);
    w.add(1000);
    assert.equal(w.blocked(), true);
    assert.deepEqual(w.status(), { messages: 1, bytes: 1000, maxBytes: 1000, fullWaits: 2 });
    w.reset();
    assert.deepEqual(w.status(), { messages: 0, bytes: 0, maxBytes: 1000, fullWaits: 2 });
  });
});
