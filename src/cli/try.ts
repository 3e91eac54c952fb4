// `tty2mqtt try <device-or-profile-path> [LINE…]`: what the daemon would publish for each line,
// or why it would refuse it, naming the field — through the daemon's own steps
// (ports/line-trial.ts). Opens no serial port and no connection, writes no file. Lines come
// from the arguments, else from stdin. Exit 0 when every line is accepted; a refused line
// throws LINES_REFUSED (cli.ts: exit 2) after every line is reported.
import { hostname } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { hostnameLevel } from '../config/resolve.ts';
import { loadProfileById } from '../config/profiles.ts';
import type { LoadedProfile } from '../config/profiles.ts';
import { ErrorCodes, GatewayError } from '../errors.ts';
import { printable } from '../log/detail.ts';
import { createLineTrial } from '../ports/line-trial.ts';
import type { TrialField, TrialLine } from '../ports/line-trial.ts';
import { areTopicLevels, isTopicLevel, LEVEL_MESSAGE, LEVELS_MESSAGE } from '../topics/level.ts';
import type { CommandContext } from './context.ts';
import { stringArg } from './context.ts';
import { loadConfigFor, profileDirs } from './load.ts';

/** The port name `{port}` takes when --port is not given. */
export const DEFAULT_TRY_PORT = 'try';

function usage(message: string): GatewayError {
  return new GatewayError(ErrorCodes.USAGE, `${message} (see: tty2mqtt try --help)`);
}

/** An id names a profile folder; anything with a `/` or a `.` is a path (`./climate`, `x/profile.yaml`). */
async function resolveProfile(target: string, dirs: readonly string[], cwd: string): Promise<LoadedProfile> {
  if (!/[/.]/.test(target)) return loadProfileById(target, dirs, cwd);
  const path = resolve(cwd, target);
  if (path.endsWith('.yaml') && basename(path) !== 'profile.yaml')
    throw usage(`a profile file is named profile.yaml, in a folder named after its id; got ${target}`);
  const dir = path.endsWith('.yaml') ? dirname(path) : path;
  return loadProfileById(basename(dir), [dirname(dir)], cwd);
}

export async function tryCommand(context: CommandContext): Promise<number> {
  const [target, ...given] = context.positionals;
  if (target === undefined) throw usage('try needs a device id or a profile path');
  const loaded = stringArg(context, 'config') === undefined ? undefined : await loadConfigFor(context);
  const portName = stringArg(context, 'port') ?? DEFAULT_TRY_PORT;
  if (!isTopicLevel(portName) || portName === 'gateway')
    throw usage(
      `--port ${JSON.stringify(portName)} ${portName === 'gateway' ? 'is reserved' : LEVEL_MESSAGE}`,
    );
  const base = stringArg(context, 'base') ?? loaded?.config.gateway.base_topic ?? 'tty2mqtt';
  if (!areTopicLevels(base)) throw usage(`--base ${JSON.stringify(base)} ${LEVELS_MESSAGE}`);
  const gatewayId = stringArg(context, 'gateway') ?? loaded?.config.gateway.id ?? hostnameLevel(hostname());
  if (!isTopicLevel(gatewayId)) throw usage(`--gateway ${JSON.stringify(gatewayId)} ${LEVEL_MESSAGE}`);
  const profile = await resolveProfile(target, profileDirs(context, loaded), context.cwd);
  if (profile.protocol !== 'line')
    throw usage(
      `profile ${profile.id} speaks ${profile.protocol === 'mqttsn' ? 'MQTT-SN (binary packets)' : profile.protocol}; try takes text lines of a line-protocol profile`,
    );
  // A configured port of that name lends its vars, as in the daemon.
  const vars = loaded?.config.ports.find((p) => p.name === portName)?.vars ?? {};
  const trial = createLineTrial({ port: { name: portName, vars }, profile, base, gatewayId });
  const json = context.args['json'] === true;
  let total = 0;
  let refused = 0;
  const print = (lines: readonly TrialLine[]): void => {
    for (const line of lines) {
      total += 1;
      if (line.outcome === 'refused') refused += 1;
      context.stdout.write(json ? `${JSON.stringify(trialJson(line))}\n` : formatTrialLine(line));
    }
  };
  if (!json)
    context.stderr.write(
      `trying ${profile.id} (${profile.line?.format ?? ''}) as port ${portName} under ${base}/; nothing is opened or published\n`,
    );
  if (given.length > 0) for (const text of given) print(await trial.push(Buffer.from(`${text}\n`, 'utf8')));
  else for await (const chunk of context.stdin) print(await trial.push(toBuffer(chunk)));
  print(await trial.end());
  if (refused > 0)
    throw new GatewayError(
      ErrorCodes.LINES_REFUSED,
      `${refused} of ${total} line${total === 1 ? '' : 's'} would be refused`,
    );
  return 0;
}

function toBuffer(chunk: unknown): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'utf8');
}

/** One line for scripts: stable snake_case keys, raw and final value of each field. */
export function trialJson(line: TrialLine): Record<string, unknown> {
  return {
    line: line.text,
    bytes: line.bytes,
    seq: line.seq,
    outcome: line.outcome,
    accepted: line.outcome !== 'refused',
    reason: line.reason,
    detail: line.detail,
    fields: line.fields.map((f) => ({
      field: f.field,
      key: f.key,
      status: f.status,
      raw: f.status === 'absent' ? null : f.raw,
      value: f.status === 'ok' ? f.value : null,
      reason: f.status === 'dropped' ? f.reason : null,
      steps: f.status === 'absent' ? [] : f.steps,
    })),
    unknown_keys: line.unknownKeys,
    messages: line.messages,
    replies: line.replies,
  };
}

function show(value: unknown): string {
  return printable(JSON.stringify(value));
}

function fieldLine(f: TrialField, width: number): string {
  const name = f.field.padEnd(width);
  if (f.status === 'absent') return `  field    ${name}  ${show(f.key)} not in the line\n`;
  const wire = `${show(f.key)}: ${show(f.raw)}`;
  // Each transform step on a line of its own, under the field: what it did to the value.
  const steps = f.steps
    .map((s) => `  ${' '.repeat(9 + width)}  ${printable(s.step)} → ${show(s.value)}\n`)
    .join('');
  if (f.status === 'dropped') return `  field    ${name}  ${wire}  DROPPED: ${printable(f.reason)}\n${steps}`;
  return `  field    ${name}  ${wire} → ${show(f.value)}\n${steps}`;
}

/** The human form: the line, each field (wire value → value, or why dropped), each message, the verdict. */
export function formatTrialLine(line: TrialLine): string {
  let out = `> ${line.text === null ? `(${line.bytes} bytes)` : printable(line.text)}\n`;
  const width = Math.max(0, ...line.fields.map((f) => f.field.length));
  for (const f of line.fields) out += fieldLine(f, width);
  if (line.unknownKeys.length > 0)
    out += `  ignored  undeclared key${line.unknownKeys.length === 1 ? '' : 's'} ${line.unknownKeys.map(show).join(', ')}\n`;
  for (const m of line.messages)
    out += `  publish  ${m.topic}  ${printable(m.payload)}  (qos ${m.qos}${m.retain ? ', retained' : ''})\n`;
  for (const reply of line.replies) out += `  reply    ${printable(reply)}\n`;
  const dropped = line.fields.filter((f) => f.status === 'dropped').length;
  const seq = line.seq === null ? '' : `#${line.seq} `;
  switch (line.outcome) {
    case 'published': {
      const n = line.messages.length;
      const drops = dropped === 0 ? '' : `, ${dropped} field${dropped === 1 ? '' : 's'} dropped`;
      out += `  = ${seq}accepted: ${n} message${n === 1 ? '' : 's'}${drops}\n`;
      break;
    }
    case 'ignored':
      out += `  = ${seq}accepted: no reading in this line, nothing published\n`;
      break;
    case 'duplicate':
      out += `  = ${seq}accepted: a resend of a line already queued, not published twice\n`;
      break;
    case 'refused':
      out += `  = ${seq}REFUSED: ${line.reason ?? ''}: ${printable(line.detail ?? '')}\n`;
      break;
  }
  return out;
}
