// Home Assistant MQTT discovery for the nodes a MySensors controller knows: one HA device
// per node (`via_device` the gateway), one entity per presented child whose S_ type has a
// row below. Pure: the same nodes give the same messages, in the same order.
//
//   S_TEMP         sensor         V_TEMP         temperature, °C (°F with config I)
//   S_HUM          sensor         V_HUM          humidity, %
//   S_BARO         sensor         V_PRESSURE     atmospheric_pressure, hPa
//   S_DISTANCE     sensor         V_DISTANCE     distance, cm
//   S_LIGHT_LEVEL  sensor         V_LIGHT_LEVEL  %
//   S_POWER        sensor         V_WATT         power, W
//   S_MULTIMETER   sensor         V_VOLTAGE      voltage, V
//   S_DOOR         binary_sensor  V_TRIPPED      door          (S_MOTION motion, S_SMOKE smoke,
//                                                S_WATER_LEAK / S_MOISTURE moisture,
//                                                S_SOUND sound, S_VIBRATION vibration)
//   S_BINARY       switch         V_STATUS       payload 1/0, command …/V_STATUS/set
//   S_DIMMER       light          V_STATUS + V_PERCENTAGE (brightness, scale 100)
//   S_LOCK         lock           V_LOCK_STATUS  1 locked / 0 unlocked
//   S_INFO         text           V_TEXT         max 25 (the MySensors payload limit)
//
// Readings are published as `<base>/<port>/<node>/<child>/<V_TYPE>` and commands taken at
// `…/set` (controller.ts, device-commands/mysensors-runner.ts); booleans are `1`/`0` there.
import { availabilityEntry, discoveryTopic, gatewayDeviceId } from '../topics/discovery.ts';
import type { DiscoveryMessage } from '../topics/discovery.ts';
import { availabilityTopic, gatewayStateTopic, portTopic, setTopic } from '../topics/gateway-owned.ts';
import { MAX_PAYLOAD_BYTES } from '../line/mysensors.ts';
import type { NodeView } from './controller.ts';

export interface NodeDiscoveryInput {
  base: string;
  gatewayId: string;
  prefix: string;
  version: string;
  port: string;
  /** The I_CONFIG answer: M → °C, I → °F. */
  config: 'M' | 'I';
  nodes: readonly NodeView[];
  /**
   * Children the profile maps itself: the `<child>` of every fixed field's `<child>/<V_TYPE>`
   * key. Their values go to the fixed field's topic, never to the generic one, so an entity
   * on the generic topic would never get a state: they get none (the fixed field has its own).
   */
  fixedChildren?: ReadonlySet<string>;
}

type Row = {
  component: string;
  config: (state: (v: string) => string, input: NodeDiscoveryInput) => Record<string, unknown>;
};

const sensor =
  (v: string, deviceClass: string | null, unit: string | null): Row['config'] =>
  (state) => ({
    state_topic: state(v),
    ...(deviceClass === null ? {} : { device_class: deviceClass }),
    ...(unit === null ? {} : { unit_of_measurement: unit }),
    state_class: 'measurement',
  });

/** A child HA can change: its state topic and, beside it, the `…/set` the gateway takes. */
const commanded = (state: (v: string) => string, v: string): Record<string, string> => ({
  state_topic: state(v),
  command_topic: setTopic(state(v)),
});

/** V_STATUS switched with `1`/`0`: S_BINARY, and S_DIMMER's on/off. */
const switched: Row['config'] = (state) => ({
  ...commanded(state, 'V_STATUS'),
  payload_on: '1',
  payload_off: '0',
});

const tripped =
  (deviceClass: string): Row['config'] =>
  (state) => ({
    state_topic: state('V_TRIPPED'),
    payload_on: '1',
    payload_off: '0',
    device_class: deviceClass,
  });

const ROWS: Readonly<Record<string, Row>> = {
  S_TEMP: {
    component: 'sensor',
    config: (state, input) =>
      sensor('V_TEMP', 'temperature', input.config === 'I' ? '°F' : '°C')(state, input),
  },
  S_HUM: { component: 'sensor', config: sensor('V_HUM', 'humidity', '%') },
  S_BARO: { component: 'sensor', config: sensor('V_PRESSURE', 'atmospheric_pressure', 'hPa') },
  S_DISTANCE: { component: 'sensor', config: sensor('V_DISTANCE', 'distance', 'cm') },
  S_LIGHT_LEVEL: { component: 'sensor', config: sensor('V_LIGHT_LEVEL', null, '%') },
  S_POWER: { component: 'sensor', config: sensor('V_WATT', 'power', 'W') },
  S_MULTIMETER: { component: 'sensor', config: sensor('V_VOLTAGE', 'voltage', 'V') },
  S_DOOR: { component: 'binary_sensor', config: tripped('door') },
  S_MOTION: { component: 'binary_sensor', config: tripped('motion') },
  S_SMOKE: { component: 'binary_sensor', config: tripped('smoke') },
  S_WATER_LEAK: { component: 'binary_sensor', config: tripped('moisture') },
  S_MOISTURE: { component: 'binary_sensor', config: tripped('moisture') },
  S_SOUND: { component: 'binary_sensor', config: tripped('sound') },
  S_VIBRATION: { component: 'binary_sensor', config: tripped('vibration') },
  S_BINARY: { component: 'switch', config: switched },
  S_DIMMER: {
    component: 'light',
    config: (state, input) => ({
      ...switched(state, input),
      brightness_state_topic: state('V_PERCENTAGE'),
      brightness_command_topic: setTopic(state('V_PERCENTAGE')),
      brightness_scale: 100,
      on_command_type: 'first',
    }),
  },
  S_LOCK: {
    component: 'lock',
    config: (state) => ({
      ...commanded(state, 'V_LOCK_STATUS'),
      payload_lock: '1',
      payload_unlock: '0',
      state_locked: '1',
      state_unlocked: '0',
    }),
  },
  S_INFO: {
    component: 'text',
    config: (state) => ({
      ...commanded(state, 'V_TEXT'),
      max: MAX_PAYLOAD_BYTES,
    }),
  },
};

/** The S_ types that get an entity (README's table). */
export const DISCOVERED_S_TYPES: readonly string[] = Object.keys(ROWS);

export function buildNodeDiscovery(input: NodeDiscoveryInput): DiscoveryMessage[] {
  const gatewayDevice = gatewayDeviceId(input.gatewayId);
  const gatewayState = gatewayStateTopic(input.base);
  const messages: DiscoveryMessage[] = [];
  for (const n of input.nodes) {
    const deviceId = `${gatewayDevice}_${input.port}_node${n.node}`;
    for (const child of n.children) {
      const row = ROWS[child.type];
      if (row === undefined || input.fixedChildren?.has(String(child.child)) === true) continue;
      const state = (v: string): string => portTopic(input.base, input.port, `${n.node}/${child.child}/${v}`);
      const name =
        child.description === '' ? `${child.type.slice(2).toLowerCase()} ${child.child}` : child.description;
      const config = {
        name,
        unique_id: `${deviceId}_${child.child}`,
        availability: [
          availabilityEntry(gatewayState),
          availabilityEntry(availabilityTopic(input.base, input.port)),
          // The node's own: heard from within mysensors.node_timeout (heartbeats count).
          availabilityEntry(availabilityTopic(input.base, `${input.port}/${n.node}`)),
        ],
        availability_mode: 'all',
        ...row.config(state, input),
        qos: 1,
        device: {
          identifiers: [deviceId],
          name: n.sketch_name ?? `${input.port} node ${n.node}`,
          manufacturer: 'MySensors',
          model: n.sketch_name ?? 'MySensors node',
          ...(n.sketch_version === null ? {} : { sw_version: n.sketch_version }),
          via_device: gatewayDevice,
        },
        origin: { name: 'tty2mqtt', sw_version: input.version },
      };
      messages.push({
        topic: discoveryTopic(
          input.prefix,
          row.component,
          input.gatewayId,
          `${input.port}_${n.node}_${child.child}`,
        ),
        payload: JSON.stringify(config),
      });
    }
  }
  return messages;
}
