import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSeqWindow, hashBody } from '../../../src/line/seq-window.ts';

test('a committed seq with the same body is a duplicate; uncommitted is new', () => {
  const w = createSeqWindow();
  assert.equal(w.check(5, 'temp=1'), 'new');
  assert.equal(w.check(5, 'temp=1'), 'new', 'check alone does not remember (a NAKed line may be resent)');
  w.commit(5, 'temp=1');
  assert.equal(w.check(5, 'temp=1'), 'duplicate');
  assert.equal(w.check(6, 'temp=1'), 'new');
});

test('the same seq with a different body is new (a device that restarted without seq 0)', () => {
  const w = createSeqWindow();
  w.commit(9, 'temp=1');
  assert.equal(w.check(9, 'temp=2'), 'new');
  w.commit(9, 'temp=2');
  assert.equal(w.check(9, 'temp=2'), 'duplicate');
  assert.equal(w.check(9, 'temp=1'), 'new', 'only the latest body per seq is remembered');
});

test('seq 0 means a restarted device: it clears the window', () => {
  const w = createSeqWindow();
  for (let s = 1; s <= 5; s++) w.commit(s, `n=${s}`);
  assert.equal(w.check(3, 'n=3'), 'duplicate');
  assert.equal(w.check(0, 'n=0'), 'new');
  // After the reboot the device's seq 3 may well carry the same text as before: not lost.
  assert.equal(w.check(3, 'n=3'), 'new');
});

test('a resend of the seq 0 line whose ACK was lost is still a duplicate', () => {
  const w = createSeqWindow();
  w.commit(17, 'a=1');
  assert.equal(w.check(0, 'boot=1'), 'new');
  w.commit(0, 'boot=1');
  assert.equal(w.check(0, 'boot=1'), 'duplicate');
  // A different first line after another reboot is new.
  assert.equal(w.check(0, 'boot=2'), 'new');
  // Once the device moved on, a seq 0 line is a new boot even with the same body.
  w.commit(0, 'boot=1');
  w.commit(1, 'a=1');
  assert.equal(w.check(0, 'boot=1'), 'new');
});

test('only the last 256 commits are remembered', () => {
  const w = createSeqWindow(256);
  for (let s = 1; s <= 300; s++) w.commit(s, 'x');
  assert.equal(w.check(44, 'x'), 'new');
  assert.equal(w.check(45, 'x'), 'duplicate');
  assert.equal(w.check(300, 'x'), 'duplicate');
});

test('evicting an old commit of a seq keeps a newer commit of the same seq', () => {
  const w = createSeqWindow(4);
  w.commit(1, 'a');
  w.commit(2, 'a');
  w.commit(1, 'b'); // same seq again, newer
  w.commit(3, 'a');
  w.commit(4, 'a'); // evicts the first (1,'a')
  assert.equal(w.check(1, 'b'), 'duplicate');
  w.commit(5, 'a'); // evicts (2,'a')
  w.commit(6, 'a'); // evicts (1,'b')
  assert.equal(w.check(1, 'b'), 'new');
  assert.equal(w.check(2, 'a'), 'new');
});

test('wrap 65535 → 1 keeps working, clear() forgets', () => {
  const w = createSeqWindow();
  w.commit(65535, 'x');
  w.commit(1, 'y');
  assert.equal(w.check(65535, 'x'), 'duplicate');
  assert.equal(w.check(1, 'y'), 'duplicate');
  w.clear();
  assert.equal(w.check(1, 'y'), 'new');
});

test('hashBody: stable, differs for different bodies, works as the bodyHash', () => {
  assert.equal(hashBody('temp=1'), hashBody('temp=1'));
  assert.notEqual(hashBody('temp=1'), hashBody('temp=2'));
  assert.ok(Number.isSafeInteger(hashBody('x'.repeat(1000))));
  const w = createSeqWindow();
  w.commit(3, hashBody('temp=1'));
  assert.equal(w.check(3, hashBody('temp=1')), 'duplicate');
});
