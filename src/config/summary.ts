// What `tty2mqtt check` prints on success (docs/contract.md §1): where everything goes, with an
// example topic for every field. Secrets are never part of it: no passwords, no URL userinfo.
import { redactUrl } from './redact-url.ts';
import { displayFields } from './summary-fields.ts';
import type { LoadedConfig } from './load.ts';

function formatBytes(n: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const)
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  return `${n} B`;
}

function formatDuration(ms: number): string {
  if (ms === 0) return '0 (never)';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function brokerLine(loaded: LoadedConfig): string {
  const { mqtt, embedded_broker: eb } = loaded.config;
  const login = mqtt.username !== undefined ? `, user ${mqtt.username}` : '';
  if (mqtt.broker === 'external')
    return `external ${redactUrl(mqtt.url ?? '')} (MQTT ${mqtt.protocol_version === 5 ? '5' : '3.1.1'}, client id ${mqtt.client_id}${login}${mqtt.tls !== null ? ', TLS' : ''})`;
  const auth = eb.users.length > 0 ? `${eb.users.length} user(s), login required` : 'anonymous';
  const ws = eb.websocket !== null ? `, websocket ${eb.websocket}` : '';
  return `embedded, listening on ${eb.listen}${ws} (${auth}; client id ${mqtt.client_id})`;
}

export function summarizeConfig(loaded: LoadedConfig): string {
  const { config } = loaded;
  const q = config.queue;
  const lines = [
    `config       ${loaded.file}`,
    `gateway id   ${config.gateway.id}`,
    `base topic   ${config.gateway.base_topic}`,
    `broker       ${brokerLine(loaded)}`,
    `queue        ${q.path} (${q.durability}; max ${q.max_messages} messages, ${formatBytes(q.max_bytes)}, ${formatDuration(q.max_age)}; when full ${q.when_full}; inflight ${q.inflight})`,
    `devices dir  ${config.devices_dir}`,
    `ports        ${config.ports.length}`,
  ];
  for (const port of config.ports) {
    const profile = loaded.profiles.get(port.device);
    lines.push('', `  ${port.name}: ${port.path} at ${port.baud_rate} baud`);
    if (profile === undefined) continue; // cannot happen after a successful load
    lines.push(`    device     ${profile.id} (${profile.file})`);
    if (profile.protocol === 'line')
      lines.push(
        `    format     line, format ${profile.line?.format ?? '?'}; ${profile.publish.mode}, qos ${profile.publish.qos}${profile.publish.retain ? ', retained' : ''}`,
      );
    else {
      const sn = profile.mqttsn;
      lines.push(
        `    format     MQTT-SN 1.2, ${sn?.framing ?? 'raw'} framing; QoS and retain as each PUBLISH says; ` +
          `topics under ${config.gateway.base_topic}/${port.name}/`,
      );
    }
    for (const line of displayFields(config, port, profile)) lines.push(`    ${line}`);
  }
  return lines.join('\n');
}
