// MySensors serial protocol v2.x constants the controller needs (MySensors core/MyMessage.h:
// mysensor_command, mysensor_sensor, mysensor_internal). The numbers are the wire values.

export const C_PRESENTATION = 0;
export const C_SET = 1;
export const C_REQ = 2;
export const C_INTERNAL = 3;

export const I_BATTERY_LEVEL = 0;
export const I_TIME = 1;
export const I_ID_REQUEST = 3;
export const I_ID_RESPONSE = 4;
export const I_CONFIG = 6;
export const I_SKETCH_NAME = 11;
export const I_SKETCH_VERSION = 12;
/** Sent by the controller: asks a node to present itself again (MyMessage.h I_PRESENTATION). */
export const I_PRESENTATION = 19;
export const I_HEARTBEAT_RESPONSE = 22;
/** Smart sleep (MySensors 2.2+): the node is about to sleep / has woken up. */
export const I_PRE_SLEEP_NOTIFICATION = 32;
export const I_POST_SLEEP_NOTIFICATION = 33;

/** Node 0 is the gateway itself; 255 is a node without an id yet (AUTO); 255 is also "the node" as a child. */
export const GATEWAY_NODE = 0;
export const AUTO_NODE = 255;
export const NODE_CHILD = 255;
/** Ids a controller may hand out (MySensors: 1–254). */
export const FIRST_NODE_ID = 1;
export const LAST_NODE_ID = 254;

/** S_ARDUINO_NODE / S_ARDUINO_REPEATER_NODE: a node presenting itself; the payload is its library version. */
export const S_ARDUINO_NODE = 17;
export const S_ARDUINO_REPEATER_NODE = 18;

/** MySensors 2.x sensor types (S_*), index = the numeric type of a C_PRESENTATION. */
export const S_TYPES: readonly string[] = [
  'S_DOOR', // 0
  'S_MOTION',
  'S_SMOKE',
  'S_BINARY', // alias S_LIGHT
  'S_DIMMER',
  'S_COVER', // 5
  'S_TEMP',
  'S_HUM',
  'S_BARO',
  'S_WIND',
  'S_RAIN', // 10
  'S_UV',
  'S_WEIGHT',
  'S_POWER',
  'S_HEATER',
  'S_DISTANCE', // 15
  'S_LIGHT_LEVEL',
  'S_ARDUINO_NODE',
  'S_ARDUINO_REPEATER_NODE',
  'S_LOCK',
  'S_IR', // 20
  'S_WATER',
  'S_AIR_QUALITY',
  'S_CUSTOM',
  'S_DUST',
  'S_SCENE_CONTROLLER', // 25
  'S_RGB_LIGHT',
  'S_RGBW_LIGHT',
  'S_COLOR_SENSOR',
  'S_HVAC',
  'S_MULTIMETER', // 30
  'S_SPRINKLER',
  'S_WATER_LEAK',
  'S_SOUND',
  'S_VIBRATION',
  'S_MOISTURE', // 35
  'S_INFO',
  'S_GAS',
  'S_GPS',
  'S_WATER_QUALITY', // 39
];

export function sTypeName(type: number): string {
  return S_TYPES[type] ?? String(type);
}
