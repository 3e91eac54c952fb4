// The queue's byte bounds in gateway.yaml: `queue.qos0_ring` and `queue.dead_letter`, with
// secure defaults (bounded even when not configured) and sizes/durations in units.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewayConfigSchema } from '../../../src/config/schema.ts';

const ports = [{ name: 'meter', path: '/dev/ttyUSB0', device: 'meter' }];

describe('queue bounds in the config', () => {
  it('bounds the QoS 0 ring and the dead letters by default', () => {
    const { queue } = gatewayConfigSchema.parse({ ports });
    assert.deepEqual(queue.qos0_ring, { max_messages: 10_000, max_bytes: 16 * 1024 * 1024 });
    assert.deepEqual(queue.dead_letter, {
      max_messages: 10_000,
      max_bytes: 64 * 1024 * 1024,
      max_age: 30 * 86_400_000,
    });
  });

  it('takes sizes and durations in units, fills in the rest, and refuses unknown keys', () => {
    const { queue } = gatewayConfigSchema.parse({
      ports,
      queue: { qos0_ring: { max_bytes: '2MiB' }, dead_letter: { max_age: '7d', max_messages: 500 } },
    });
    assert.deepEqual(queue.qos0_ring, { max_messages: 10_000, max_bytes: 2 * 1024 * 1024 });
    assert.deepEqual(queue.dead_letter, {
      max_messages: 500,
      max_bytes: 64 * 1024 * 1024,
      max_age: 7 * 86_400_000,
    });
    assert.equal(
      gatewayConfigSchema.safeParse({ ports, queue: { dead_letter: { max_count: 1 } } }).success,
      false,
    );
    assert.equal(
      gatewayConfigSchema.safeParse({ ports, queue: { qos0_ring: { max_bytes: 0 } } }).success,
      false,
    );
  });
});
