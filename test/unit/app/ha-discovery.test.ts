// Home Assistant MQTT discovery payloads for every shipped profile, checked
// against validators written from Home Assistant's documentation (home-assistant.io:
// integrations/mqtt "MQTT Discovery", sensor.mqtt, binary_sensor.mqtt, select.mqtt,
// switch.mqtt, number.mqtt, text.mqtt, button.mqtt; integrations/sensor and
// integrations/binary_sensor for the device classes). Each validator lists the keys the
// documentation gives for its component and rejects any other key: a typo or an invented
// key fails here instead of being silently ignored by Home Assistant.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { buildDiscovery } from '../../../src/app/ha-discovery.ts';
import { discoveryFilter } from '../../../src/topics/discovery.ts';
import type { DiscoveryInput, DiscoveryPort, DiscoveryProfile } from '../../../src/app/ha-discovery.ts';
import { profileSchema } from '../../../src/config/schema.ts';
import { defaultTopicTemplate } from '../../../src/topics/template.ts';
import { topicMatches } from '../../../src/topics/filter.ts';

const DEVICES = join(import.meta.dirname, '..', '..', '..', 'devices');
const BASE = 'iot/home1';
const GW = 'pi-garage';
const PREFIX = 'homeassistant';

function toProfile(raw: unknown): DiscoveryProfile {
  const profile = profileSchema.parse(raw);
  return { ...profile, topicTemplate: profile.publish.topic ?? defaultTopicTemplate(profile) };
}

function shipped(id: string): DiscoveryProfile {
  return toProfile(parse(readFileSync(join(DEVICES, id, 'profile.yaml'), 'utf8')));
}

/** The shipped mysensors-gateway profile copied and given fixed fields and commands. */
function mysensorsFixed(): DiscoveryProfile {
  const path = join(
    import.meta.dirname,
    '..',
    '..',
    'fixtures',
    'mysensors-fixed',
    'mysensors-fixed',
    'profile.yaml',
  );
  return toProfile(parse(readFileSync(path, 'utf8')));
}

function port(name: string, profile: DiscoveryProfile, vars: Record<string, string> = {}): DiscoveryPort {
  return { name, vars, profile };
}

function input(ports: DiscoveryPort[]): DiscoveryInput {
  return { base: BASE, gatewayId: GW, prefix: PREFIX, version: '0.1.0', ports };
}

// ------------------------------------------------------------------ HA documentation

type Json = Record<string, unknown>;

/** Keys every MQTT entity documents (the shared part of each *.mqtt page) + `origin`. */
const ENTITY_KEYS = [
  'availability',
  'availability_mode',
  'availability_template',
  'availability_topic',
  'default_entity_id',
  'device',
  'enabled_by_default',
  'encoding',
  'entity_category',
  'entity_picture',
  'icon',
  'json_attributes_template',
  'json_attributes_topic',
  'name',
  'object_id',
  'origin',
  'qos',
  'unique_id',
];

interface ComponentDoc {
  required: string[];
  keys: string[];
}

const COMPONENTS: Record<string, ComponentDoc> = {
  sensor: {
    required: ['state_topic'],
    keys: [
      'device_class',
      'expire_after',
      'force_update',
      'last_reset_value_template',
      'options',
      'payload_available',
      'payload_not_available',
      'suggested_display_precision',
      'state_class',
      'state_topic',
      'unit_of_measurement',
      'value_template',
    ],
  },
  binary_sensor: {
    required: ['state_topic'],
    keys: [
      'device_class',
      'expire_after',
      'force_update',
      'off_delay',
      'payload_available',
      'payload_not_available',
      'payload_off',
      'payload_on',
      'state_topic',
      'value_template',
    ],
  },
  select: {
    required: ['command_topic', 'options'],
    keys: [
      'command_template',
      'command_topic',
      'optimistic',
      'options',
      'retain',
      'state_topic',
      'value_template',
    ],
  },
  switch: {
    required: ['command_topic'],
    keys: [
      'command_template',
      'command_topic',
      'device_class',
      'optimistic',
      'payload_available',
      'payload_not_available',
      'payload_off',
      'payload_on',
      'retain',
      'state_off',
      'state_on',
      'state_topic',
      'value_template',
    ],
  },
  number: {
    required: ['command_topic'],
    keys: [
      'command_template',
      'command_topic',
      'device_class',
      'max',
      'min',
      'mode',
      'optimistic',
      'payload_reset',
      'retain',
      'state_topic',
      'step',
      'unit_of_measurement',
      'value_template',
    ],
  },
  text: {
    required: ['command_topic'],
    keys: [
      'command_template',
      'command_topic',
      'max',
      'min',
      'mode',
      'pattern',
      'retain',
      'state_topic',
      'value_template',
    ],
  },
  button: {
    required: ['command_topic'],
    keys: [
      'command_template',
      'command_topic',
      'device_class',
      'payload_available',
      'payload_not_available',
      'payload_press',
      'retain',
    ],
  },
};

/** integrations/sensor "Device class", with the units listed there (where it lists any). */
const SENSOR_CLASSES: Record<string, string[] | null> = {
  absolute_humidity: ['g/m³', 'mg/m³'],
  apparent_power: ['mVA', 'VA'],
  aqi: null,
  area: null,
  atmospheric_pressure: ['cbar', 'bar', 'hPa', 'mmHg', 'inHg', 'kPa', 'mbar', 'Pa', 'psi'],
  battery: ['%'],
  blood_glucose_concentration: ['mg/dL', 'mmol/L'],
  carbon_dioxide: ['ppm'],
  carbon_monoxide: ['ppm'],
  current: ['A', 'mA'],
  data_rate: null,
  data_size: null,
  date: null,
  distance: ['km', 'm', 'cm', 'mm', 'mi', 'nmi', 'yd', 'in'],
  duration: ['d', 'h', 'min', 's', 'ms', 'µs'],
  energy: ['J', 'kJ', 'MJ', 'GJ', 'mWh', 'Wh', 'kWh', 'MWh', 'GWh', 'TWh', 'cal', 'kcal', 'Mcal', 'Gcal'],
  energy_distance: null,
  energy_storage: null,
  enum: null,
  frequency: ['Hz', 'kHz', 'MHz', 'GHz'],
  gas: null,
  humidity: ['%'],
  illuminance: ['lx'],
  irradiance: null,
  moisture: ['%'],
  monetary: null,
  nitrogen_dioxide: null,
  nitrogen_monoxide: null,
  nitrous_oxide: null,
  ozone: null,
  ph: null,
  pm1: null,
  pm25: null,
  pm10: null,
  power_factor: null,
  power: ['mW', 'W', 'kW', 'MW', 'GW', 'TW'],
  precipitation: null,
  precipitation_intensity: null,
  pressure: ['Pa', 'kPa', 'hPa', 'bar', 'cbar', 'mbar', 'mmHg', 'inHg', 'psi'],
  reactive_energy: null,
  reactive_power: null,
  signal_strength: ['dB', 'dBm'],
  sound_pressure: null,
  speed: null,
  sulphur_dioxide: null,
  temperature: ['°C', '°F', 'K'],
  timestamp: null,
  volatile_organic_compounds: null,
  volatile_organic_compounds_parts: null,
  voltage: ['V', 'mV', 'µV', 'kV', 'MV'],
  volume: null,
  volume_flow_rate: null,
  volume_storage: null,
  water: null,
  weight: null,
  wind_direction: null,
  wind_speed: null,
};

/** integrations/binary_sensor "Device class". */
const BINARY_SENSOR_CLASSES = new Set(
  'battery battery_charging carbon_monoxide cold connectivity door garage_door gas heat light lock moisture motion moving occupancy opening plug power presence problem running safety smoke sound tamper update vibration window'.split(
    ' ',
  ),
);

/** developers.home-assistant.io sensor "Available state classes". */
const STATE_CLASSES = new Set(['measurement', 'measurement_angle', 'total', 'total_increasing']);

const DEVICE_KEYS = new Set([
  'configuration_url',
  'connections',
  'hw_version',
  'identifiers',
  'manufacturer',
  'model',
  'model_id',
  'name',
  'serial_number',
  'suggested_area',
  'sw_version',
  'via_device',
]);
const ORIGIN_KEYS = new Set(['name', 'sw_version', 'support_url']);
const AVAILABILITY_KEYS = new Set(['payload_available', 'payload_not_available', 'topic', 'value_template']);
const STRING_KEYS = new Set([
  'availability_mode',
  'command_topic',
  'default_entity_id',
  'device_class',
  'entity_category',
  'name',
  'payload_available',
  'payload_not_available',
  'payload_off',
  'payload_on',
  'payload_press',
  'state_class',
  'state_topic',
  'unique_id',
  'unit_of_measurement',
  'value_template',
  'mode',
  'pattern',
]);

function isTopicName(t: unknown): boolean {
  return typeof t === 'string' && t.length > 0 && !/[+#\0]/.test(t) && Buffer.byteLength(t) <= 65535;
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** Every way `config` departs from the documentation of `component`. */
function validate(component: string, config: Json): string[] {
  const problems: string[] = [];
  const doc = COMPONENTS[component];
  if (doc === undefined) return [`unknown component ${component}`];
  const allowed = new Set([...ENTITY_KEYS, ...doc.keys]);
  for (const key of Object.keys(config)) if (!allowed.has(key)) problems.push(`undocumented key ${key}`);
  for (const key of doc.required) if (config[key] === undefined) problems.push(`missing required ${key}`);
  for (const key of STRING_KEYS)
    if (config[key] !== undefined && typeof config[key] !== 'string')
      problems.push(`${key} must be a string`);
  for (const key of ['state_topic', 'command_topic'])
    if (config[key] !== undefined && !isTopicName(config[key])) problems.push(`${key} is not a topic name`);
  if (config['qos'] !== undefined && ![0, 1, 2].includes(config['qos'] as number))
    problems.push('qos must be 0, 1 or 2');

  // Availability: a list of {topic, …}; not together with availability_topic.
  const availability = config['availability'];
  if (availability !== undefined) {
    if (!Array.isArray(availability) || availability.length === 0)
      problems.push('availability must be a non-empty list');
    else
      for (const a of availability as Json[]) {
        if (!isTopicName(a['topic'])) problems.push('availability entry without a topic');
        for (const k of Object.keys(a))
          if (!AVAILABILITY_KEYS.has(k)) problems.push(`undocumented availability key ${k}`);
      }
    if (config['availability_topic'] !== undefined)
      problems.push('availability and availability_topic must not be used together');
  }
  if (
    config['availability_mode'] !== undefined &&
    !['all', 'any', 'latest'].includes(config['availability_mode'] as string)
  )
    problems.push('availability_mode must be all, any or latest');

  // Device: identifiers or connections; only documented keys.
  const device = config['device'] as Json | undefined;
  if (device !== undefined) {
    for (const k of Object.keys(device))
      if (!DEVICE_KEYS.has(k)) problems.push(`undocumented device key ${k}`);
    const ids = device['identifiers'];
    if (
      !(typeof ids === 'string' || (isStringList(ids) && ids.length > 0)) &&
      device['connections'] === undefined
    )
      problems.push('device needs identifiers or connections');
    for (const k of ['name', 'manufacturer', 'model', 'sw_version', 'via_device'])
      if (device[k] !== undefined && typeof device[k] !== 'string')
        problems.push(`device.${k} must be a string`);
    if (config['unique_id'] === undefined) problems.push('device only works with unique_id');
  }
  const origin = config['origin'] as Json | undefined;
  if (origin !== undefined) {
    if (typeof origin['name'] !== 'string') problems.push('origin.name is required');
    for (const k of Object.keys(origin))
      if (!ORIGIN_KEYS.has(k)) problems.push(`undocumented origin key ${k}`);
  }
  if (config['entity_category'] !== undefined) {
    if (!['config', 'diagnostic'].includes(config['entity_category'] as string))
      problems.push('entity_category must be config or diagnostic');
    if (
      (component === 'sensor' || component === 'binary_sensor') &&
      config['entity_category'] !== 'diagnostic'
    )
      problems.push('a sensor entity_category must be diagnostic');
  }
  const defaultEntityId = config['default_entity_id'];
  if (
    typeof defaultEntityId === 'string' &&
    !new RegExp(`^${component}\\.(?!_)(?!.*__)[a-z0-9_]+(?<!_)$`).test(defaultEntityId)
  )
    problems.push(`default_entity_id ${defaultEntityId} is not ${component}.<slug>`);

  switch (component) {
    case 'sensor': {
      const dc = config['device_class'] as string | undefined;
      const unit = config['unit_of_measurement'] as string | undefined;
      if (dc !== undefined) {
        if (!(dc in SENSOR_CLASSES)) problems.push(`sensor device_class ${dc} is not in HA's list`);
        const units = SENSOR_CLASSES[dc];
        if (units && (unit === undefined || !units.includes(unit)))
          problems.push(`unit ${unit} is not one HA lists for ${dc}: ${units.join(', ')}`);
      }
      const sc = config['state_class'] as string | undefined;
      if (sc !== undefined && !STATE_CLASSES.has(sc)) problems.push(`state_class ${sc} is not valid`);
      if (dc === 'energy' && sc === 'measurement') problems.push('energy cannot be state_class measurement');
      if (config['options'] !== undefined) {
        if (!isStringList(config['options']) || config['options'].length === 0)
          problems.push('options must be a non-empty list of strings');
        if (dc !== 'enum') problems.push('options needs device_class enum');
        if (sc !== undefined || unit !== undefined)
          problems.push('options cannot be used with state_class or unit_of_measurement');
      }
      if (dc === 'enum' && config['options'] === undefined)
        problems.push('device_class enum without options');
      break;
    }
    case 'binary_sensor': {
      const dc = config['device_class'] as string | undefined;
      if (dc !== undefined && !BINARY_SENSOR_CLASSES.has(dc))
        problems.push(`binary_sensor device_class ${dc} is not in HA's list`);
      if (config['payload_on'] !== undefined && config['payload_on'] === config['payload_off'])
        problems.push('payload_on equals payload_off');
      break;
    }
    case 'select':
      if (!isStringList(config['options'])) problems.push('options must be a list of strings');
      break;
    case 'switch':
      if (config['payload_on'] !== undefined && config['payload_on'] === config['payload_off'])
        problems.push('payload_on equals payload_off');
      break;
    case 'number': {
      for (const k of ['min', 'max', 'step'])
        if (config[k] !== undefined && typeof config[k] !== 'number') problems.push(`${k} must be a number`);
      const min = (config['min'] as number | undefined) ?? 1;
      const max = (config['max'] as number | undefined) ?? 100;
      if (min > max) problems.push('min must not exceed max');
      if (config['step'] !== undefined && (config['step'] as number) < 0.001)
        problems.push('step must be at least 0.001');
      if (config['mode'] !== undefined && !['auto', 'box', 'slider'].includes(config['mode'] as string))
        problems.push('mode must be auto, box or slider');
      break;
    }
    case 'text': {
      const max = config['max'];
      if (max !== undefined && (!Number.isInteger(max) || (max as number) > 255 || (max as number) < 0))
        problems.push('max must be an integer up to 255');
      if (config['mode'] !== undefined && !['text', 'password'].includes(config['mode'] as string))
        problems.push('mode must be text or password');
      break;
    }
    case 'button':
      break;
  }
  return problems;
}

// ------------------------------------------------------------------ helpers

interface Entity {
  topic: string;
  component: string;
  objectId: string;
  config: Json;
}

const TOPIC = /^homeassistant\/([a-z_]+)\/tty2mqtt_pi-garage\/([a-zA-Z0-9_-]+)\/config$/;

function entities(ports: DiscoveryPort[]): Entity[] {
  return buildDiscovery(input(ports)).map(({ topic, payload }) => {
    const m = TOPIC.exec(topic);
    assert.ok(m, `discovery topic ${topic} is not <prefix>/<component>/<node_id>/<object_id>/config`);
    const config = JSON.parse(payload) as unknown;
    assert.ok(
      config !== null && typeof config === 'object' && !Array.isArray(config),
      'payload is a JSON object',
    );
    return { topic, component: m[1] ?? '', objectId: m[2] ?? '', config: config as Json };
  });
}

function byObject(list: Entity[], objectId: string): Entity {
  const found = list.find((e) => e.objectId === objectId);
  assert.ok(found, `no entity ${objectId}; have ${list.map((e) => e.objectId).join(', ')}`);
  return found;
}

function assertValid(list: Entity[]): void {
  for (const e of list) assert.deepEqual(validate(e.component, e.config), [], `${e.topic}`);
  const ids = list.map((e) => `${e.component}/${String(e.config['unique_id'])}`);
  assert.equal(new Set(ids).size, ids.length, 'unique_id is unique per component');
  assert.equal(new Set(list.map((e) => e.topic)).size, list.length, 'one config per topic');
  for (const e of list) assert.ok(topicMatches(discoveryFilter(PREFIX, GW), e.topic), e.topic);
}

const PORT_AVAILABILITY = (p: string): Json[] => [
  { topic: `${BASE}/gateway/state`, payload_available: 'online', payload_not_available: 'offline' },
  { topic: `${BASE}/${p}/availability`, payload_available: 'online', payload_not_available: 'offline' },
];

function assertPortEntity(e: Entity, portName: string, profileId: string, name: string): void {
  assert.equal(e.config['unique_id'], `tty2mqtt_${GW}_${portName}_${name}`);
  assert.deepEqual(e.config['availability'], PORT_AVAILABILITY(portName));
  assert.equal(e.config['availability_mode'], 'all');
  assert.deepEqual(e.config['device'], {
    identifiers: [`tty2mqtt_${GW}_${portName}`],
    name: portName,
    manufacturer: 'tty2mqtt',
    model: profileId,
    via_device: `tty2mqtt_${GW}`,
  });
  assert.deepEqual(e.config['origin'], { name: 'tty2mqtt', sw_version: '0.1.0' });
}

// ------------------------------------------------------------------ tests

void describe('Home Assistant discovery: the validator itself', () => {
  void it('rejects what the documentation does not allow', () => {
    assert.deepEqual(validate('sensor', { state_topic: 'a/b' }), []);
    assert.ok(validate('sensor', {}).includes('missing required state_topic'));
    assert.ok(validate('sensor', { state_topic: 'a', stat_t: 'a' }).includes('undocumented key stat_t'));
    assert.ok(validate('sensor', { state_topic: 'a', device_class: 'temprature' }).length > 0);
    assert.ok(
      validate('sensor', { state_topic: 'a', device_class: 'temperature', unit_of_measurement: 'C' }).length >
        0,
    );
    assert.ok(validate('sensor', { state_topic: 'a', state_class: 'sum' }).length > 0);
    assert.ok(validate('select', { command_topic: 'a' }).includes('missing required options'));
    assert.ok(validate('switch', { command_topic: 'a/+' }).includes('command_topic is not a topic name'));
    assert.ok(validate('number', { command_topic: 'a', step: 0.0001 }).length > 0);
    assert.ok(validate('button', { command_topic: 'a', options: [] }).includes('undocumented key options'));
    assert.ok(validate('binary_sensor', { state_topic: 'a', device_class: 'temperature' }).length > 0);
    assert.ok(validate('text', { command_topic: 'a', max: 300 }).length > 0);
  });
});

void describe('Home Assistant discovery for the shipped profiles', () => {
  const ports = [
    port('livingroom', shipped('climate')),
    port('garage', shipped('power-meter')),
    port('radio', shipped('mysensors-gateway')),
    port('radio2', mysensorsFixed()),
    port('garden', shipped('soil-csv')),
    port('weather', shipped('sn-weather')),
    port('relay', shipped('sn-relay')),
  ];
  const list = entities(ports);

  void it('every payload is valid for its component per the HA documentation', () => {
    assertValid(list);
  });

  void it('emits exactly one entity per field with a fixed topic and per command', () => {
    assert.deepEqual(
      list.map((e) => `${e.component} ${e.objectId}`),
      [
        'binary_sensor gateway_connectivity',
        'sensor livingroom_temperature',
        'sensor livingroom_humidity',
        'select livingroom_led',
        'sensor garage_power',
        'sensor garage_voltage',
        'sensor garage_current',
        'sensor garage_energy',
        'button garage_reset_energy',
        // mysensors-gateway (radio): no fixed fields or commands — its entities come per
        // presented child from the controller. The copy with fixed fields (radio2): the
        // {node} level comes from the device, so its fields have no fixed topic; only its
        // per-node commands get entities here.
        'select radio2_node12_light',
        'select radio2_node13_light',
        'sensor garden_moisture',
        'sensor garden_raw',
        'sensor garden_battery',
        'switch garden_pump',
        'sensor weather_temperature',
        'sensor weather_humidity',
        'sensor relay_relay',
        'sensor relay_uptime',
        'sensor relay_rssi',
      ],
    );
  });

  void it('the gateway device carries a connectivity binary_sensor on gateway/state', () => {
    const gw = byObject(list, 'gateway_connectivity');
    assert.equal(gw.component, 'binary_sensor');
    assert.deepEqual(gw.config, {
      name: 'Connectivity',
      unique_id: `tty2mqtt_${GW}_gateway_connectivity`,
      default_entity_id: 'binary_sensor.tty2mqtt_pi_garage_gateway_connectivity',
      state_topic: `${BASE}/gateway/state`,
      payload_on: 'online',
      payload_off: 'offline',
      device_class: 'connectivity',
      entity_category: 'diagnostic',
      device: {
        identifiers: [`tty2mqtt_${GW}`],
        name: `tty2mqtt ${GW}`,
        manufacturer: 'tty2mqtt',
        model: 'gateway',
        sw_version: '0.1.0',
      },
      origin: { name: 'tty2mqtt', sw_version: '0.1.0' },
    });
  });

  void it('climate: per_field sensors with unit, device_class and state_class; led as a select', () => {
    const t = byObject(list, 'livingroom_temperature');
    assertPortEntity(t, 'livingroom', 'climate', 'temperature');
    assert.equal(t.config['state_topic'], `${BASE}/livingroom/temperature`);
    assert.equal(t.config['unit_of_measurement'], '°C');
    assert.equal(t.config['device_class'], 'temperature');
    assert.equal(t.config['state_class'], 'measurement');
    assert.equal(t.config['value_template'], undefined);
    assert.equal(t.config['name'], 'Temperature');
    assert.equal(t.config['default_entity_id'], 'sensor.tty2mqtt_pi_garage_livingroom_temperature');
    assert.equal(t.config['qos'], 1);
    const h = byObject(list, 'livingroom_humidity');
    assert.equal(h.config['unit_of_measurement'], '%');
    assert.equal(h.config['device_class'], 'humidity');
    const led = byObject(list, 'livingroom_led');
    assertPortEntity(led, 'livingroom', 'climate', 'led');
    assert.equal(led.config['command_topic'], `${BASE}/livingroom/led/set`);
    assert.deepEqual(led.config['options'], ['on', 'off']);
  });

  void it('power-meter: json mode reads each member with value_template; reset_energy is a button', () => {
    for (const [name, dc, unit] of [
      ['power', 'power', 'W'],
      ['voltage', 'voltage', 'V'],
      ['current', 'current', 'A'],
      ['energy', 'energy', 'kWh'],
    ] as const) {
      const e = byObject(list, `garage_${name}`);
      assertPortEntity(e, 'garage', 'power-meter', name);
      assert.equal(e.config['state_topic'], `${BASE}/garage`);
      assert.equal(e.config['value_template'], `{{ value_json.${name} }}`);
      assert.equal(e.config['device_class'], dc);
      assert.equal(e.config['unit_of_measurement'], unit);
    }
    assert.equal(byObject(list, 'garage_energy').config['state_class'], 'total_increasing');
    const reset = byObject(list, 'garage_reset_energy');
    assert.equal(reset.component, 'button');
    assert.equal(reset.config['command_topic'], `${BASE}/garage/reset_energy/set`);
    assert.equal(reset.config['payload_press'], 'PRESS');
    assert.equal(reset.config['name'], 'Reset energy');
  });

  void it('mysensors with fixed fields: node commands as selects with the enum values', () => {
    const n12 = byObject(list, 'radio2_node12_light');
    assertPortEntity(n12, 'radio2', 'mysensors-fixed', 'node12_light');
    assert.equal(n12.config['command_topic'], `${BASE}/radio2/node12_light/set`);
    assert.deepEqual(n12.config['options'], ['0', '1']);
  });

  void it('soil-csv: a field without unit or class is a plain sensor; qos follows the profile', () => {
    const raw = byObject(list, 'garden_raw');
    assertPortEntity(raw, 'garden', 'soil-csv', 'raw');
    assert.equal(raw.config['state_topic'], `${BASE}/garden/raw`);
    for (const k of ['unit_of_measurement', 'device_class', 'state_class'])
      assert.equal(raw.config[k], undefined, k);
    assert.equal(raw.config['qos'], 0);
    assert.equal(byObject(list, 'garden_moisture').config['device_class'], 'moisture');
    assert.equal(byObject(list, 'garden_battery').config['unit_of_measurement'], 'V');
  });

  void it('MQTT-SN profiles: the state topic is <base>/<port>/<key>; enum fields are enum sensors', () => {
    assert.equal(byObject(list, 'weather_temperature').config['state_topic'], `${BASE}/weather/temperature`);
    const rssi = byObject(list, 'relay_rssi');
    assertPortEntity(rssi, 'relay', 'sn-relay', 'rssi');
    assert.equal(rssi.config['state_topic'], `${BASE}/relay/radio/rssi`);
    assert.equal(rssi.config['device_class'], 'signal_strength');
    assert.equal(rssi.config['unit_of_measurement'], 'dBm');
    const relay = byObject(list, 'relay_relay');
    assert.equal(relay.config['device_class'], 'enum');
    assert.deepEqual(relay.config['options'], ['on', 'off']);
    assert.equal(relay.config['unit_of_measurement'], undefined);
    const uptime = byObject(list, 'relay_uptime');
    assert.equal(uptime.config['unit_of_measurement'], 's');
    assert.equal(uptime.config['state_class'], 'total_increasing');
  });
});

void describe('Home Assistant discovery for every payload type', () => {
  const lineProfile = toProfile({
    id: 'kitchen-board',
    protocol: 'line',
    line: { format: 'kv' },
    fields: {
      door: { type: 'boolean', device_class: 'door' },
      alarm: { type: 'boolean', device_class: 'no-such-class' },
      label: { type: 'string', device_class: 'temperature', unit: 'x', state_class: 'measurement' },
      'fan.speed': { type: 'integer', min: 0, max: 3, device_class: 'made_up' },
    },
    publish: { topic: '{port}/{room}/{field}' },
    commands: {
      relay: { payload: { type: 'boolean' }, write: 'RELAY {value}' },
      level: { payload: { type: 'integer', min: 0, max: 255 }, write: 'PWM {value}' },
      setpoint: { payload: { type: 'number' }, write: 'SET {value}' },
      message: {
        payload: { type: 'string', max_length: 40, pattern: '^(?<x>[a-z]+)$' },
        write: 'MSG {value}',
      },
      long_message: { payload: { type: 'string', max_length: 1000 }, write: 'M {value}' },
      reboot: { payload: { type: 'none' }, write: 'REBOOT' },
    },
  });
  const jsonProfile = toProfile({
    id: 'json-board',
    protocol: 'line',
    line: { format: 'json' },
    fields: { open: { type: 'boolean' }, 'odd-name': { type: 'number' } },
    publish: { mode: 'json' },
  });
  const snProfile = toProfile({
    id: 'sn-switch',
    protocol: 'mqttsn',
    fields: { state: { key: 'out/state', type: 'boolean' } },
  });
  const regexProfile = toProfile({
    id: 'regex-board',
    protocol: 'line',
    line: { format: 'regex', pattern: '^(?<sensor>[a-z]+)=(?<v>[0-9]+)$' },
    fields: { v: { type: 'integer' } },
    publish: { topic: '{port}/{sensor}/{field}' },
  });
  const list = entities([
    port('kitchen.1', lineProfile, { room: 'kitchen' }),
    port('hall', jsonProfile),
    port('sn', snProfile),
    port('rx', regexProfile),
  ]);

  void it('every payload is valid for its component per the HA documentation', () => {
    assertValid(list);
  });

  void it('port names outside [a-zA-Z0-9_-] are sanitised in the topic, kept in topics and ids', () => {
    const door = byObject(list, 'kitchen_1_door');
    assert.equal(door.topic, 'homeassistant/binary_sensor/tty2mqtt_pi-garage/kitchen_1_door/config');
    assert.equal(door.config['state_topic'], `${BASE}/kitchen.1/kitchen/door`);
    assert.equal(door.config['unique_id'], `tty2mqtt_${GW}_kitchen.1_door`);
    assert.equal(door.config['default_entity_id'], 'binary_sensor.tty2mqtt_pi_garage_kitchen_1_door');
  });

  void it('booleans: binary_sensor with the gateway text true/false; unknown device classes dropped', () => {
    const door = byObject(list, 'kitchen_1_door');
    assert.equal(door.config['payload_on'], 'true');
    assert.equal(door.config['payload_off'], 'false');
    assert.equal(door.config['device_class'], 'door');
    assert.equal(byObject(list, 'kitchen_1_alarm').config['device_class'], undefined);
    const label = byObject(list, 'kitchen_1_label');
    for (const k of ['unit_of_measurement', 'device_class', 'state_class'])
      assert.equal(label.config[k], undefined, k);
    assert.equal(byObject(list, 'kitchen_1_fan_speed').config['device_class'], undefined);
  });

  void it('commands: switch on/off, number with bounds or box mode, text, button', () => {
    const relay = byObject(list, 'kitchen_1_relay');
    assert.equal(relay.component, 'switch');
    assert.equal(relay.config['command_topic'], `${BASE}/kitchen.1/relay/set`);
    assert.equal(relay.config['payload_on'], 'on');
    assert.equal(relay.config['payload_off'], 'off');
    const level = byObject(list, 'kitchen_1_level');
    assert.equal(level.component, 'number');
    assert.deepEqual([level.config['min'], level.config['max'], level.config['step']], [0, 255, 1]);
    assert.equal(level.config['mode'], undefined);
    const setpoint = byObject(list, 'kitchen_1_setpoint');
    assert.equal(setpoint.config['mode'], 'box');
    assert.equal(setpoint.config['step'], 0.001);
    assert.ok((setpoint.config['min'] as number) < -1e9 && (setpoint.config['max'] as number) > 1e9);
    const message = byObject(list, 'kitchen_1_message');
    assert.equal(message.component, 'text');
    assert.equal(message.config['max'], 40);
    assert.equal(message.config['pattern'], undefined);
    assert.equal(byObject(list, 'kitchen_1_long_message').config['max'], 255);
    const reboot = byObject(list, 'kitchen_1_reboot');
    assert.equal(reboot.component, 'button');
    assert.equal(reboot.config['payload_press'], 'PRESS');
    for (const e of [relay, level, setpoint, message, reboot]) assert.equal(e.config['qos'], 1);
  });

  void it('json mode: booleans lowered to true/false, odd member names in brackets', () => {
    const open = byObject(list, 'hall_open');
    assert.equal(open.config['state_topic'], `${BASE}/hall`);
    assert.equal(open.config['value_template'], '{{ value_json.open | lower }}');
    assert.equal(byObject(list, 'hall_odd-name').config['value_template'], '{{ value_json["odd-name"] }}');
  });

  void it('MQTT-SN booleans pass through as sent: a template maps every boolean word', () => {
    const state = byObject(list, 'sn_state');
    assert.equal(state.config['state_topic'], `${BASE}/sn/out/state`);
    assert.match(String(state.config['value_template']), /'on'/);
  });

  void it('a field whose topic needs a device-supplied level gets no entity', () => {
    assert.equal(
      list.some((e) => e.objectId.startsWith('rx_')),
      false,
    );
  });

  void it('is deterministic', () => {
    const again = buildDiscovery(
      input([port('kitchen.1', lineProfile, { room: 'kitchen' }), port('hall', jsonProfile)]),
    );
    const twice = buildDiscovery(
      input([port('kitchen.1', lineProfile, { room: 'kitchen' }), port('hall', jsonProfile)]),
    );
    assert.deepEqual(again, twice);
  });
});
