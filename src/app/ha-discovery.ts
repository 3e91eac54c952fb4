// Home Assistant MQTT discovery: the retained config messages that make every
// port appear in Home Assistant as a device with one entity per field and per command.
// Pure: the same input always gives the same messages, in the same order (gateway first, so
// the device that ports name as `via_device` is usually known before they arrive).
//
// One config per entity, at the discovery topic of topics/discovery.ts (object_id
// `<port>_<name>`). Payloads use the full, unabbreviated keys. State, command and
// availability topics are the gateway's own (topics/gateway-owned.ts, topics/template.ts).
//
//   field number/integer   sensor         unit_of_measurement, device_class, state_class
//   field string           sensor         device_class only if it is date/timestamp/uptime
//   field enum             sensor         device_class enum + options
//   field boolean          binary_sensor  payload_on/payload_off "true"/"false" (map.ts)
//   command enum           select         options
//   command boolean        switch         payload_on/payload_off "on"/"off" (command.ts)
//   command number/integer number         min/max (wide defaults, box mode when unbounded), step
//   command string         text           max = max_length (HA allows at most 255)
//   command none           button         payload_press "PRESS" (type none ignores the payload)
//
// A field whose topic needs a level only the device supplies at run time (MySensors {node},
// a regex group) has no fixed state topic and gets no entity; its commands still do.
import {
  HA_BINARY_SENSOR_CLASSES,
  HA_NUMERIC_SENSOR_CLASSES,
  HA_TEXT_SENSOR_CLASSES,
} from '../config/home-assistant-classes.ts';
import type { DeviceProfile, FieldSpec } from '../config/schema.ts';
import { availabilityEntry, discoveryTopic, gatewayDeviceId } from '../topics/discovery.ts';
import type { DiscoveryMessage } from '../topics/discovery.ts';
import { availabilityTopic, gatewayStateTopic, portTopic, setTopic } from '../topics/gateway-owned.ts';
import { compileTemplate, renderTopic } from '../topics/template.ts';

export interface DiscoveryProfile extends Pick<
  DeviceProfile,
  'id' | 'protocol' | 'fields' | 'commands' | 'publish'
> {
  /** `publish.topic`, or the default for the profile's mode and format (LoadedProfile). */
  topicTemplate: string;
}

export interface DiscoveryPort {
  name: string;
  /** The port's `vars:`, usable in the profile's topic template. */
  vars: Readonly<Record<string, string>>;
  profile: DiscoveryProfile;
}

export interface DiscoveryInput {
  /** base_topic, e.g. `iot/home1`. */
  base: string;
  gatewayId: string;
  /** homeassistant.prefix, e.g. `homeassistant`. */
  prefix: string;
  /** tty2mqtt's version, shown as the gateway device's sw_version. */
  version: string;
  ports: readonly DiscoveryPort[];
}

export type Component = 'sensor' | 'binary_sensor' | 'select' | 'switch' | 'number' | 'text' | 'button';

// Home Assistant's classes: config/home-assistant-classes.ts, the one copy `check` reads too. A
// class that does not fit the field's entity is left out here; `check` has said so.
const NUMERIC_SENSOR_CLASSES = new Set(Object.keys(HA_NUMERIC_SENSOR_CLASSES));
const TEXT_SENSOR_CLASSES = new Set(HA_TEXT_SENSOR_CLASSES);
const BINARY_SENSOR_CLASSES = new Set(HA_BINARY_SENSOR_CLASSES);

/** What the gateway publishes for a boolean reading (pipeline/map.ts valueText). */
const BOOLEAN_TRUE = 'true';
const BOOLEAN_FALSE = 'false';
/** What a boolean command accepts and writes (device-commands/render.ts). */
const COMMAND_ON = 'on';
const COMMAND_OFF = 'off';
/** Bounds for a number command that states none: HA's own default is 1..100. */
const NUMBER_DEFAULT_MIN = -2147483648;
const NUMBER_DEFAULT_MAX = 2147483647;
/** HA's text entity accepts at most 255 characters. */
const TEXT_MAX = 255;

/** An entity id's object part: lowercase, [a-z0-9_], no leading, trailing or double `_`. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** `reset_energy` → `Reset energy` (HA names entities in sentence case). */
function humanize(name: string): string {
  const words = name.replace(/[_.-]+/g, ' ').trim();
  return words === '' ? name : words.charAt(0).toUpperCase() + words.slice(1);
}

/** A Jinja expression reading one member of a JSON payload. */
function jsonMember(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `value_json.${name}` : `value_json[${JSON.stringify(name)}]`;
}

/**
 * Where a field's value is published, or undefined when the topic needs a level the device
 * supplies at run time. `json` says the payload is the object of all fields (mode: json).
 */
export function fieldStateTopic(
  input: Pick<DiscoveryInput, 'base' | 'gatewayId'>,
  port: DiscoveryPort,
  field: string,
): { topic: string; json: boolean } | undefined {
  const { profile } = port;
  const spec = profile.fields[field];
  if (spec === undefined) return undefined;
  // docs/contract.md §4.2: an MQTT-SN field is the schema of the topic named by its key.
  if (profile.protocol === 'mqttsn')
    return { topic: portTopic(input.base, port.name, spec.key ?? field), json: false };
  const json = profile.publish.mode === 'json';
  const template = compileTemplate(profile.topicTemplate);
  if (!template.ok) return undefined;
  // The same renderer as the readings' (pipeline/map.ts): a placeholder only the device
  // fills in has no value here, and the field then has no fixed state topic.
  const rendered = renderTopic(input.base, template.template, {
    ...port.vars,
    port: port.name,
    gateway: input.gatewayId,
    ...(json ? {} : { field }),
  });
  return rendered.ok ? { topic: rendered.topic, json } : undefined;
}

export function buildDiscovery(input: DiscoveryInput): DiscoveryMessage[] {
  const gatewayDevice = gatewayDeviceId(input.gatewayId);
  const origin = { name: 'tty2mqtt', sw_version: input.version };
  const gatewayState = gatewayStateTopic(input.base);
  const messages: DiscoveryMessage[] = [];
  const emit = (component: Component, objectId: string, config: Record<string, unknown>): void => {
    messages.push({
      topic: discoveryTopic(input.prefix, component, input.gatewayId, objectId),
      payload: JSON.stringify(config),
    });
  };

  // The gateway itself: the device every port is connected through. Its connectivity
  // entity has no availability of its own: `offline` (also the will) is its `off` state.
  emit('binary_sensor', 'gateway_connectivity', {
    name: 'Connectivity',
    unique_id: `${gatewayDevice}_gateway_connectivity`,
    default_entity_id: `binary_sensor.${slug(`${gatewayDevice}_gateway_connectivity`)}`,
    state_topic: gatewayState,
    payload_on: 'online',
    payload_off: 'offline',
    device_class: 'connectivity',
    entity_category: 'diagnostic',
    device: {
      identifiers: [gatewayDevice],
      name: `tty2mqtt ${input.gatewayId}`,
      manufacturer: 'tty2mqtt',
      model: 'gateway',
      sw_version: input.version,
    },
    origin,
  });

  for (const port of input.ports) {
    const { profile } = port;
    const deviceId = `${gatewayDevice}_${port.name}`;
    const common = (component: Component, name: string): Record<string, unknown> => ({
      name: humanize(name),
      unique_id: `${deviceId}_${name}`,
      default_entity_id: `${component}.${slug(`${deviceId}_${name}`)}`,
      availability: [
        availabilityEntry(gatewayState),
        availabilityEntry(availabilityTopic(input.base, port.name)),
      ],
      availability_mode: 'all',
      device: {
        identifiers: [deviceId],
        name: port.name,
        manufacturer: 'tty2mqtt',
        model: profile.id,
        via_device: gatewayDevice,
      },
      origin,
    });

    for (const [name, spec] of Object.entries(profile.fields)) {
      const state = fieldStateTopic(input, port, name);
      if (state === undefined) continue;
      const component: Component = spec.type === 'boolean' ? 'binary_sensor' : 'sensor';
      emit(component, `${port.name}_${name}`, {
        ...common(component, name),
        state_topic: state.topic,
        ...fieldConfig(spec, state.json ? jsonMember(name) : null, profile.protocol === 'mqttsn'),
        qos: profile.publish.qos,
      });
    }

    for (const [name, command] of Object.entries(profile.commands)) {
      const payload = command.payload;
      const component = commandComponent(payload.type);
      emit(component, `${port.name}_${name}`, {
        ...common(component, name),
        command_topic: setTopic(portTopic(input.base, port.name, name)),
        ...commandConfig(payload),
        qos: 1,
      });
    }
  }
  return messages;
}

/** The component-specific keys of a field's entity. */
function fieldConfig(spec: FieldSpec, member: string | null, mqttsn: boolean): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  switch (spec.type) {
    case 'boolean': {
      if (member !== null) config['value_template'] = `{{ ${member} | lower }}`;
      // An MQTT-SN device's payload is published as it sent it: any boolean word.
      else if (mqttsn)
        config['value_template'] =
          "{{ 'true' if (value | lower) in ['true', '1', 'on', 'yes'] else 'false' if (value | lower) in ['false', '0', 'off', 'no'] else '' }}";
      config['payload_on'] = BOOLEAN_TRUE;
      config['payload_off'] = BOOLEAN_FALSE;
      if (spec.device_class !== undefined && BINARY_SENSOR_CLASSES.has(spec.device_class))
        config['device_class'] = spec.device_class;
      return config;
    }
    case 'enum':
      if (member !== null) config['value_template'] = `{{ ${member} }}`;
      config['device_class'] = 'enum';
      config['options'] = [...spec.values];
      return config;
    case 'string':
      if (member !== null) config['value_template'] = `{{ ${member} }}`;
      if (spec.device_class !== undefined && TEXT_SENSOR_CLASSES.has(spec.device_class))
        config['device_class'] = spec.device_class;
      return config;
    case 'number':
    case 'integer':
      if (member !== null) config['value_template'] = `{{ ${member} }}`;
      if (spec.device_class !== undefined && NUMERIC_SENSOR_CLASSES.has(spec.device_class))
        config['device_class'] = spec.device_class;
      if (spec.unit !== undefined) config['unit_of_measurement'] = spec.unit;
      if (spec.state_class !== undefined) config['state_class'] = spec.state_class;
      return config;
  }
}

type CommandPayload = DeviceProfile['commands'][string]['payload'];

function commandComponent(type: CommandPayload['type']): Component {
  switch (type) {
    case 'enum':
      return 'select';
    case 'boolean':
      return 'switch';
    case 'number':
    case 'integer':
      return 'number';
    case 'string':
      return 'text';
    case 'none':
      return 'button';
  }
}

/** The component-specific keys of a command's entity. */
function commandConfig(payload: CommandPayload): Record<string, unknown> {
  switch (payload.type) {
    case 'enum':
      return { options: [...payload.values] };
    case 'boolean':
      return { payload_on: COMMAND_ON, payload_off: COMMAND_OFF };
    case 'number':
    case 'integer': {
      const bounded = payload.min !== undefined && payload.max !== undefined;
      return {
        min: payload.min ?? NUMBER_DEFAULT_MIN,
        max: payload.max ?? NUMBER_DEFAULT_MAX,
        // HA's smallest step is 0.001; integers move by whole units.
        step: payload.type === 'integer' ? 1 : 0.001,
        // A slider over ±2^31 is useless: unbounded numbers are typed in.
        ...(bounded ? {} : { mode: 'box' }),
      };
    }
    case 'string':
      // The command's `pattern` is a JavaScript regular expression; HA would compile it
      // with Python's `re`, so it is not passed on (the gateway checks it either way).
      return { max: Math.min(payload.max_length, TEXT_MAX) };
    case 'none':
      return { payload_press: 'PRESS' };
  }
}
