// What a device may write: the rules every PUBLISH passes before it is queued, and a Will
// too — a Will is a PUBLISH the gateway makes later on the client's behalf (MQTT-SN 1.2
// §6.3), so it is checked when it is given, not when it is too late to tell the client. A
// topic is confined under the port, is not one of the names the gateway publishes itself,
// and has a field unless undeclared topics are allowed; the payload passes that field's
// schema.
import { isUtf8 } from 'node:buffer';
import { validateValues } from '../pipeline/validate.ts';
import type { SnContext } from './context.ts';
import { confineName } from './device-topics.ts';

export type Refusal = { reason: 'topic_refused' | 'payload_refused'; detail: string };

/** The topic rules; null when the device may write `name` (relative to the port). */
export function refuseTopic(ctx: SnContext, name: string): Refusal | null {
  const confined = confineName(ctx.settings.prefix, name);
  if (!confined.ok) return { reason: 'topic_refused', detail: `"${name.slice(0, 80)}": ${confined.reason}` };
  if (ctx.settings.reserved.has(name))
    return { reason: 'topic_refused', detail: `"${name}" is published by the gateway itself` };
  if (ctx.settings.fields.byKey.get(name) === undefined && !ctx.settings.spec.undeclared_topics)
    return {
      reason: 'topic_refused',
      detail: `"${name}" is not a field of the profile (undeclared_topics: false)`,
    };
  return null;
}

/** The payload rules for a topic that passed refuseTopic(): its field's schema, if it has one. */
export function refusePayload(ctx: SnContext, name: string, payload: Buffer): Refusal | null {
  if (ctx.settings.fields.byKey.get(name) === undefined) return null;
  if (!isUtf8(payload)) return { reason: 'payload_refused', detail: `${name}: payload is not UTF-8 text` };
  const checked = validateValues(ctx.settings.fields, new Map([[name, payload.toString('utf8')]]));
  const rejected = checked.rejected[0];
  return rejected === undefined ? null : { reason: 'payload_refused', detail: `${name}: ${rejected.reason}` };
}

/** Both: what a PUBLISH (or a complete Will) must pass. */
export function refusePublish(ctx: SnContext, name: string, payload: Buffer): Refusal | null {
  return refuseTopic(ctx, name) ?? refusePayload(ctx, name, payload);
}
