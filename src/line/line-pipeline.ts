// A line port's steps from text to messages (docs/architecture.md "The path of a reading",
// steps 2–6), built once per port from its profile: the framer's limits, the envelope
// (checksum, `#seq`), the decoder of the profile's format, validation of its fields and the
// mapping to topics. Pure: no I/O, no counters, no logging — the daemon's line part
// (ports/line-part.ts) and `tty2mqtt try` (cli/try.ts) both run a line through these same
// steps and differ only in what they do with the result.
import type { LoadedProfile } from '../config/profiles.ts';
import type { PortConfig } from '../config/schema.ts';
import { createLineFramer } from '../framing/line.ts';
import type { LineFramer } from '../framing/line.ts';
import type { OutMessage } from '../pipeline/message.ts';
import { createMapper } from '../pipeline/map.ts';
import type { DiscardReason, RawValue, Reading } from '../pipeline/types.ts';
import { compileFields, validateValues } from '../pipeline/validate.ts';
import type { FieldTable, ValidationResult } from '../pipeline/validate.ts';
import { gatewayOwnedNames } from '../topics/gateway-owned.ts';
import { compileTemplate } from '../topics/template.ts';
import { createDecoder } from './decoder.ts';
import { parseEnvelope } from './envelope.ts';
import type { EnvelopeOptions, EnvelopeResult } from './envelope.ts';

export interface LinePipelineOptions {
  port: Pick<PortConfig, 'name' | 'vars'>;
  profile: LoadedProfile;
  /** base_topic. */
  base: string;
  gatewayId: string;
}

/**
 * What the steps after the envelope make of a line body. `raw` and `checked` are there once
 * the body was decoded: the values as the wire gave them, and validation's verdict on each
 * (a field that fails is dropped and the rest goes on; only when none is left is the line
 * discarded).
 */
export type BodyResult =
  | {
      kind: 'discard';
      reason: DiscardReason;
      detail: string;
      raw: ReadonlyMap<string, RawValue> | null;
      checked: ValidationResult | null;
    }
  | { kind: 'ignored'; detail: string }
  | {
      kind: 'reading';
      raw: ReadonlyMap<string, RawValue>;
      checked: ValidationResult;
      reading: Reading;
      messages: OutMessage[];
    };

export interface LinePipeline {
  readonly envelopeOptions: EnvelopeOptions;
  /** The profile's fields, compiled once. */
  readonly fields: FieldTable;
  /** A framer with the profile's `max_bytes` (one per port: it holds the unfinished line). */
  createFramer(): LineFramer;
  /** Checksum and `#seq` taken off a whole line. */
  envelope(text: string): EnvelopeResult;
  /** Decode, validate and map a line body; `now` stamps the reading once it is valid. */
  body(body: string, now: () => number): BodyResult;
}

export function createLinePipeline(options: LinePipelineOptions): LinePipeline {
  const { port, profile } = options;
  const line = profile.line;
  if (line === undefined) throw new Error(`profile ${profile.id} has no line: section`);
  const envelopeOptions: EnvelopeOptions = { checksum: line.checksum, ack: line.ack };
  const decoder = createDecoder(line);
  const fields = compileFields(profile.fields, profile);
  const template = compileTemplate(profile.topicTemplate);
  if (!template.ok) throw new Error(`profile ${profile.id}: ${template.message}`);
  const map = createMapper({
    base: options.base,
    gatewayId: options.gatewayId,
    port: port.name,
    portVars: port.vars,
    profile: { publish: profile.publish, fieldOrder: Object.keys(profile.fields) },
    template: template.template,
    owned: gatewayOwnedNames(Object.keys(profile.commands)),
  });
  const maxBytes = line.max_bytes;

  return {
    envelopeOptions,
    fields,
    createFramer: () => createLineFramer({ maxBytes }),
    envelope: (text) => parseEnvelope(text, envelopeOptions),
    body(body, now) {
      const decoded = decoder(body);
      if (decoded.ok === false)
        return { kind: 'discard', reason: decoded.reason, detail: decoded.detail, raw: null, checked: null };
      if (decoded.ok === 'ignored') return { kind: 'ignored', detail: decoded.detail };
      const raw = decoded.values;
      const checked = validateValues(fields, raw);
      // `unknown_keys: reject`: a key the profile does not declare refuses the whole line.
      if (checked.refused !== null)
        return { kind: 'discard', reason: 'unknown_key', detail: checked.refused, raw, checked };
      if (checked.values.size === 0) {
        const why = checked.rejected.map((r) => `${r.field}: ${r.reason}`).join('; ');
        const detail = why === '' ? 'no declared field in the line' : why;
        return { kind: 'discard', reason: 'no_valid_fields', detail, raw, checked };
      }
      const reading: Reading = {
        port: port.name,
        values: checked.values,
        levels: decoded.levels ?? {},
        receivedAt: now(),
      };
      const mapped = map(reading);
      if (!mapped.ok) return { kind: 'discard', reason: mapped.reason, detail: mapped.detail, raw, checked };
      return { kind: 'reading', raw, checked, reading, messages: mapped.messages };
    },
  };
}
