// From a sample of lines to a draft profile (docs/contract.md §3, §4.1): which format, which
// envelope, which fields, how often — each decision with the reason it was taken, for the
// profile's `# guessed:` comments. The final verdict on every line is the daemon's own: the
// chosen envelope through line/envelope.ts and the chosen format through line/decoder.ts, so
// the lines counted as readings here are the lines the gateway will accept.
import type { FieldSpec, LineSpec } from '../config/schema.ts';
import { ErrorCodes, GatewayError } from '../errors.ts';
import { createDecoder } from '../line/decoder.ts';
import { parseEnvelope } from '../line/envelope.ts';
import { printable } from '../log/detail.ts';
import type { RawValue } from '../pipeline/types.ts';
import { peelEnvelope, guessEnvelope } from './envelope.ts';
import { fieldNames, inferField } from './fields.ts';
import type { FieldDraft } from './fields.ts';
import { guessFormat } from './format.ts';
import type { LearnedFormat } from './format.ts';
import { durationText, guessInterval } from './interval.ts';
import type { Sample } from './sample.ts';

/** Lines quoted as examples of what fits no format. */
const MAX_EXAMPLES = 3;
const MAX_EXAMPLE_CHARS = 60;
/** A line with a C0 control character (tab and CR aside) or DEL is not text a device prints. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0d) || c === 0x7f) return true;
  }
  return false;
}

export interface Unfit {
  text: string;
  why: string;
}

export interface Draft {
  id: string;
  source: string;
  line: Pick<LineSpec, 'format' | 'checksum' | 'ack' | 'max_bytes'> & {
    columns?: string[];
    delimiter?: string;
  };
  interval: string | null;
  fields: FieldDraft[];
  /** mysensors: controller mode, and what each node reported (for comments). */
  mysensors: { seen: string[] } | null;
  /** Guesses about the whole profile (format, envelope, interval, max_bytes). */
  notes: string[];
  /** Every line read (framer discards not counted). */
  total: number;
  /** The lines the draft accepts: readings and well-formed lines without one. */
  accepted: string[];
  /** The lines it does not, each with the daemon's reason. */
  unfit: Unfit[];
  /** Framer discards (too long, not UTF-8, empty) by reason. */
  discards: Sample['discards'];
}

function nothing(message: string): GatewayError {
  return new GatewayError(ErrorCodes.NOTHING_LEARNED, message);
}

export function example(text: string): string {
  const cut = text.length > MAX_EXAMPLE_CHARS ? `${text.slice(0, MAX_EXAMPLE_CHARS)}…` : text;
  return printable(JSON.stringify(cut));
}

/** "3 of 120 lines fit no format: "# booting" (no key=value pair), …" */
export function unfitSummary(draft: Pick<Draft, 'unfit' | 'total'>): string | null {
  if (draft.unfit.length === 0) return null;
  const shown = draft.unfit.slice(0, MAX_EXAMPLES).map((u) => `${example(u.text)} (${u.why})`);
  const more = draft.unfit.length > MAX_EXAMPLES ? ', …' : '';
  return `${draft.unfit.length} of ${draft.total} line${draft.total === 1 ? '' : 's'} fit no format: ${shown.join(', ')}${more}`;
}

function binaryShare(sample: Sample): number {
  const refused = (sample.discards.invalid_utf8 ?? 0) + (sample.discards.overlong ?? 0);
  const control = sample.lines.filter((l) => hasControl(l.text)).length;
  const all = sample.lines.length + refused;
  return all === 0 ? 0 : (refused + control) / all;
}

/** A power of two at least twice the longest line, never under the usual 256. */
function maxBytesFor(longest: number): number {
  let n = 256;
  while (n < longest * 2 && n < 65536) n *= 2;
  return n;
}

interface Reading {
  values: ReadonlyMap<string, RawValue>;
  /** mysensors: the node id. */
  node: string | null;
  at: number | null;
}

export function draftProfile(sample: Sample, id: string): Draft {
  if (binaryShare(sample) > 0.5 || sample.controlBytes > sample.bytes * 0.1)
    throw nothing(
      `${sample.source} sends binary data, not text lines (wrong baud rate, or an MQTT-SN device: MQTT-SN devices name their own topics — use a profile with protocol: mqttsn, see devices/sn-weather)`,
    );
  if (sample.lines.length === 0)
    throw nothing(
      `no lines in ${sample.source} (${sample.bytes} bytes read${sample.listenedMs === null ? '' : ` in ${durationText(sample.listenedMs)}`}): is the device printing, at this baud rate?`,
    );
  const peeled = sample.lines.map((l) => peelEnvelope(l.text));
  const format = guessFormat(peeled.map((p) => p.body));
  if (format === null)
    throw nothing(
      `none of the ${sample.lines.length} lines is kv, json, csv or mysensors (e.g. ${example(sample.lines[0]?.text ?? '')}); write a regex profile by hand`,
    );
  const spec: LineSpec = {
    format: format.format,
    checksum: 'none',
    ack: false,
    max_bytes: 65536,
    delimiter: format.delimiter ?? ',',
    ...(format.columns !== undefined && { columns: format.columns }),
  };
  const decoder = createDecoder(spec);
  // The envelope is judged on the lines whose body the format takes (a boot banner has none).
  const envelope = guessEnvelope(
    peeled.filter((p) => p.body !== format.header && decoder(p.body).ok !== false),
  );
  const options = { checksum: envelope.checksum, ack: envelope.ack };

  const accepted: string[] = [];
  const unfit: Unfit[] = [];
  const readings: Reading[] = [];
  const seen = new Map<number, string>();
  let resends = 0;
  let longest = 0;
  for (const line of sample.lines) {
    longest = Math.max(longest, Buffer.byteLength(line.text, 'utf8'));
    const opened = parseEnvelope(line.text, options);
    if (!opened.ok) {
      unfit.push({ text: line.text, why: `${opened.reason}: ${opened.detail}` });
      continue;
    }
    if (format.header !== undefined && opened.body === format.header) {
      unfit.push({
        text: line.text,
        why: 'the csv header line: no reading in it, refused as no_valid_fields',
      });
      continue;
    }
    const decoded = decoder(opened.body);
    if (decoded.ok === false) {
      unfit.push({ text: line.text, why: decoded.detail });
      continue;
    }
    accepted.push(line.text);
    if (decoded.ok === 'ignored') continue;
    // A device waiting for an ACK resends its line: one reading, not several.
    if (opened.seq !== null) {
      if (seen.get(opened.seq) === opened.body) {
        resends++;
        continue;
      }
      seen.set(opened.seq, opened.body);
    }
    readings.push({ values: decoded.values, node: decoded.levels?.['node'] ?? null, at: line.at });
  }
  if (readings.length === 0 && format.format !== 'mysensors')
    throw nothing(
      `no line of ${sample.source} is a reading: ${unfitSummary({ unfit, total: sample.lines.length }) ?? ''}`,
    );

  const notes = [...format.notes, ...envelope.notes];
  if (resends > 0)
    notes.push(
      `the device resent ${resends} line${resends === 1 ? '' : 's'} unchanged: it waits for an ACK, which learn does not send`,
    );
  const maxBytes = maxBytesFor(longest);
  notes.push(`max_bytes: the longest line seen was ${longest} bytes`);

  const arrivals = new Map<string, number[]>();
  for (const r of readings)
    if (r.at !== null)
      for (const key of r.values.keys()) {
        const k = `${r.node ?? ''}\u0000${key}`;
        const list = arrivals.get(k);
        if (list === undefined) arrivals.set(k, [r.at]);
        else list.push(r.at);
      }
  let interval: string | null = null;
  if (sample.listenedMs !== null) {
    const guess = guessInterval(arrivals, sample.listenedMs);
    interval = guess.interval;
    notes.push(guess.note);
  } else notes.push('interval: a file has no timestamps; set how often the device prints');

  const line: Draft['line'] = {
    format: format.format,
    checksum: envelope.checksum,
    ack: envelope.ack,
    max_bytes: maxBytes,
    ...(format.columns !== undefined && { columns: format.columns }),
    ...(format.delimiter !== undefined && { delimiter: format.delimiter }),
  };
  const base = {
    id,
    source: sample.source,
    line,
    interval,
    notes,
    total: sample.lines.length,
    accepted,
    unfit,
    discards: sample.discards,
  };
  if (format.format === 'mysensors')
    return { ...base, fields: [], mysensors: { seen: mysensorsSeen(readings) } };
  const fields = draftFields(readings, format.format);
  // E.g. lines of delimiters only: a csv of empty columns. A profile without fields reads nothing.
  if (fields.length === 0)
    throw nothing(
      `the ${sample.lines.length} lines of ${sample.source} look like ${format.format} but carry no value (e.g. ${example(sample.lines[0]?.text ?? '')})`,
    );
  return { ...base, fields, mysensors: null };
}

/** One field per wire key, in the order keys were first seen. */
function draftFields(readings: readonly Reading[], format: LearnedFormat): FieldDraft[] {
  const raws = new Map<string, RawValue[]>();
  for (const r of readings)
    for (const [key, value] of r.values) {
      const list = raws.get(key);
      if (list === undefined) raws.set(key, [value]);
      else list.push(value);
    }
  const names = fieldNames([...raws.keys()]);
  return [...raws].map(([key, values]) => {
    const name = names.get(key) ?? key;
    const draft = inferField(key, name, values);
    const spec: FieldSpec = name === key ? draft.spec : { key, ...draft.spec };
    const notes = [...draft.notes];
    if (name !== key) notes.push(`the wire key ${example(key)} is not one topic level: named ${name}`);
    if (values.length < readings.length && format !== 'csv')
      notes.push(`in ${values.length} of ${readings.length} readings`);
    return { name, spec, notes };
  });
}

/** "node 12: 1/V_TEMP 19.5 to 21.0 (4 readings)" per node and key, for comments. */
function mysensorsSeen(readings: readonly Reading[]): string[] {
  const byKey = new Map<string, RawValue[]>();
  for (const r of readings)
    for (const [key, value] of r.values) {
      const k = `node ${r.node ?? '?'}: ${key}`;
      const list = byKey.get(k);
      if (list === undefined) byKey.set(k, [value]);
      else list.push(value);
    }
  return [...byKey].map(([k, values]) => {
    const numbers = values.map(Number).filter(Number.isFinite);
    const range =
      numbers.length === values.length && numbers.length > 0
        ? `${Math.min(...numbers)} to ${Math.max(...numbers)}`
        : [...new Set(values.map(String))].slice(0, MAX_EXAMPLES).map(example).join(', ');
    return `${k} ${range} (${values.length} reading${values.length === 1 ? '' : 's'})`;
  });
}
