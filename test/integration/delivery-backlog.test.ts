// Backlog scenario: "restart with an existing queue and a broker that is up: the backlog drains in
// order". The gateway runs with the broker unreachable (the fault proxy cut) while the
// device sends TTY2MQTT_BACKLOG_LINES readings (default 10,000), every one ACKed — so every
// one is in the queue file. A graceful stop (SIGTERM) must exit 0 within the 5 s of
// docs/contract.md §6 with balanced books; then the proxy is restored and the gateway started
// again on the same queue file: the whole backlog reaches an independent subscriber, none
// missing, first deliveries in order, and gateway/health reports the depth going to 0.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAckDevice } from '../helpers/ack-device.ts';
import type { AckDevice } from '../helpers/ack-device.ts';
import { formatReport, waitForDelivery } from '../helpers/delivery-check.ts';
import { HEALTH_TOPIC, METER_TOPIC, healthDepth, startDeliveryRig } from '../helpers/delivery-rig.ts';
import type { DeliveryRig } from '../helpers/delivery-rig.ts';

/**
 * 10 s of the device at full pace: a backlog that drains in many batches (≈ 6,500
 * messages/s) and still fills the queue file while the broker is cut. More readings only
 * lengthen the fill; the wait for the health report that shows depth 0 (up to 30 s) stays.
 */
const BACKLOG = Number(process.env['TTY2MQTT_BACKLOG_LINES'] ?? 10_000);
const RATE = 1000;
const WINDOW = 16;
/** docs/contract.md §6: a graceful stop exits within 5 s; +1 s for the process itself to go. */
const STOP_DEADLINE_MS = 6_000;
/** gateway/health comes on connect and every 30 s. */
const HEALTH_WAIT_MS = 45_000;

/** The `tty2mqtt stopped` log line of a run, parsed (undefined if it never printed one). */
function stopLine(output: string): { queue?: Record<string, unknown>; drained?: unknown } | undefined {
  const line = output.split('\n').find((l) => l.includes('"msg":"tty2mqtt stopped"'));
  return line === undefined ? undefined : (JSON.parse(line) as { queue?: Record<string, unknown> });
}

/** SIGTERM; resolves with the exit code and how long it took. */
async function gracefulStop(rig: DeliveryRig): Promise<{ code: number | string; ms: number }> {
  const t0 = Date.now();
  // Cleared once the gateway exits: a pending timer would hold the test process open.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'no exit'>((resolve) => {
    timer = setTimeout(() => resolve('no exit'), STOP_DEADLINE_MS + 10_000);
  });
  const code = await Promise.race([rig.stopGateway(), timeout]);
  clearTimeout(timer);
  return { code, ms: Date.now() - t0 };
}

describe(`restart with a backlog of ${BACKLOG} readings and the broker up`, () => {
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
    'stops cleanly with a full queue, then drains it in order after the restart',
    { timeout: 400_000 },
    async () => {
      const figures: string[] = [];
      const say = (): string => figures.join('\n  ');
      // 1. Broker unreachable: every reading goes into the queue file and stays there.
      await rig.proxy.cut();
      await rig.gateway.waitForOutput('broker connection lost', 20_000);
      const fillStart = Date.now();
      device = await startAckDevice({ path: rig.pty.devicePath, rate: RATE, count: BACKLOG, window: WINDOW });
      await device.done(BACKLOG * 5 + 30_000);
      await device.stop();
      figures.push(
        `filled: ${device.acked.size} readings ACKed in ${((Date.now() - fillStart) / 1000).toFixed(1)} s with the broker cut`,
        device.describe(),
      );
      assert.deepEqual(device.naks, [], say());
      assert.equal(
        rig.sub.messages.filter((m) => m.topic === METER_TOPIC).length,
        0,
        `nothing reached the broker while it was cut\n  ${say()}`,
      );

      // 2. Graceful stop with the backlog queued and the broker still unreachable.
      const first = rig.gateway;
      const stop1 = await gracefulStop(rig);
      const stopped1 = stopLine(first.stdout());
      figures.push(
        `SIGTERM with ${BACKLOG} queued: exit ${stop1.code} after ${stop1.ms} ms; stop log queue ${JSON.stringify(stopped1?.queue)}`,
      );
      const tail1 = `\n  ${say()}\ngateway log:\n${first.stdout().slice(-3000)}${first.stderr()}`;
      assert.equal(stop1.code, 0, `exit 0 on SIGTERM${tail1}`);
      assert.ok(stop1.ms <= STOP_DEADLINE_MS, `stopped within 5 s (docs/contract.md §6)${tail1}`);
      assert.equal(stopped1?.queue?.['balanced'], true, `the queue's books balance${tail1}`);
      assert.equal(stopped1?.queue?.['queued'], BACKLOG, `everything ACKed is still queued${tail1}`);

      // 3. Broker back, gateway started again on the same queue file: the backlog drains.
      await rig.proxy.restore();
      const healthBefore = rig.sub.messages.length;
      const restartAt = Date.now();
      const second = await rig.restartGateway({ wait: 'broker' });
      const connectedAt = Date.now();
      const report = await waitForDelivery(rig.sub.messages, device.acked, {
        topic: METER_TOPIC,
        timeoutMs: 180_000,
      });
      const meter = rig.sub.messages.filter((m) => m.topic === METER_TOPIC);
      const firstAt = meter[0]?.receivedAt ?? connectedAt;
      const lastAt = meter[meter.length - 1]?.receivedAt ?? connectedAt;
      const drainRate = meter.length / Math.max(0.001, (lastAt - firstAt) / 1000);
      figures.push(
        `restart: connected ${connectedAt - restartAt} ms after spawn; ${meter.length} messages from ` +
          `${firstAt - restartAt} ms to ${lastAt - restartAt} ms after spawn: drain rate ${Math.round(drainRate)} messages/s`,
        formatReport(report),
      );
      assert.deepEqual(report.missing, [], `the whole backlog arrives\n  ${say()}`);
      assert.equal(report.outOfOrder, 0, `in order on first delivery\n  ${say()}`);
      assert.equal(report.unreadable, 0, say());

      // 4. gateway/health: the depth at connect, then 0 in a later report (every 30 s).
      const healthAfter = (): number[] =>
        rig.sub.messages
          .slice(healthBefore)
          .filter((m) => m.topic === HEALTH_TOPIC)
          .map((m) => healthDepth(m.payload) ?? -1);
      const deadline = Date.now() + HEALTH_WAIT_MS;
      while (!healthAfter().includes(0) && Date.now() < deadline) await sleep(250);
      figures.push(`gateway/health queue depths after the restart: ${JSON.stringify(healthAfter())}`);
      assert.ok((healthAfter()[0] ?? 0) > 0, `health on connect shows the backlog\n  ${say()}`);
      assert.ok(healthAfter().includes(0), `health reports the depth going to 0\n  ${say()}`);

      // 5. And a second graceful stop: nothing left, books balanced, the backlog counted as recovered.
      const stop2 = await gracefulStop(rig);
      const stopped2 = stopLine(second.stdout());
      figures.push(
        `SIGTERM after the drain: exit ${stop2.code} after ${stop2.ms} ms; stop log queue ${JSON.stringify(stopped2?.queue)}`,
      );
      console.log(`delivery-backlog:\n  ${say()}`);
      assert.equal(stop2.code, 0, say());
      assert.equal(stopped2?.queue?.['queued'], 0, say());
      assert.equal(stopped2?.queue?.['recovered'], BACKLOG, say());
      assert.equal(stopped2?.queue?.['balanced'], true, say());
    },
  );
});
