// Generic MySensors commands (controller mode): `<base>/<port>/<node>/<child>/<V_TYPE>/set`
// with the value as payload becomes the serial line `node;child;1;1;type;value` — a C_SET
// with the ack (echo) requested, as Home Assistant's MySensors integration sends it. Pure.
import { isUtf8 } from 'node:buffer';
import { V_TYPES, formatMySensors } from '../line/mysensors.ts';
import { C_SET, FIRST_NODE_ID, LAST_NODE_ID } from './protocol.ts';
import { checkValue, vRule } from './v-rules.ts';

export interface CommandTarget {
  node: number;
  child: number;
  type: number;
  /** `V_STATUS`, or the number for an unnamed type: the topic level as the reading uses it. */
  vName: string;
}

export type TargetResult = { ok: true; target: CommandTarget } | { ok: false; reason: string };

const NUMBER = /^(?:0|[1-9]\d{0,2})$/;

/** `<node>/<child>/<V_TYPE>` (the levels between `<port>/` and `/set`). */
export function parseTarget(levels: readonly string[]): TargetResult {
  const [nodeText = '', childText = '', vText = ''] = levels;
  if (levels.length !== 3) return { ok: false, reason: 'expected <node>/<child>/<V_TYPE>/set' };
  if (!NUMBER.test(nodeText) || Number(nodeText) < FIRST_NODE_ID || Number(nodeText) > LAST_NODE_ID)
    return { ok: false, reason: `node ${JSON.stringify(nodeText)} is not 1–254` };
  if (!NUMBER.test(childText) || Number(childText) > 254)
    return { ok: false, reason: `child ${JSON.stringify(childText)} is not 0–254` };
  let type = V_TYPES.indexOf(vText);
  if (type === -1 && NUMBER.test(vText) && Number(vText) <= 255 && V_TYPES[Number(vText)] === undefined)
    type = Number(vText);
  if (type === -1) return { ok: false, reason: `${JSON.stringify(vText)} is not a V_ type` };
  return { ok: true, target: { node: Number(nodeText), child: Number(childText), type, vName: vText } };
}

const BOOLEAN_WORDS = new Map([
  ['on', '1'],
  ['true', '1'],
  ['off', '0'],
  ['false', '0'],
]);

/** The serial line for a command, newline included, or why the payload is refused. */
export function commandLine(
  target: CommandTarget,
  payload: Buffer,
): { ok: true; line: string; value: string } | { ok: false; reason: string } {
  if (!isUtf8(payload)) return { ok: false, reason: 'payload is not UTF-8 text' };
  let text = payload.toString('utf8');
  // A CR or LF would end the line early and smuggle a second message onto the wire.
  if (/[\r\n\0]/.test(text)) return { ok: false, reason: 'payload contains CR, LF or NUL' };
  if (vRule(target.type) === 'boolean') text = BOOLEAN_WORDS.get(text.toLowerCase()) ?? text;
  const checked = checkValue(target.type, text);
  if (!checked.ok) return { ok: false, reason: `${target.vName}: ${checked.reason}` };
  const line = formatMySensors({
    node: target.node,
    child: target.child,
    command: C_SET,
    ack: 1,
    type: target.type,
    payload: checked.text,
  });
  return { ok: true, line: `${line}\n`, value: checked.text };
}
