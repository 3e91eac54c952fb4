// The readings of a port view that /metrics and the status page share (src/ports/port-view.ts):
// which counter means framed, queued and discarded input for each protocol.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLinePortCounters } from '../../../src/ports/port-counters.ts';
import { createSnCounters } from '../../../src/mqttsn/context.ts';
import { discardsByReason, framedInput, queuedMessages } from '../../../src/ports/port-view.ts';
import type { PortView, PortViewBase } from '../../../src/ports/port-view.ts';

const base: PortViewBase = {
  name: 'p',
  path: '/dev/ttyACM0',
  device: 'd',
  description: '',
  format: 'kv',
  state: 'open',
  available: true,
  lastSeen: null,
  opens: 1,
  losses: 0,
  fields: [],
  commands: [],
};

void test('line and MySensors ports: lines framed, messages queued, discards by reason', () => {
  const counters = {
    ...createLinePortCounters(),
    lines: 7,
    messages: 12,
    discards: { checksum_mismatch: 2 },
  };
  for (const port of [
    { ...base, protocol: 'line', counters },
    { ...base, protocol: 'mysensors', counters, nodes: [] },
  ] satisfies PortView[]) {
    assert.deepEqual(framedInput(port), { unit: 'lines', count: 7 });
    assert.equal(queuedMessages(port), 12);
    assert.deepEqual(discardsByReason(port), { checksum_mismatch: 2 });
  }
});

void test('MQTT-SN ports: frames, PUBLISHes queued, framing discards and protocol drops summed', () => {
  const port: PortView = {
    ...base,
    protocol: 'mqttsn',
    counters: {
      ...createSnCounters(),
      bytes: 40,
      frames: 5,
      discards: { bad_length: 1, crc_mismatch: 2 },
      published: 3,
      drops: { not_connected: 4, queue_full: 0 },
    },
  };
  assert.deepEqual(framedInput(port), { unit: 'frames', count: 5 });
  assert.equal(queuedMessages(port), 3);
  assert.deepEqual(discardsByReason(port), {
    bad_length: 1,
    crc_mismatch: 2,
    not_connected: 4,
    queue_full: 0,
  });
});
