// The per-field and per-command lines of the `check` summary: each with its example topic.
import { portTopic, setTopic } from '../topics/gateway-owned.ts';
import { exampleTopic } from '../topics/template.ts';
import type { LoadedProfile } from './profiles.ts';
import type { ResolvedConfig } from './resolve.ts';
import type { FieldSpec, PortConfig } from './schema.ts';

function fieldKind(f: FieldSpec): string {
  const unit = f.unit !== undefined ? ` ${f.unit}` : '';
  switch (f.type) {
    case 'number':
    case 'integer':
      return f.min !== undefined || f.max !== undefined
        ? `${f.type} ${f.min ?? '…'}..${f.max ?? '…'}${unit}`
        : `${f.type}${unit}`;
    case 'enum':
      return `enum ${f.values.join('|')}`;
    default:
      return `${f.type}${unit}`;
  }
}

export function displayFields(config: ResolvedConfig, port: PortConfig, profile: LoadedProfile): string[] {
  const base = config.gateway.base_topic;
  // {node} is supplied by the device at run time (MySensors node id); shown as <node>.
  const values = { ...port.vars, port: port.name, gateway: config.gateway.id, node: '<node>' };
  const topic = (field: string): string =>
    `${base}/${exampleTopic(profile.topicTemplate, { ...values, field })}`;
  const names = Object.keys(profile.fields);
  const width = Math.max(0, ...names.map((n) => n.length));
  const lines: string[] = [];
  if (profile.protocol === 'mqttsn') {
    // docs/contract.md §4.2: a device's topics are names under <base>/<port>/; a field is the schema
    // of the topic named by its key.
    for (const [name, f] of Object.entries(profile.fields))
      lines.push(
        `field      ${name.padEnd(width)}  ${portTopic(base, port.name, f.key ?? name)}  (${fieldKind(f)})`,
      );
    for (const [id, topicName] of Object.entries(profile.mqttsn?.predefined ?? {}))
      lines.push(`topic id   ${id.padEnd(width)}  ${portTopic(base, port.name, topicName)}  (predefined)`);
    return lines;
  }
  if (profile.publish.mode === 'json') lines.push(`json       ${topic('')}  {${names.join(', ')}}`);
  else
    for (const [name, f] of Object.entries(profile.fields))
      lines.push(`field      ${name.padEnd(width)}  ${topic(name)}  (${fieldKind(f)})`);
  for (const name of Object.keys(profile.commands))
    lines.push(`command    ${name}  ${setTopic(portTopic(base, port.name, name))}`);
  // MySensors controller mode: what a node presents is published, so a profile without
  // fields (the shipped one) would otherwise show no topic at all.
  if (profile.mysensors?.controller === true)
    lines.push(
      `presented  ${base}/${port.name}/<node>/<child>/<V_TYPE>  (each child a node presents; commands at …/set)`,
    );
  return lines;
}
