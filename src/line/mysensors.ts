// `mysensors` lines (docs/contract.md §4.1): the MySensors serial API, as a MySensors serial
// gateway prints it: `node;child;command;ack;type;payload`.
//
// - node 0–255, child 0–255, command 0–4, ack 0/1, type 0–255, all plain decimal.
// - The payload is everything after the fifth `;` (it may contain `;` itself, e.g. a
//   V_POSITION "lat;long;alt"), at most 25 bytes (MAX_PAYLOAD: a 32-byte radio message
//   minus its 7-byte header).
// - Only command 1 (C_SET) carries a reading: it becomes one value keyed
//   `<child>/<V_NAME>` (the profile's field `key:`), and the node id becomes the topic level
//   `node` — device-supplied, so it passes the one-level rule later (docs/contract.md §5).
//   Presentation (0), req (2), internal (3) and stream (4) are well-formed but carry no
//   reading: `ignored`.
import type { DecodeResult, RawValue } from '../pipeline/types.ts';
import { quote } from '../log/detail.ts';

export const MAX_PAYLOAD_BYTES = 25;

const C_SET = 1;
const COMMAND_NAMES = ['presentation', 'set', 'req', 'internal', 'stream'] as const;

/** MySensors 2.x set/req sub-types (V_*), index = the numeric type on the wire. */
export const V_TYPES: readonly string[] = [
  'V_TEMP', // 0
  'V_HUM',
  'V_STATUS', // alias V_LIGHT
  'V_PERCENTAGE', // alias V_DIMMER
  'V_PRESSURE',
  'V_FORECAST', // 5
  'V_RAIN',
  'V_RAINRATE',
  'V_WIND',
  'V_GUST',
  'V_DIRECTION', // 10
  'V_UV',
  'V_WEIGHT',
  'V_DISTANCE',
  'V_IMPEDANCE',
  'V_ARMED', // 15
  'V_TRIPPED',
  'V_WATT',
  'V_KWH',
  'V_SCENE_ON',
  'V_SCENE_OFF', // 20
  'V_HVAC_FLOW_STATE',
  'V_HVAC_SPEED',
  'V_LIGHT_LEVEL',
  'V_VAR1',
  'V_VAR2', // 25
  'V_VAR3',
  'V_VAR4',
  'V_VAR5',
  'V_UP',
  'V_DOWN', // 30
  'V_STOP',
  'V_IR_SEND',
  'V_IR_RECEIVE',
  'V_FLOW',
  'V_VOLUME', // 35
  'V_LOCK_STATUS',
  'V_LEVEL', // alias V_DUST_LEVEL
  'V_VOLTAGE',
  'V_CURRENT',
  'V_RGB', // 40
  'V_RGBW',
  'V_ID',
  'V_UNIT_PREFIX',
  'V_HVAC_SETPOINT_COOL',
  'V_HVAC_SETPOINT_HEAT', // 45
  'V_HVAC_FLOW_MODE',
  'V_TEXT',
  'V_CUSTOM',
  'V_POSITION',
  'V_IR_RECORD', // 50
  'V_PH',
  'V_ORP',
  'V_EC',
  'V_VAR',
  'V_VA', // 55
  'V_POWER_FACTOR',
  'V_MULTI_MESSAGE',
  'V_TILT', // 58
];

/** The V_ name of a numeric set/req type; unknown numbers stay numbers (`77`). */
export function vTypeName(type: number): string {
  return V_TYPES[type] ?? String(type);
}

const HEADER = [
  { name: 'node', max: 255 },
  { name: 'child', max: 255 },
  { name: 'command', max: 4 },
  { name: 'ack', max: 1 },
  { name: 'type', max: 255 },
] as const;

function parseError(detail: string): DecodeResult {
  return { ok: false, reason: 'parse_error', detail };
}

/** One MySensors serial message: `node;child;command;ack;type;payload`. */
export interface MySensorsMessage {
  node: number;
  child: number;
  command: number;
  ack: number;
  type: number;
  payload: string;
}

/** Parses a line body into a message, or says why it is not one. Never throws. */
export function parseMySensors(
  body: string,
): { ok: true; message: MySensorsMessage } | { ok: false; detail: string } {
  const header: number[] = [];
  let start = 0;
  for (const { name, max } of HEADER) {
    const end = body.indexOf(';', start);
    if (end === -1) return { ok: false, detail: 'expected node;child;command;ack;type;payload' };
    const text = body.slice(start, end);
    if (!/^\d{1,3}$/.test(text)) return { ok: false, detail: `${name} ${quote(text, 8)} is not a number` };
    const value = Number(text);
    if (value > max) return { ok: false, detail: `${name} ${value} is above ${max}` };
    header.push(value);
    start = end + 1;
  }
  const [node = 0, child = 0, command = 0, ack = 0, type = 0] = header;
  const payload = body.slice(start);
  const bytes = Buffer.byteLength(payload, 'utf8');
  if (bytes > MAX_PAYLOAD_BYTES)
    return { ok: false, detail: `payload is ${bytes} bytes, more than ${MAX_PAYLOAD_BYTES}` };
  return { ok: true, message: { node, child, command, ack, type, payload } };
}

/** A message as the serial gateway takes it, newline not included. */
export function formatMySensors(m: MySensorsMessage): string {
  return `${m.node};${m.child};${m.command};${m.ack};${m.type};${m.payload}`;
}

export function decodeMySensors(body: string): DecodeResult {
  const parsed = parseMySensors(body);
  if (!parsed.ok) return parseError(parsed.detail);
  const { node, child, command, type, payload } = parsed.message;
  if (command !== C_SET)
    return { ok: 'ignored', detail: `MySensors ${COMMAND_NAMES[command] ?? command} message` };
  const values = new Map<string, RawValue>([[`${child}/${vTypeName(type)}`, payload]]);
  return { ok: true, values, levels: { node: String(node) } };
}
