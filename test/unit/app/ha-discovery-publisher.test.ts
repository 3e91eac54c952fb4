// The discovery publisher's behaviour against a fake broker link: what it publishes on
// connect and on Home Assistant's birth message, and what its one-time clean-up clears.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HaDiscoveryPublisher } from '../../../src/app/ha-discovery-publisher.ts';
import type { DiscoveryInput } from '../../../src/app/ha-discovery.ts';
import { profileSchema } from '../../../src/config/schema.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import type { InboundHandler, QoS } from '../../../src/mqtt/subscriptions.ts';
import { topicMatches } from '../../../src/topics/filter.ts';

const profile = {
  ...profileSchema.parse({
    id: 'climate',
    line: { format: 'kv' },
    fields: { temperature: { type: 'number', unit: '°C', device_class: 'temperature' } },
    commands: { led: { payload: { type: 'enum', values: ['on', 'off'] }, write: 'LED {value}' } },
  }),
  topicTemplate: '{port}/{field}',
};
const input: DiscoveryInput = {
  base: 'iot/home1',
  gatewayId: 'gw',
  prefix: 'homeassistant',
  version: '1.0.0',
  ports: [{ name: 'livingroom', vars: {}, profile }],
};
const PRODUCED = [
  'homeassistant/binary_sensor/tty2mqtt_gw/gateway_connectivity/config',
  'homeassistant/sensor/tty2mqtt_gw/livingroom_temperature/config',
  'homeassistant/select/tty2mqtt_gw/livingroom_led/config',
];

interface Published {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

function rig(settleMs = 50) {
  const published: Published[] = [];
  const handlers = new Map<string, { qos: QoS; handler: InboundHandler }>();
  let connected = true;
  const publisher = new HaDiscoveryPublisher({
    input,
    settleMs,
    log: silentLogger(),
    sink: {
      publishNow: (topic, payload, opts) => {
        if (!connected) return Promise.resolve(false);
        published.push({ topic, payload, ...opts });
        return Promise.resolve(true);
      },
    },
    subscribe: (filter, qos, handler) => {
      handlers.set(filter, { qos, handler });
      return () => handlers.delete(filter);
    },
  });
  const deliver = (topic: string, payload: string, retain = false): void => {
    for (const [filter, { handler, qos }] of handlers)
      if (topicMatches(filter, topic)) handler({ topic, payload: Buffer.from(payload), qos, retain });
  };
  return {
    publisher,
    published,
    handlers,
    deliver,
    setConnected: (c: boolean) => (connected = c),
  };
}

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

void describe('HaDiscoveryPublisher', () => {
  void it('subscribes the birth topic and the clean-up filter on start', () => {
    const { publisher, handlers } = rig();
    publisher.start();
    assert.deepEqual([...handlers.keys()].sort(), [
      'homeassistant/+/tty2mqtt_gw/+/config',
      'homeassistant/status',
    ]);
    publisher.stop();
    assert.equal(handlers.size, 0);
  });

  void it('publishes every config retained on each connect', async () => {
    const { publisher, published } = rig();
    publisher.start();
    assert.equal(await publisher.publishAll(), 3);
    assert.equal(await publisher.publishAll(), 3);
    assert.deepEqual(
      published.map((p) => p.topic),
      [...PRODUCED, ...PRODUCED],
    );
    assert.ok(published.every((p) => p.retain && p.payload.startsWith('{')));
    publisher.stop();
  });

  void it("publishes again on Home Assistant's live `online`, not on a retained one or `offline`", async () => {
    const { publisher, published, deliver } = rig();
    publisher.start();
    deliver('homeassistant/status', 'online', true);
    deliver('homeassistant/status', 'offline');
    await tick();
    assert.equal(published.length, 0);
    deliver('homeassistant/status', 'online');
    await tick();
    assert.deepEqual(
      published.map((p) => p.topic),
      PRODUCED,
    );
    publisher.stop();
  });

  void it('clears earlier configs it no longer produces, never one it produces, then unsubscribes', async () => {
    const { publisher, published, deliver, handlers } = rig(50);
    publisher.start();
    await publisher.publishAll();
    published.length = 0;
    const gone = 'homeassistant/sensor/tty2mqtt_gw/garden_moisture/config';
    deliver(gone, '{"old":true}', true);
    deliver(PRODUCED[1] ?? '', '{"old":true}', true); // still produced: kept
    deliver('homeassistant/switch/tty2mqtt_gw/garden_pump/config', '', true); // already empty
    deliver(gone, '{"old":true}', true); // replayed again: cleared once
    await tick();
    assert.deepEqual(published, [{ topic: gone, payload: '', qos: 0, retain: true }]);
    await tick(80);
    assert.deepEqual([...handlers.keys()], ['homeassistant/status']);
    publisher.stop();
  });

  void it('the settle time starts at the first connect, not at start', async () => {
    const { publisher, handlers } = rig(20);
    publisher.start();
    await tick(50);
    assert.equal(handlers.size, 2, 'still listening: no connect yet');
    await publisher.publishAll();
    await tick(50);
    assert.equal(handlers.size, 1);
    publisher.stop();
  });

  void it('a clearing that could not be sent is tried again when the config is replayed', async () => {
    const { publisher, published, deliver, setConnected } = rig(1000);
    publisher.start();
    await publisher.publishAll();
    published.length = 0;
    const gone = 'homeassistant/sensor/tty2mqtt_gw/garden_moisture/config';
    setConnected(false);
    deliver(gone, '{"old":true}', true);
    await tick();
    setConnected(true);
    deliver(gone, '{"old":true}', true);
    await tick();
    assert.deepEqual(
      published.map((p) => p.topic),
      [gone],
    );
    publisher.stop();
  });
});
