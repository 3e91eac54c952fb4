// The publisher writes its QoS 1 PUBLISHes itself, one socket write per pump step
// (src/mqtt/publish-packet.ts), and hands QoS 0 and QoS 2 to MQTT.js. Against a real
// Mosquitto behind a proxy that parses what the gateway sends: the messages leave in the
// order they were queued whatever their QoS, each QoS 1 one with its message id, MQTT.js's
// tables are empty once everything is acknowledged, and messages in flight when the link
// dies are sent again with DUP on the next connection before anything new.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import mqttPacket from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import type { BrokerClient } from '../../src/mqtt/broker-client.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import type { FaultProxy } from '../helpers/fault-proxy.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { until } from '../helpers/until.ts';
import { makeTestPublisher } from '../helpers/test-publisher.ts';

const TOPIC = 'qos1/test/seq';

/** PUBLISH packets the gateway sent, per connection, parsed from the proxy's tap. */
class Wire {
  readonly publishes = new Map<number, mqttPacket.IPublishPacket[]>();
  private readonly parsers = new Map<number, mqttPacket.Parser>();
  constructor(private readonly protocolVersion: 4 | 5) {}

  tap = (connection: number, chunk: Buffer): void => {
    let parser = this.parsers.get(connection);
    if (parser === undefined) {
      parser = mqttPacket.parser({ protocolVersion: this.protocolVersion });
      const list: mqttPacket.IPublishPacket[] = [];
      this.publishes.set(connection, list);
      parser.on('packet', (packet: mqttPacket.Packet) => {
        if (packet.cmd === 'publish' && packet.topic === TOPIC) list.push(packet);
      });
      parser.on('error', (error: Error) =>
        assert.fail(`the gateway sent bytes that do not parse: ${error.message}`),
      );
      this.parsers.set(connection, parser);
    }
    parser.parse(chunk);
  };

  on(connection: number): mqttPacket.IPublishPacket[] {
    return this.publishes.get(connection) ?? [];
  }
}

function makePublisher(url: string, protocolVersion: 4 | 5): ReturnType<typeof makeTestPublisher> {
  // The long keepalive: no timeout while the proxy blackholes the link.
  return makeTestPublisher({
    url,
    clientId: `qos1-writes-${protocolVersion}`,
    protocolVersion,
    willTopic: 'qos1/test/state',
  });
}

/** The QoS of message i: mostly 1, with QoS 0 and QoS 2 ones in between. */
function qosOf(i: number): 0 | 1 | 2 {
  if (i % 7 === 3) return 0;
  if (i % 11 === 5) return 2;
  return 1;
}

function mqttClientOf(publisher: BrokerClient): MqttClient {
  return (publisher as unknown as { client: MqttClient }).client;
}

describe('publisher: QoS 1 PUBLISHes written by the gateway', () => {
  let broker: Mosquitto;
  before(async () => {
    broker = await startMosquitto();
  });
  after(async () => {
    await broker.stop();
  });

  for (const protocolVersion of [5, 4] as const) {
    it(`MQTT ${protocolVersion}: QoS 0, 1 and 2 leave in queue order; nothing is left in MQTT.js's tables`, async () => {
      const wire = new Wire(protocolVersion);
      const proxy = await startFaultProxy({
        target: { host: '127.0.0.1', port: broker.port },
        tapToTarget: wire.tap,
      });
      const { outbox, publisher } = makePublisher(proxy.url, protocolVersion);
      const count = 600;
      await publisher.start(new AbortController().signal);
      try {
        await until('the connection', () => publisher.connected, 10_000);
        // Submits of different sizes, some while earlier ones are in flight: many pump steps.
        for (let i = 0; i < count;) {
          const size = 1 + (i % 37);
          const messages = [];
          for (let j = 0; j < size && i < count; j += 1, i += 1)
            messages.push({
              port: 'p',
              topic: TOPIC,
              payload: Buffer.from(String(i)),
              qos: qosOf(i),
              retain: i % 5 === 0,
              createdAt: Date.now(),
            });
          await outbox.submit(messages);
          if (i % 3 === 0) await sleep(1);
        }
        await until('every message acknowledged', () => outbox.stats().published === count, 30_000);
        await until('the broker to have every PUBLISH', () => wire.on(1).length === count, 10_000);
        const sent = wire.on(1);
        assert.deepEqual(
          sent.map((p) => Number(p.payload.toString())),
          Array.from({ length: count }, (_, i) => i),
          'the order of the queue',
        );
        sent.forEach((packet, i) => {
          assert.equal(packet.qos, qosOf(i), `QoS of message ${i}`);
          assert.equal(packet.retain, i % 5 === 0, `RETAIN of message ${i}`);
          assert.equal(packet.dup, false);
          if (protocolVersion === 5)
            assert.match(String(packet.properties?.userProperties?.['id']), /^test\/p\/\d+$/);
          else assert.equal(packet.properties, undefined);
        });
        const ids = sent.map((p) => String(p.properties?.userProperties?.['id']));
        if (protocolVersion === 5) assert.equal(new Set(ids).size, count, 'one message id each');
        // Everything acknowledged: MQTT.js holds no outgoing packet and the session store none.
        await until(
          'MQTT.js to let go of the acknowledged packets',
          () => publisher.status().inflight === 0,
          5_000,
        );
        assert.deepEqual(Object.keys(mqttClientOf(publisher).outgoing), []);
        assert.equal(publisher.status().published, count);
      } finally {
        await publisher.stop();
        await outbox.close();
        await proxy.close();
      }
    });
  }

  it('QoS 1 messages in flight when the link dies are sent again, with DUP, before anything new', async () => {
    const wire = new Wire(5);
    let proxy: FaultProxy | undefined = await startFaultProxy({
      target: { host: '127.0.0.1', port: broker.port },
      tapToTarget: wire.tap,
    });
    const { outbox, publisher } = makePublisher(proxy.url, 5);
    const count = 60;
    await publisher.start(new AbortController().signal);
    try {
      await until('the connection', () => publisher.connected, 10_000);
      // The broker stops answering: what is sent now stays in flight.
      await proxy.blackhole();
      await outbox.submit(
        Array.from({ length: count }, (_, i) => ({
          port: 'p',
          topic: TOPIC,
          payload: Buffer.from(String(i)),
          qos: 1 as const,
          retain: false,
          createdAt: Date.now(),
        })),
      );
      // Mosquitto's Receive Maximum (20) bounds what is in flight.
      await until('a full window in flight', () => publisher.status().inflight === 20, 10_000);
      assert.equal(outbox.stats().published, 0);
      // The blackholed connection is closed; the publisher reconnects through the proxy.
      await proxy.restore();
      await until('every message acknowledged', () => outbox.stats().published === count, 30_000);
      const again = wire.on(2);
      assert.deepEqual(
        again.slice(0, 20).map((p) => [Number(p.payload.toString()), p.dup]),
        Array.from({ length: 20 }, (_, i) => [i, true]),
        'the 20 in flight, again, with DUP',
      );
      assert.deepEqual(
        again.slice(20).map((p) => [Number(p.payload.toString()), p.dup]),
        Array.from({ length: count - 20 }, (_, i) => [20 + i, false]),
        'then the rest, new',
      );
      await until(
        'MQTT.js to let go of the acknowledged packets',
        () => publisher.status().inflight === 0,
        5_000,
      );
      assert.deepEqual(Object.keys(mqttClientOf(publisher).outgoing), []);
    } finally {
      await publisher.stop();
      await outbox.close();
      await proxy.close();
      proxy = undefined;
    }
  });
});
