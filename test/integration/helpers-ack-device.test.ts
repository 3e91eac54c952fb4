// The ack device and the delivery check, end to end with nothing failing: the real gateway
// (child process) reads a socat pty, publishes through the fault proxy (forwarding) to a
// real Mosquitto, and an independent mosquitto_sub sees every acknowledged reading, once,
// in order. This is the baseline every fault scenario is measured against.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readingLine, startAckDevice } from '../helpers/ack-device.ts';
import type { AckDevice } from '../helpers/ack-device.ts';
import { checkDelivery, formatReport, waitForDelivery } from '../helpers/delivery-check.ts';
import { METER_TOPIC, startDeliveryRig } from '../helpers/delivery-rig.ts';
import type { DeliveryRig } from '../helpers/delivery-rig.ts';

describe('checkDelivery', () => {
  const msg = (id: number | string): { topic: string; payload: string } => ({
    topic: 't',
    payload: typeof id === 'number' ? `{"power":1,"energy":${id}}` : id,
  });

  it('counts received, unique, duplicates, missing and out-of-order first deliveries', () => {
    const r = checkDelivery([1, 2, 4, 3, 2, 5, 'garbage'].map(msg), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(r, {
      received: 6,
      unique: 5,
      duplicates: 1,
      missing: [6, 7],
      outOfOrder: 1, // 3 after 4; the second 2 is a duplicate, not a first delivery
      unreadable: 1,
      unacked: 0,
    });
  });

  it('filters by topic and reports ids received without an ACK', () => {
    const r = checkDelivery([msg(1), { topic: 'other', payload: '{"energy":9}' }, msg(2)], [1], {
      topic: 't',
    });
    assert.equal(r.received, 2);
    assert.equal(r.unacked, 1);
    assert.deepEqual(r.missing, []);
  });

  it('builds power-meter lines the way the firmware does', () => {
    // XOR over "#0 {…}" including the prefix; devices/power-meter/profile.yaml shows the format.
    const line = readingLine(0, 4001);
    assert.match(line, /^#0 \{"power":1,"voltage":230,"current":1,"energy":4001\}\*[0-9A-F]{2}\n$/);
    let x = 0;
    for (const b of Buffer.from(line.slice(0, line.indexOf('*')))) x ^= b;
    assert.equal(line.slice(-3, -1), x.toString(16).toUpperCase().padStart(2, '0'));
  });
});

describe('ack device → gateway → fault proxy → Mosquitto, nothing failing', () => {
  let rig: DeliveryRig;
  let device: AckDevice | undefined;

  before(async () => {
    rig = await startDeliveryRig();
  });

  after(async () => {
    await device?.stop();
    await rig?.stop();
  });

  it('500 readings at 200 lines/s, window 8: all received, 0 missing, 0 out of order', async () => {
    const started = Date.now();
    device = await startAckDevice({ path: rig.pty.devicePath, rate: 200, count: 500, window: 8 });
    await device.done(15_000);
    const report = await waitForDelivery(rig.sub.messages, device.acked, {
      topic: METER_TOPIC,
      timeoutMs: 10_000,
    });
    const figures = `${device.describe()}; ${formatReport(report)}; proxy ${JSON.stringify(rig.proxy.stats())}`;
    console.log(`baseline: ${figures}; ${Date.now() - started} ms`);
    assert.deepEqual(device.naks, [], figures);
    assert.equal(device.acked.size, 500, figures);
    assert.deepEqual(report.missing, [], figures);
    assert.equal(report.unique, 500, figures);
    assert.equal(report.outOfOrder, 0, figures);
    assert.equal(report.unreadable, 0, figures);
    assert.ok(rig.proxy.stats().bytesToTarget > 500 * 60, 'the gateway published through the proxy');
  });
});
