// Maps a validated reading to the messages handed to the queue (docs/contract.md §3 `publish:`,
// §5 topics):
// - per_field: one message per field at the template with {field} = the field name, the
//   payload the value as text (`23.5`, `true`, `on`).
// - json: one message at the template (no {field}), the payload a JSON object of field name
//   → value in the profile's field order (`{"temperature":23.5,"humidity":40}`).
// Placeholders resolve, in this order: the built-ins {port} {gateway} {field}, then the
// port's `vars:` (config), then the levels the device supplied (MySensors {node}) — a
// device can never override a configured level. Every value goes through renderTopic
// (topics/template.ts, with the one-level rule of topics/level.ts); one bad level rejects
// the whole reading, and so does a topic that is one of the gateway's own names under the
// port (topics/gateway-owned.ts) — reachable only through levels the device supplies.
import { areTopicLevels } from '../topics/level.ts';
import { renderTopic } from '../topics/template.ts';
import type { CompiledTemplate } from '../topics/template.ts';
import type { FieldValue, Reading } from './types.ts';
import type { OutMessage, QoS } from './message.ts';

export interface MapperOptions {
  /** base_topic, e.g. `iot/home1` (validated by the config schema). */
  base: string;
  gatewayId: string;
  port: string;
  portVars: Readonly<Record<string, string>>;
  profile: {
    publish: { mode: 'per_field' | 'json'; qos: QoS; retain: boolean };
    /** The profile's field names in order (`Object.keys(profile.fields)`): the order of
     *  per_field messages and of json members. */
    fieldOrder: readonly string[];
  };
  template: CompiledTemplate;
  /** Names under `<base>/<port>/` a reading may not be published to (gatewayOwnedNames()). */
  owned: ReadonlySet<string>;
}

export type MapResult =
  { ok: true; messages: OutMessage[] } | { ok: false; reason: 'topic_rejected'; detail: string };

export type Mapper = (reading: Reading) => MapResult;

export function createMapper(options: MapperOptions): Mapper {
  const { base, gatewayId, port, portVars, template, owned } = options;
  const portPrefix = `${base}/${port}/`;
  const { mode, qos, retain } = options.profile.publish;
  const fieldOrder = [...options.profile.fieldOrder];
  // The config schema guarantees this; a broken base would put every topic in the wrong place.
  if (!areTopicLevels(base)) throw new TypeError(`base topic ${JSON.stringify(base)} is not valid`);

  /** The template's vars for one reading, without {field}; a null-prototype record. */
  function varsFor(reading: Reading): Record<string, string> {
    const vars = Object.create(null) as Record<string, string>;
    for (const name of template.placeholders) {
      let value: string | undefined;
      if (name === 'port') value = port;
      else if (name === 'gateway') value = gatewayId;
      else if (name === 'field') continue;
      else if (Object.hasOwn(portVars, name)) value = portVars[name];
      else if (Object.hasOwn(reading.levels, name)) value = reading.levels[name];
      if (value !== undefined) vars[name] = value;
    }
    return vars;
  }

  // Without device-supplied levels ({node}, regex groups) a field's topic never changes:
  // render it once per field (rendering re-checked the configured levels on every line, and
  // building the vars per reading was a measurable share of a line's CPU).
  const constantTopics = template.placeholders.every(
    (n) => n === 'port' || n === 'gateway' || n === 'field' || Object.hasOwn(portVars, n),
  );
  const topicCache = new Map<string, ReturnType<typeof renderTopic>>();
  /** The topic of `field` ('' in json mode: the template has no {field}). */
  function topicFor(reading: Reading, field: string): ReturnType<typeof renderTopic> {
    let rendered = constantTopics ? topicCache.get(field) : undefined;
    if (rendered !== undefined) return rendered;
    const vars = varsFor(reading);
    if (field !== '') vars.field = field;
    rendered = notOwned(renderTopic(base, template, vars));
    if (constantTopics) topicCache.set(field, rendered);
    return rendered;
  }

  function notOwned(rendered: ReturnType<typeof renderTopic>): ReturnType<typeof renderTopic> {
    if (!rendered.ok || !rendered.topic.startsWith(portPrefix)) return rendered;
    const name = rendered.topic.slice(portPrefix.length);
    return owned.has(name)
      ? { ok: false, reason: 'topic_rejected', detail: `"${name}" is published by the gateway itself` }
      : rendered;
  }

  function message(topic: string, payload: string, reading: Reading): OutMessage {
    return { port, topic, payload: Buffer.from(payload, 'utf8'), qos, retain, createdAt: reading.receivedAt };
  }

  return (reading) => {
    const messages: OutMessage[] = [];
    if (mode === 'json') {
      const rendered = topicFor(reading, '');
      if (!rendered.ok) return rendered;
      const members: string[] = [];
      for (const name of fieldOrder) {
        const value = reading.values.get(name);
        if (value !== undefined) members.push(`${JSON.stringify(name)}:${JSON.stringify(value)}`);
      }
      // Built as text, not via a plain object: a field may be called `__proto__`.
      messages.push(message(rendered.topic, `{${members.join(',')}}`, reading));
      return { ok: true, messages };
    }
    for (const name of fieldOrder) {
      const value = reading.values.get(name);
      if (value === undefined) continue;
      const rendered = topicFor(reading, name);
      if (!rendered.ok) return rendered;
      messages.push(message(rendered.topic, valueText(value), reading));
    }
    return { ok: true, messages };
  };
}

/** A value as the text payload of its own topic: `23.5`, `true`, `on`. */
export function valueText(value: FieldValue): string {
  return typeof value === 'string' ? value : String(value);
}
