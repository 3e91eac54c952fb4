// Turns a simulated reading into the text a device in the profile's format prints
// (docs/contract.md §4.1), including the integrity envelope: `#<seq> ` in front when the profile
// has `ack: true`, `*HH` behind when it has a checksum. Pure. A profile the simulator
// cannot play (regex, mqttsn) is a programming or usage error and throws.
import type { DeviceProfile, LineSpec } from '../config/schema.ts';
import { xorChecksum } from '../line/envelope.ts';
import { V_TYPES } from '../line/mysensors.ts';
import type { SimValue } from './values.ts';

export interface EncodeOptions {
  /** ack profiles: the seq of the (first) line. */
  seq?: number;
  /** mysensors: the node id the lines come from (default 1). */
  nodeId?: number | string;
}

/** The largest seq; after it the device wraps to 1, never 0 (0 means "I restarted"). */
export const MAX_SEQ = 65535;

/** The seq after `seq`: 0 → 1 → … → 65535 → 1. */
export function nextSeq(seq: number): number {
  return seq >= MAX_SEQ ? 1 : seq + 1;
}

/**
 * Wraps one line body: `#<seq> <body>*HH`. The checksum covers everything before `*`,
 * the `#<seq> ` prefix included, exactly as the reference firmware computes it.
 */
export function wrapEnvelope(body: string, line: LineSpec, seq?: number): string {
  let text = body;
  if (line.ack) {
    if (seq === undefined || !Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ)
      throw new RangeError(`an ack profile needs a seq from 0 to ${MAX_SEQ}, got ${String(seq)}`);
    text = `#${seq} ${text}`;
  }
  return line.checksum === 'none' ? text : `${text}*${xorChecksum(text)}`;
}

/**
 * The line bodies (no envelope, no newline) for one reading: one line for kv, json and
 * csv; one line per value for mysensors.
 */
export function encodeBodies(
  profile: DeviceProfile,
  values: ReadonlyMap<string, SimValue>,
  options: EncodeOptions = {},
): string[] {
  const line = lineSpecOf(profile);
  switch (line.format) {
    case 'kv':
      return [[...values].map(([key, value]) => `${key}=${text(value)}`).join(',')];
    case 'json':
      return [JSON.stringify(Object.fromEntries(values))];
    case 'csv':
      return [(line.columns ?? []).map((key) => textOrEmpty(values.get(key))).join(line.delimiter)];
    case 'mysensors':
      return [...values].map(([key, value]) => mysensorsLine(key, value, options.nodeId ?? 1));
    case 'regex':
      throw new Error(`profile "${profile.id}": regex profiles cannot be simulated`);
  }
}

/**
 * One reading as it goes on the wire, without the trailing newline. mysensors readings
 * are several lines joined by `\n`; with `ack: true` they take consecutive seqs.
 */
export function encodeLine(
  profile: DeviceProfile,
  values: ReadonlyMap<string, SimValue>,
  options: EncodeOptions = {},
): string {
  const line = lineSpecOf(profile);
  let seq = options.seq;
  return encodeBodies(profile, values, options)
    .map((body) => {
      const wrapped = wrapEnvelope(body, line, seq);
      if (seq !== undefined) seq = nextSeq(seq);
      return wrapped;
    })
    .join('\n');
}

function lineSpecOf(profile: DeviceProfile): LineSpec {
  if (profile.protocol !== 'line' || profile.line === undefined)
    throw new Error(
      `profile "${profile.id}": only line devices can be simulated (protocol is ${profile.protocol})`,
    );
  return profile.line;
}

function text(value: SimValue): string {
  return typeof value === 'string' ? value : String(value);
}

function textOrEmpty(value: SimValue | undefined): string {
  return value === undefined ? '' : text(value);
}

/**
 * `node;child;1;0;type;payload` — a MySensors set message (command 1, no ack). The type
 * comes from the decoder's own V_ table (line/mysensors.ts), so a key the simulator can
 * encode is a key the gateway decodes to the same `<child>/<V_NAME>`; a number stands for
 * itself (the decoder keys unknown types by number).
 */
function mysensorsLine(key: string, value: SimValue, nodeId: number | string): string {
  const match = /^(\d{1,3})\/(\w+)$/.exec(key);
  const type = match?.[2] === undefined ? undefined : mysensorsType(match[2]);
  if (match === null || type === undefined)
    throw new Error(`mysensors key "${key}" is not <child>/<V_TYPE> with a known V_TYPE`);
  const payload = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  return `${nodeId};${match[1]};1;0;${type};${payload}`;
}

function mysensorsType(name: string): number | undefined {
  if (/^\d{1,3}$/.test(name)) return Number(name) <= 255 ? Number(name) : undefined;
  const index = V_TYPES.indexOf(name);
  return index === -1 ? undefined : index;
}
