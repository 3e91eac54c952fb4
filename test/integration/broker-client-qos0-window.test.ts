// The publisher's QoS 0 send window is bounded in bytes, not only in messages: QoS 0
// publishes handed to MQTT.js wait in the socket's user-space buffer while the broker does
// not read, and 4096 of them at 64 KiB each would be 256 MiB there. A real Mosquitto, stopped
// with SIGSTOP (it keeps the TCP connection but reads nothing), blocks the socket; the
// window must then wait (backpressure), not drop, and everything goes out once it resumes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PUMP_BATCH } from '../../src/mqtt/publisher.ts';
import { MESSAGE_OVERHEAD_BYTES } from '../../src/queue/limits.ts';
import type { MemoryOutbox } from '../../src/queue/memory-outbox.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { until } from '../helpers/until.ts';
import { makeTestPublisher } from '../helpers/test-publisher.ts';

const KiB = 1024;
const PAYLOAD = 64 * KiB;
/** 32 MiB in all: well beyond what the loopback socket buffers take before they block. */
const COUNT = 500;
const WINDOW_BYTES = 1024 * KiB;
const TOPIC = 'window/test/reading';

function makePublisher(url: string): ReturnType<typeof makeTestPublisher> {
  // The long keepalive: no timeout while Mosquitto is stopped.
  return makeTestPublisher({
    url,
    clientId: 'qos0-window-test',
    protocolVersion: 4,
    willTopic: 'window/test/state',
    qos0WindowBytes: WINDOW_BYTES,
    outboxBytes: 1024 * 1024 * KiB,
  });
}

/** Until nothing moves out of the queue for a second (the socket is blocked). */
async function settled(outbox: MemoryOutbox): Promise<void> {
  let last = -1;
  let stableSince = Date.now();
  await until(
    'the send window to settle',
    () => {
      const s = outbox.stats();
      const moving = s.published + s.inflight;
      if (moving !== last) {
        last = moving;
        stableSince = Date.now();
      }
      return Date.now() - stableSince > 1000;
    },
    60_000,
  );
}

describe('publisher QoS 0 send window', () => {
  let broker: Mosquitto;
  let stopped = false;
  before(async () => {
    broker = await startMosquitto();
  });
  after(async () => {
    if (stopped) process.kill(broker.pid, 'SIGCONT');
    await broker.stop();
  });

  it('holds at most its byte bound while the broker does not read, waits, then sends everything', async () => {
    const { outbox, publisher } = makePublisher(broker.url);
    await publisher.start(new AbortController().signal);
    try {
      await until('the connection', () => publisher.connected, 10_000);
      process.kill(broker.pid, 'SIGSTOP');
      stopped = true;
      const payload = Buffer.alloc(PAYLOAD, 0x62);
      // In one submit, and 32 (queue.inflight) of them weigh more than the window's bytes: one
      // step of the pump then has more than the window holds (one at a time, or in smaller
      // steps, the socket's high-water mark would stop the pump first).
      const createdAt = Date.now();
      await outbox.submit(
        Array.from({ length: COUNT }, () => ({
          port: 'p',
          topic: TOPIC,
          payload,
          qos: 0 as const,
          retain: false,
          createdAt,
        })),
      );
      await settled(outbox);
      const s = outbox.stats();
      const cost = PAYLOAD + TOPIC.length + MESSAGE_OVERHEAD_BYTES;
      const held = s.inflight * cost;
      console.log(
        `broker stopped: ${s.published} written to the socket, ${s.inflight} in the send window ` +
          `(${held} bytes, bound ${WINDOW_BYTES}), ${s.depth - s.inflight} waiting in the queue, ` +
          `window ${JSON.stringify(publisher.status().qos0Window)}`,
      );
      assert.ok(s.inflight > 0, 'the socket should be blocked with messages in the window');
      assert.ok(held <= WINDOW_BYTES + cost, `${s.inflight} messages (${held} bytes) in the send window`);
      assert.ok((publisher.status().qos0Window?.fullWaits ?? 0) >= 1);
      assert.deepEqual(s.dropped, {}, 'the window waits; it never drops');
      // The broker reads again: everything goes out.
      process.kill(broker.pid, 'SIGCONT');
      stopped = false;
      await until('every message written', () => outbox.stats().published === COUNT, 60_000);
      assert.equal(outbox.stats().depth, 0);
      console.log(`broker resumed: ${outbox.stats().published} of ${COUNT} written, none dropped`);
    } finally {
      await publisher.stop();
      await outbox.close();
    }
  });

  it('hands MQTT.js nothing more while the socket waits for drain (small messages)', async () => {
    // Each QoS 0 PUBLISH written past the socket's high-water mark used to add a 'drain'
    // listener inside MQTT.js, up to the window's 4096 messages; removing them one by one
    // cost a third of the CPU at saturation. Now the publisher stops at the mark and waits.
    const { outbox, publisher } = makePublisher(broker.url);
    // 15 MB in all: more than the loopback socket buffers take while Mosquitto is stopped.
    const count = 60_000;
    await publisher.start(new AbortController().signal);
    try {
      await until('the connection', () => publisher.connected, 10_000);
      process.kill(broker.pid, 'SIGSTOP');
      stopped = true;
      const payload = Buffer.alloc(200, 0x62);
      for (let i = 0; i < count; i += 1)
        await outbox.submit([
          { port: 'p', topic: TOPIC, payload, qos: 0, retain: false, createdAt: Date.now() },
        ]);
      await settled(outbox);
      const s = outbox.stats();
      console.log(
        `broker stopped: ${s.published} written to the socket, ${s.inflight} handed to MQTT.js and ` +
          `waiting for drain, ${s.depth - s.inflight} waiting in the queue`,
      );
      assert.ok(s.depth - s.inflight > 0, 'the socket should be blocked with messages still queued');
      assert.ok(s.inflight <= PUMP_BATCH, `${s.inflight} messages waiting for drain (at most ${PUMP_BATCH})`);
      process.kill(broker.pid, 'SIGCONT');
      stopped = false;
      await until('every message written', () => outbox.stats().published === count, 60_000);
      assert.deepEqual(outbox.stats().dropped, {});
    } finally {
      await publisher.stop();
      await outbox.close();
    }
  });
});
