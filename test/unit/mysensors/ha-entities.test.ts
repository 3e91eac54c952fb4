// Home Assistant discovery for MySensors nodes (src/mysensors/ha-entities.ts): one device
// per node via the gateway, one entity per presented child of a known S_ type.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeView } from '../../../src/mysensors/controller.ts';
import { buildNodeDiscovery } from '../../../src/mysensors/ha-entities.ts';

const node: NodeView = {
  node: 7,
  sketch_name: 'Attic',
  sketch_version: '1.2',
  library_version: '2.3.2',
  battery: null,
  last_heartbeat: null,
  last_seen: null,
  available: true,
  children: [
    { child: 1, type: 'S_TEMP', description: 'Air' },
    { child: 2, type: 'S_BINARY', description: '' },
    { child: 3, type: 'S_DIMMER', description: 'Lamp' },
    { child: 4, type: 'S_DOOR', description: 'Door' },
    { child: 5, type: 'S_CUSTOM', description: 'no entity' },
  ],
};

const input = {
  base: 'iot/h',
  gatewayId: 'gw',
  prefix: 'homeassistant',
  version: '1.0.0',
  port: 'radio',
  config: 'M' as const,
};

void describe('MySensors Home Assistant discovery', () => {
  void it('gives no entity to a child a fixed field maps (its values never reach the generic topic)', () => {
    const messages = buildNodeDiscovery({ ...input, nodes: [node], fixedChildren: new Set(['1', '3']) });
    assert.deepEqual(
      messages.map((m) => m.topic),
      [
        'homeassistant/switch/tty2mqtt_gw/radio_7_2/config',
        'homeassistant/binary_sensor/tty2mqtt_gw/radio_7_4/config',
      ],
    );
  });

  void it('maps S_ types to components, one device per node via the gateway', () => {
    const messages = buildNodeDiscovery({ ...input, nodes: [node] });
    assert.deepEqual(
      messages.map((m) => m.topic),
      [
        'homeassistant/sensor/tty2mqtt_gw/radio_7_1/config',
        'homeassistant/switch/tty2mqtt_gw/radio_7_2/config',
        'homeassistant/light/tty2mqtt_gw/radio_7_3/config',
        'homeassistant/binary_sensor/tty2mqtt_gw/radio_7_4/config',
      ],
    );
    const [temp, relay, lamp, door] = messages.map((m) => JSON.parse(m.payload) as Record<string, unknown>);
    assert.equal(temp?.['state_topic'], 'iot/h/radio/7/1/V_TEMP');
    assert.equal(temp?.['unit_of_measurement'], '°C');
    assert.deepEqual(temp?.['device'], {
      identifiers: ['tty2mqtt_gw_radio_node7'],
      name: 'Attic',
      manufacturer: 'MySensors',
      model: 'Attic',
      sw_version: '1.2',
      via_device: 'tty2mqtt_gw',
    });
    assert.equal(relay?.['command_topic'], 'iot/h/radio/7/2/V_STATUS/set');
    assert.equal(relay?.['name'], 'binary 2');
    assert.equal(lamp?.['brightness_command_topic'], 'iot/h/radio/7/3/V_PERCENTAGE/set');
    assert.equal(lamp?.['brightness_scale'], 100);
    assert.deepEqual([door?.['device_class'], door?.['payload_on']], ['door', '1']);
  });

  void it('imperial config gives °F; no nodes, no messages', () => {
    const [temp] = buildNodeDiscovery({ ...input, config: 'I', nodes: [node] });
    assert.equal((JSON.parse(temp!.payload) as Record<string, unknown>)['unit_of_measurement'], '°F');
    assert.deepEqual(buildNodeDiscovery({ ...input, nodes: [] }), []);
  });
});
