// How the controller checks a V_* value before publishing it (MySensors core/MyMessage.h
// mysensor_data says what each type carries). Three rules:
// - number: decimal text, finite; V_PERCENTAGE and V_LIGHT_LEVEL also 0–100.
// - boolean: exactly `0` or `1` (V_STATUS, V_ARMED, V_TRIPPED, V_LOCK_STATUS: "1=on, 0=off").
// - text: printable, at most MAX_PAYLOAD (25) bytes — already bounded by the parser.
// Types not named here (newer library versions) are text: bounded, never interpreted.
import { MAX_PAYLOAD_BYTES } from '../line/mysensors.ts';

export type VRule = 'number' | 'percent' | 'boolean' | 'text';

const BOOLEAN = new Set([2, 15, 16, 36]);
const PERCENT = new Set([3, 23]);
/** V_FORECAST, V_SCENE_ON/OFF, V_HVAC_FLOW_STATE/SPEED, V_VAR1–5, V_UP/DOWN/STOP, V_IR_*,
 *  V_RGB(W), V_ID, V_UNIT_PREFIX, V_HVAC_FLOW_MODE, V_TEXT, V_CUSTOM, V_POSITION, V_IR_RECORD,
 *  V_MULTI_MESSAGE. */
const TEXT = new Set([
  5, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 40, 41, 42, 43, 46, 47, 48, 49, 50, 57,
]);
const LAST_NUMERIC = 58; // V_TILT

export function vRule(type: number): VRule {
  if (BOOLEAN.has(type)) return 'boolean';
  if (PERCENT.has(type)) return 'percent';
  if (TEXT.has(type) || type > LAST_NUMERIC) return 'text';
  return 'number';
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export type VCheck = { ok: true; text: string } | { ok: false; reason: string };

/** The value as published (numbers normalised, `1.50` → `1.5`), or why it is refused. */
export function checkValue(type: number, payload: string): VCheck {
  const rule = vRule(type);
  if (rule === 'boolean')
    return payload === '0' || payload === '1'
      ? { ok: true, text: payload }
      : { ok: false, reason: 'not 0 or 1' };
  if (rule === 'number' || rule === 'percent') {
    if (!DECIMAL.test(payload)) return { ok: false, reason: 'not a number' };
    const n = Number(payload);
    if (!Number.isFinite(n)) return { ok: false, reason: 'not a finite number' };
    if (rule === 'percent' && (n < 0 || n > 100)) return { ok: false, reason: 'not within 0–100' };
    return { ok: true, text: String(n) };
  }
  if (Buffer.byteLength(payload, 'utf8') > MAX_PAYLOAD_BYTES)
    return { ok: false, reason: `longer than ${MAX_PAYLOAD_BYTES} bytes` };
  if (CONTROL.test(payload)) return { ok: false, reason: 'has control characters' };
  return { ok: true, text: payload };
}
