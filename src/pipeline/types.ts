// The values that flow through the serial half of the daemon, from a decoded line to the
// messages handed to the queue. Pure data: no classes, no I/O.

/** A value as the wire gave it: text from kv/csv/regex/mysensors, any JSON scalar from json. */
export type RawValue = string | number | boolean | null;

/** A value after validation against its field's schema. */
export type FieldValue = string | number | boolean;

/**
 * What a line decoder makes of one line body. Bad data is a value, not an exception.
 * `values` is a Map (never a plain object) so that device-chosen keys such as `__proto__`
 * cannot reach an object prototype. `levels` are topic levels the device supplies (the
 * MySensors node id) — they pass the one-level rule before they reach a topic.
 */
export type DecodeResult =
  | { ok: true; values: ReadonlyMap<string, RawValue>; levels?: Readonly<Record<string, string>> }
  | { ok: false; reason: DiscardReason; detail: string }
  /** A well-formed line that carries no reading (a MySensors presentation or internal message). */
  | { ok: 'ignored'; detail: string };

export type Decoder = (body: string) => DecodeResult;

/**
 * Why input was discarded. Stable names: they appear in logs, counters and /metrics.
 */
export type DiscardReason =
  | 'overlong' // longer than line.max_bytes
  | 'partial_first_line' // the first, possibly partial, line after a port opened
  | 'invalid_utf8'
  | 'empty'
  | 'checksum_missing' // checksum: required and the line has no *HH
  | 'checksum_mismatch'
  | 'bad_envelope' // ack: true and no valid `#<seq> ` prefix
  | 'parse_error' // the body is not in the profile's format
  | 'no_valid_fields' // every field failed validation (or none was present)
  | 'unknown_key' // a key the profile does not declare, with unknown_keys: reject
  | 'topic_rejected' // a device-supplied level broke the one-level rule
  | 'queue_full';

/** A validated reading from one port, ready to be mapped to topics. */
export interface Reading {
  port: string;
  values: ReadonlyMap<string, FieldValue>;
  /** Device-supplied topic levels (e.g. MySensors `node`), not yet checked. */
  levels: Readonly<Record<string, string>>;
  receivedAt: number;
}
