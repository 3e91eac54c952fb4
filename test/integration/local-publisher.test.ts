// The gateway's publisher for the embedded broker, in the process (broker/local-publisher.ts):
// a real aedes, a real SQLite queue file, and MQTT.js clients over loopback on the other
// side. What it must keep from the socket path: every message delivered in order and only
// then acknowledged to the queue, the in-flight window, the gateway login's ACL (a refusal is
// a dead letter, never a delivery), and commands coming back down with retained ones first.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { LocalPublisher } from '../../src/broker/local-publisher.ts';
import { createLogger } from '../../src/log/logger.ts';
import type { InboundMessage } from '../../src/mqtt/subscriptions.ts';
import { queueSummary } from '../../src/queue/inspect.ts';
import { openSqliteOutbox } from '../../src/queue/sqlite-outbox.ts';
import type { SqliteOutbox } from '../../src/queue/sqlite-outbox.ts';
import { startTestBroker } from '../helpers/embedded-broker.ts';
import type { StartedBroker } from '../helpers/embedded-broker.ts';
import { until } from '../helpers/until.ts';

const WAIT_MS = 20_000;

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-local-publisher-'));
const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function client(
  broker: StartedBroker,
  login: { username?: string; password?: string } = {},
): Promise<MqttClient> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    ...login,
  });
  cleanups.push(() => c.endAsync(true));
  return c;
}

/** The payloads a QoS 1 subscriber to `filter` receives, in order. */
async function payloadsOn(broker: StartedBroker, filter: string): Promise<string[]> {
  const sub = await client(broker);
  const seen: string[] = [];
  sub.on('message', (_topic, payload) => seen.push(payload.toString()));
  await sub.subscribeAsync(filter, { qos: 1 });
  return seen;
}

let files = 0;
/** A queue file: a new one, or `path` opened again. */
async function queue(
  path = join(dir, `queue-${(files += 1)}.db`),
): Promise<{ outbox: SqliteOutbox; path: string }> {
  const outbox = await openSqliteOutbox({
    path,
    durability: 'normal',
    maxMessages: 100_000,
    maxBytes: 1e9,
    maxAgeMs: 86_400_000,
    whenFull: 'reject_new',
  });
  cleanups.push(() => outbox.close());
  return { outbox, path };
}

async function publisher(broker: StartedBroker, outbox: SqliteOutbox, inflight = 8): Promise<LocalPublisher> {
  const p = new LocalPublisher({
    broker: broker.broker,
    outbox,
    inflight,
    log: createLogger({ level: 'silent' }),
  });
  await p.start(new AbortController().signal);
  cleanups.push(() => p.stop());
  return p;
}

describe('LocalPublisher: the embedded broker in the process', () => {
  it('delivers 3,000 QoS 1 messages in order, acknowledging each only once aedes has it, never more than the window in flight', async () => {
    const broker = await startTestBroker(cleanups);
    const seen = await payloadsOn(broker, 'iot/lp/#');
    const { outbox, path } = await queue();
    const p = await publisher(broker, outbox, 8);
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, p.status().inflight)), 1);
    cleanups.push(() => clearInterval(watch));
    const count = 3000;
    for (let i = 0; i < count; i += 1)
      await outbox.submit([
        {
          port: 'p',
          topic: `iot/lp/p/n`,
          payload: Buffer.from(String(i)),
          qos: 1,
          retain: false,
          createdAt: Date.now(),
        },
      ]);
    await until('every message at the subscriber', () => seen.length >= count, WAIT_MS);
    await until('the queue empty', () => outbox.stats().depth === 0, WAIT_MS);
    clearInterval(watch);
    assert.deepEqual(
      seen,
      Array.from({ length: count }, (_, i) => String(i)),
    );
    assert.equal(p.status().published, count);
    assert.ok(peak <= 8, `in flight at most the window (peak ${peak})`);
    assert.ok(await p.drain(1000));
    await outbox.close();
    assert.equal(queueSummary(path).depth, 0, 'nothing left in the file');
  });

  it("refuses what the gateway's login may not publish: dead-lettered with the reason, never delivered", async () => {
    // With users set the gateway acts as its internal login, allowed only its own roots.
    const broker = await startTestBroker(cleanups, {
      users: [{ username: 'reader', password: 'reader pw' }],
      acl: [{ username: 'reader', publish: [], subscribe: ['#'] }],
      gatewayRoots: ['iot/lp/#'],
    });
    const sub = await client(broker, { username: 'reader', password: 'reader pw' });
    const seen: string[] = [];
    sub.on('message', (topic) => seen.push(topic));
    await sub.subscribeAsync('#', { qos: 1 });
    const { outbox } = await queue();
    const p = await publisher(broker, outbox);
    await outbox.submit([
      {
        port: 'p',
        topic: 'elsewhere/secret',
        payload: Buffer.from('x'),
        qos: 1,
        retain: false,
        createdAt: Date.now(),
      },
      {
        port: 'p',
        topic: 'iot/lp/p/ok',
        payload: Buffer.from('y'),
        qos: 1,
        retain: false,
        createdAt: Date.now(),
      },
    ]);
    await until('the allowed message', () => seen.includes('iot/lp/p/ok'), WAIT_MS);
    await until('the refused one dead-lettered', () => outbox.stats().deadLetters === 1, WAIT_MS);
    assert.deepEqual(seen, ['iot/lp/p/ok']);
    assert.equal(p.status().refusedByBroker, 1);
    assert.match(p.status().lastError ?? '', /elsewhere\/secret|not allowed|publish/);
    assert.equal(broker.broker.stats().refusedPublishes, 1, 'counted by the broker like any refusal');
  });

  it('brings commands down: retained ones first (marked retained), then live ones at the lower QoS; none after removal', async () => {
    const broker = await startTestBroker(cleanups);
    const app = await client(broker);
    await app.publishAsync('iot/lp/relay/set', 'on', { qos: 1, retain: true });
    const { outbox } = await queue();
    const p = await publisher(broker, outbox);
    const got: InboundMessage[] = [];
    const remove = p.subscriptions.add('iot/lp/+/set', 0, (m) => got.push(m));
    await until('the retained command', () => got.length === 1, WAIT_MS);
    assert.equal(got[0]?.retain, true);
    assert.equal(got[0]?.payload.toString(), 'on');
    assert.ok(p.subscriptions.covers('iot/lp/relay/set'));
    await app.publishAsync('iot/lp/relay/set', 'off', { qos: 1 });
    await until('the live command', () => got.length === 2, WAIT_MS);
    assert.deepEqual(
      { topic: got[1]?.topic, payload: got[1]?.payload.toString(), qos: got[1]?.qos, retain: got[1]?.retain },
      { topic: 'iot/lp/relay/set', payload: 'off', qos: 0, retain: false },
    );
    remove();
    assert.equal(p.subscriptions.covers('iot/lp/relay/set'), false);
    await app.publishAsync('iot/lp/relay/set', 'again', { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(got.length, 2);
  });

  it("sends again what an earlier version's socket session still held (that session died with aedes)", async () => {
    const broker = await startTestBroker(cleanups);
    const seen = await payloadsOn(broker, 'iot/lp/#');
    const { outbox, path } = await queue();
    await outbox.submit([
      {
        port: 'p',
        topic: 'iot/lp/p/held',
        payload: Buffer.from('held'),
        qos: 1,
        retain: false,
        createdAt: Date.now(),
      },
    ]);
    const [held] = outbox.lease(1);
    assert.ok(held !== undefined);
    // What BrokerClient's session store wrote for a QoS 2 PUBLISH in flight when it stopped.
    outbox.packets.put({ messageId: 7, queueId: held.id, packet: Buffer.from('{"cmd":"publish"}') });
    await outbox.close();
    const { outbox: reopened } = await queue(path);
    assert.equal(reopened.lease(10).length, 0, 'held by the stored session: not leasable');
    await publisher(broker, reopened);
    await until('the held message delivered', () => seen.includes('held'), WAIT_MS);
    assert.equal(reopened.packets.all().length, 0);
    await until('the queue empty', () => reopened.stats().depth === 0, WAIT_MS);
  });
});
