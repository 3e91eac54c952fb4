// A Draft (draft.ts) as profile.yaml text, laid out like the shipped profiles (devices/*/):
// the `# yaml-language-server: $schema=` first line, one flow mapping per field, and every
// guess as a `# guessed:` comment above the key it concerns, so a person can read the draft
// top to bottom and fix what is wrong. Written by hand rather than by the yaml package (owned
// by config/): every scalar is either a plain word or JSON-quoted, and JSON strings are valid
// YAML double-quoted scalars, so no device key or value can change the document's shape.
import { printable } from '../log/detail.ts';
import type { Draft } from './draft.ts';
import { unfitSummary } from './draft.ts';

/** Words YAML 1.1 readers take for booleans or null: quoted even though plain would parse. */
const RESERVED = /^(?:true|false|null|yes|no|on|off|y|n|~)$/i;
const PLAIN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function scalar(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = String(value);
  return PLAIN.test(text) && !RESERVED.test(text) ? text : JSON.stringify(text);
}

function flow(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flow).join(', ')}]`;
  if (typeof value === 'object' && value !== null)
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${scalar(k)}: ${flow(v)}`)
      .join(', ')} }`;
  return scalar(value);
}

/** A comment line: one line, control characters escaped (device text ends up in it). */
function comment(indent: string, text: string): string {
  return `${indent}# ${printable(text).replace(/\s+/g, ' ').trim()}\n`;
}

function guessed(indent: string, notes: readonly string[]): string {
  return notes.map((n) => comment(indent, `guessed: ${n}`)).join('');
}

/** The notes about `key` (they start `key:`), and the rest. */
function take(notes: string[], key: string): string[] {
  const mine = notes.filter((n) => n.startsWith(`${key}:`));
  for (const n of mine) notes.splice(notes.indexOf(n), 1);
  return mine;
}

export interface WriteOptions {
  /** The `$schema=` path: relative to the written file, or absolute for stdout. */
  schema: string;
  /** The line that shows how to try the draft (it names the file when there is one). */
  tryHint: string;
}

export function writeProfile(draft: Draft, options: WriteOptions): string {
  const notes = [...draft.notes];
  let out = `# yaml-language-server: $schema=${options.schema}\n`;
  out += comment('', `Drafted by \`tty2mqtt learn\` from ${draft.total} lines of ${draft.source}.`);
  out += comment('', 'Each "guessed:" comment is a guess: read it, fix what is wrong, delete it. Then:');
  out += comment('', options.tryHint);
  const unfit = unfitSummary(draft);
  if (unfit !== null) out += comment('', unfit);
  const interval = take(notes, 'interval');
  const lineNotes = Object.fromEntries(
    ['format', 'columns', 'checksum', 'ack', 'max_bytes'].map((k) => [k, take(notes, k)]),
  );
  out += guessed('', notes);
  out += `id: ${scalar(draft.id)}\n`;
  out += `description: ${scalar(`drafted by tty2mqtt learn from ${draft.source}`)}\n`;
  out += 'protocol: line\n';
  out += guessed('', interval);
  out +=
    draft.interval === null
      ? '# interval: 10s (the default until it is set)\n'
      : `interval: ${draft.interval}\n`;
  out += 'line:\n';
  const { line } = draft;
  out += guessed('  ', lineNotes['format'] ?? []);
  out += `  format: ${line.format}\n`;
  if (line.columns !== undefined) {
    out += guessed('  ', lineNotes['columns'] ?? []);
    out += `  columns: ${flow(line.columns)}\n`;
    out += `  delimiter: ${scalar(line.delimiter ?? ',')}\n`;
  }
  out += guessed('  ', lineNotes['checksum'] ?? []);
  out += `  checksum: ${line.checksum}\n`;
  out += guessed('  ', lineNotes['ack'] ?? []);
  out += `  ack: ${line.ack}\n`;
  out += guessed('  ', lineNotes['max_bytes'] ?? []);
  out += `  max_bytes: ${line.max_bytes}\n`;
  if (draft.mysensors !== null) {
    out += comment(
      '',
      "The gateway is the nodes' controller: it hands out node ids and publishes every child a",
    );
    out += comment(
      '',
      'node presents at {port}/<node>/<child>/<V_TYPE> — no field to write per node (README, "MySensors").',
    );
    out += comment('', 'Seen in the sample:');
    for (const seen of draft.mysensors.seen) out += comment('', `- ${seen}`);
    out += 'mysensors:\n  controller: true\n';
    out += 'publish:\n  mode: per_field\n  qos: 1\n  retain: true\n';
    return out;
  }
  out += 'fields:\n';
  for (const field of draft.fields) {
    out += guessed('  ', field.notes);
    out += `  ${scalar(field.name)}: ${flow(field.spec)}\n`;
  }
  out += 'publish:\n  topic: "{port}/{field}"\n  mode: per_field\n  qos: 1\n  retain: true\n';
  return out;
}
