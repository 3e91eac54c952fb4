// Outage scenario: the broker is unreachable for 30 s (TTY2MQTT_OUTAGE_MS) while a
// power meter sends 500 lines/s at QoS 1 with `#seq` acks. The first half of the outage is
// a cut (connections closed, connects refused), the second half a blackhole (connects
// accepted, nothing answered): both ways a broker goes away. 30 s is enough for both: the
// reconnect backoff (src/mqtt/backoff.ts: 1, 2, 4, 8, 16 s ceilings, each delay between
// half and all of its ceiling) makes its refused attempts within the 15 s cut, and its
// fifth attempt comes 15.5-31 s in, almost always inside the blackhole half; the queue
// holds 15,000 readings by the restore. A longer outage adds only waiting: the backoff's
// 60 s cap is checked by test/unit/mqtt/backoff.test.ts. Then the link is restored and
// live traffic goes on while the backlog drains. Expected: every reading the gateway
// acknowledged reaches an independent subscriber (0 lost), first deliveries in order.
//
// A second case hangs a *live* connection (blackhole with messages in flight), so the
// keepalive must notice, and the messages whose PUBACK never came must still arrive.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAckDevice } from '../helpers/ack-device.ts';
import type { AckDevice } from '../helpers/ack-device.ts';
import { checkDelivery, formatReport, waitForDelivery } from '../helpers/delivery-check.ts';
import { METER_TOPIC, startDeliveryRig } from '../helpers/delivery-rig.ts';
import type { DeliveryRig } from '../helpers/delivery-rig.ts';

const OUTAGE_MS = Number(process.env['TTY2MQTT_OUTAGE_MS'] ?? 30_000);
const RATE = 500;
const WINDOW = 16;
const LEAD_MS = 3_000;
/** Live traffic after the gateway is back on the broker. */
const TAIL_MS = 5_000;
/** Reconnect backoff is capped at 60 s (+ a 10 s connect timeout), then the backlog drains. */
const RECOVERY_MS = 120_000;

function meterCount(rig: DeliveryRig): number {
  return rig.sub.messages.reduce((n, m) => n + (m.topic === METER_TOPIC ? 1 : 0), 0);
}

/** Resolves with the time the subscriber's meter count first exceeds `count`. */
async function nextDelivery(
  rig: DeliveryRig,
  count: number,
  timeoutMs: number,
  why: () => string,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (meterCount(rig) <= count) {
    if (Date.now() > deadline) throw new Error(`no delivery within ${timeoutMs} ms: ${why()}`);
    await sleep(50);
  }
  return Date.now();
}

/** The gateway's last log lines, for failure messages. */
function gatewayTail(rig: DeliveryRig, lines = 40): string {
  return `\ngateway log (last ${lines} lines):\n${rig.gateway
    .stdout()
    .split('\n')
    .slice(-lines - 1)
    .join('\n')}${rig.gateway.stderr()}`;
}

function logLines(rig: DeliveryRig, text: string): number {
  return rig.gateway
    .stdout()
    .split('\n')
    .filter((l) => l.includes(text)).length;
}

async function runOutage(
  rig: DeliveryRig,
  device: AckDevice,
  phases: { kind: 'cut' | 'blackhole'; ms: number }[],
): Promise<string> {
  const figures: string[] = [];
  const deliveredBefore = meterCount(rig);
  await sleep(LEAD_MS);
  assert.ok(
    meterCount(rig) > deliveredBefore,
    `live traffic before the outage: ${device.describe()}${gatewayTail(rig)}`,
  );
  const ackedAtStart = device.acked.size;
  for (const phase of phases) {
    await (phase.kind === 'cut' ? rig.proxy.cut() : rig.proxy.blackhole());
    await sleep(phase.ms);
  }
  // Whatever the broker had accepted before the outage has long arrived by now.
  const deliveredInOutage = meterCount(rig);
  const ackedInOutage = device.acked.size - ackedAtStart;
  await rig.proxy.restore();
  const restoredAt = Date.now();
  const reconnectedAt = await nextDelivery(
    rig,
    deliveredInOutage,
    RECOVERY_MS,
    () => `${device.describe()}; proxy ${JSON.stringify(rig.proxy.stats())}${gatewayTail(rig)}`,
  );
  // Live traffic goes on while the backlog drains: TAIL_MS more of it from now.
  device.extend(Math.max(0, device.sent + Math.round((RATE * TAIL_MS) / 1000) - device.total));
  await device.done(TAIL_MS + 30_000);
  const report = await waitForDelivery(rig.sub.messages, device.acked, {
    topic: METER_TOPIC,
    timeoutMs: RECOVERY_MS,
  });
  const drainedAt = Date.now();
  figures.push(
    `outage ${phases.map((p) => `${p.kind} ${p.ms} ms`).join(' + ')}`,
    `gateway ACKed ${ackedInOutage} readings during the outage`,
    `reconnected ${reconnectedAt - restoredAt} ms after restore, all delivered ${drainedAt - restoredAt} ms after restore`,
    `max queue depth in gateway/health ${rig.maxHealthDepth() ?? 'n/a'}`,
    device.describe(),
    formatReport(report),
    `gateway log: ${logLines(rig, 'broker connection lost')} × "broker connection lost", ` +
      `${logLines(rig, 'connected to broker')} × "connected to broker"`,
    `proxy ${JSON.stringify(rig.proxy.stats())}`,
  );
  const summary = figures.join('\n  ');
  console.log(`delivery-outage:\n  ${summary}`);
  assert.ok(
    ackedInOutage > 0,
    `the device was ACKed during the outage (the serial half never waits)\n  ${summary}`,
  );
  assert.deepEqual(device.naks, [], summary);
  assert.deepEqual(report.missing, [], `0 lost\n  ${summary}`);
  assert.equal(report.outOfOrder, 0, `per-port order on first delivery\n  ${summary}`);
  assert.equal(report.unreadable, 0, summary);
  return summary;
}

describe(`broker outage (${OUTAGE_MS} ms) under 500 lines/s at QoS 1`, () => {
  let rig: DeliveryRig;
  let device: AckDevice | undefined;

  before(async () => {
    rig = await startDeliveryRig();
  });

  after(async () => {
    await device?.stop();
    await rig?.stop();
  });

  it(
    'cut then blackhole, restore: 0 lost, order kept, live traffic continues',
    { timeout: LEAD_MS + OUTAGE_MS + 2 * RECOVERY_MS + TAIL_MS + 60_000 },
    async () => {
      device = await startAckDevice({
        path: rig.pty.devicePath,
        rate: RATE,
        count: Math.round((RATE * (LEAD_MS + OUTAGE_MS)) / 1000),
        window: WINDOW,
      });
      const half = Math.round(OUTAGE_MS / 2);
      await runOutage(rig, device, [
        { kind: 'cut', ms: half },
        { kind: 'blackhole', ms: OUTAGE_MS - half },
      ]);
      await device.stop();
      device = undefined;
    },
  );

  it(
    'a live connection that hangs (blackhole with messages in flight): keepalive notices, 0 lost',
    { timeout: LEAD_MS + 15_000 + 2 * RECOVERY_MS + TAIL_MS + 60_000 },
    async () => {
      const before = checkDelivery(rig.sub.messages, [], { topic: METER_TOPIC });
      device = await startAckDevice({
        path: rig.pty.devicePath,
        rate: RATE,
        count: Math.round((RATE * (LEAD_MS + 15_000)) / 1000),
        window: WINDOW,
        // Ids after the first case's, so both cases' figures stay apart.
        firstId: before.unique + 1_000_001,
      });
      const lost = logLines(rig, 'broker connection lost');
      await runOutage(rig, device, [{ kind: 'blackhole', ms: 15_000 }]);
      assert.ok(logLines(rig, 'broker connection lost') > lost, 'the keepalive noticed the hung broker');
    },
  );
});
