// A line port without a serial port, for `tty2mqtt try`: bytes go through the same steps as
// in the daemon (line-part.ts) — the profile's framer (max_bytes, UTF-8, empty lines), the
// envelope (checksum, `#seq`), acceptLine (a resend of a committed seq, the MySensors
// controller, decode, validate, map) and LineOutcomes (the seq window, ACK/NAK) — and each
// line's end is reported instead of queued. Messages go to an in-memory outbox that is
// dropped at the end; nothing is opened, written or sent. State lives for one trial, as for
// one run of the daemon: a `#seq` line repeated is a resend, a MySensors child must present
// before its values are published.
import type { LoadedProfile } from '../config/profiles.ts';
import type { PortConfig } from '../config/schema.ts';
import type { LineFramer } from '../framing/line.ts';
import { createLinePipeline } from '../line/line-pipeline.ts';
import type { LinePipeline } from '../line/line-pipeline.ts';
import { silentLogger } from '../log/logger.ts';
import type { DiscardReason, FieldValue, RawValue } from '../pipeline/types.ts';
import type { ValidationResult } from '../pipeline/validate.ts';
import { MemoryOutbox } from '../queue/memory-outbox.ts';
import type { OutMessage } from '../queue/outbox.ts';
import { acceptLine } from './line-accept.ts';
import type { AcceptSteps } from './line-accept.ts';
import { LineOutcomes } from './line-outcomes.ts';
import type { LineFate } from './line-outcomes.ts';
import { MySensorsPart, runnerWiring } from './mysensors-part.ts';
import { createLinePortCounters } from './port-counters.ts';
import type { PortIo } from './protocol-part.ts';

/**
 * One declared field as the line carried it. `raw` is the wire value (text for kv/csv/regex/
 * mysensors, a JSON scalar for json); `value` the value published; `steps` the field's
 * `transform:` steps in between, each with the value it produced (as far as they got).
 */
export type TrialField =
  | { field: string; key: string; status: 'ok'; raw: RawValue; value: FieldValue; steps: TrialStep[] }
  | { field: string; key: string; status: 'dropped'; raw: RawValue; reason: string; steps: TrialStep[] }
  /** The key is not in the line (or is JSON null, which means absent). */
  | { field: string; key: string; status: 'absent' };

/** One transform step and the value it gave (`scale 0.1` → 2.35). */
export interface TrialStep {
  step: string;
  value: FieldValue;
}

export interface TrialMessage {
  topic: string;
  payload: string;
  qos: 0 | 1 | 2;
  retain: boolean;
}

/** How one line ends. */
export interface TrialLine {
  /** The line as the framer gave it; '' for an empty line, null when its bytes were refused (too long, not UTF-8). */
  text: string | null;
  /** Its bytes, without the newline. */
  bytes: number;
  /** Its `#seq`, when the envelope could read one. */
  seq: number | null;
  /**
   * published: its messages would be queued. ignored: a well-formed line without a reading
   * (a MySensors internal message). duplicate: a resend of a line already committed, ACKed
   * again and not published twice. refused: discarded, `reason` and `detail` say why.
   */
  outcome: 'published' | 'ignored' | 'duplicate' | 'refused';
  reason: DiscardReason | null;
  detail: string | null;
  /** The profile's fields in its order, once the line was decoded (else empty). */
  fields: TrialField[];
  /** Keys in the line the profile does not declare (ignored and counted by the daemon). */
  unknownKeys: string[];
  messages: TrialMessage[];
  /** What the gateway would write back to the device: ACK/NAK, controller answers. */
  replies: string[];
}

export interface LineTrialOptions {
  port: Pick<PortConfig, 'name' | 'vars'>;
  profile: LoadedProfile;
  base: string;
  gatewayId: string;
  now?: () => number;
}

export interface LineTrial {
  /** Feeds bytes as they would arrive on the port; reports each line they complete. */
  push(chunk: Buffer): Promise<TrialLine[]>;
  /** The input ended: a last line without its newline is taken as complete. */
  end(): Promise<TrialLine[]>;
}

/** How a line ended, before it is reported. */
interface End {
  outcome: TrialLine['outcome'] | null;
  reason: DiscardReason | null;
  detail: string | null;
  messages: readonly OutMessage[];
}

/** Records how the daemon's own LineFate ended the line, and passes every call on to it. */
class RecordingFate implements LineFate, End {
  outcome: TrialLine['outcome'] | null = null;
  reason: DiscardReason | null = null;
  detail: string | null = null;
  messages: OutMessage[] = [];

  constructor(private readonly inner: LineFate) {}

  repeated(): boolean {
    const repeated = this.inner.repeated();
    if (repeated) this.outcome = 'duplicate';
    return repeated;
  }

  ignore(): Promise<void> {
    this.outcome = 'ignored';
    return this.inner.ignore();
  }

  queue(messages: OutMessage[], values: ReadonlyMap<string, FieldValue>, at: number): Promise<void> {
    this.outcome = 'published';
    this.messages = messages;
    return this.inner.queue(messages, values, at);
  }

  discard(reason: DiscardReason, detail: string): void {
    this.outcome = 'refused';
    this.reason = reason;
    this.detail = detail;
    this.inner.discard(reason, detail);
  }
}

function refused(reason: DiscardReason, detail: string): End {
  return { outcome: 'refused', reason, detail, messages: [] };
}

export function createLineTrial(options: LineTrialOptions): LineTrial {
  const { port, profile } = options;
  const line = profile.line;
  if (line === undefined)
    throw new Error(
      `profile ${profile.id} speaks ${profile.protocol}, not text lines: it has no line: section`,
    );
  const maxBytes = line.max_bytes;
  const now = options.now ?? Date.now;
  const replies: string[] = [];
  const io: PortIo = {
    now,
    write: () => Promise.reject(new Error('tty2mqtt try writes nothing to a device')),
    send: (data) => {
      replies.push(String(data).replace(/\n$/, ''));
    },
    isOpen: () => false,
    changed: () => {},
    badInput: { warn: () => {}, flush: () => {} },
  };
  const log = silentLogger();
  // Bounded like every buffer (a trial may read a long stream): the oldest messages make room,
  // and a line's outcome never depends on it (drop_oldest always takes the new line).
  const outbox = new MemoryOutbox({
    maxMessages: 1000,
    maxBytes: 1024 * 1024,
    maxAgeMs: Infinity,
    whenFull: 'drop_oldest',
  });
  const counters = createLinePortCounters();
  const outcomes = new LineOutcomes({ port: port.name, outbox, ack: line.ack, counters, io, log });
  const pipeline: LinePipeline = createLinePipeline(options);
  const framer: LineFramer = pipeline.createFramer();
  // Nothing was cut by an open: the first line is whole (as for a line that starts after
  // the port settled, src/serial/in-flight.ts).
  framer.keepFirstLine();
  const mysensors = MySensorsPart.forProfile(
    profile,
    {
      port: port.name,
      base: options.base,
      isFixedKey: (key) => pipeline.fields.byKey.has(key),
      counters,
      // No subscribe: no command runner is made, so these are never used.
      wiring: runnerWiring(
        { port: port.name, base: options.base, gatewayId: options.gatewayId, profile, log },
        outbox,
        io,
      ),
    },
    io,
  );
  let checked: ValidationResult | null = null;
  const steps: AcceptSteps = { pipeline, mysensors, now, onChecked: (c) => (checked = c) };
  let lastByte: number | undefined;

  async function lineEnded(text: string): Promise<TrialLine> {
    const bytes = Buffer.byteLength(text);
    const envelope = pipeline.envelope(text);
    if (!envelope.ok) {
      outcomes.discard(envelope.reason, envelope.detail, envelope.seq);
      return report(text, bytes, envelope.seq, refused(envelope.reason, envelope.detail), null);
    }
    const { seq, body } = envelope;
    const fate = new RecordingFate(outcomes.of(body, seq));
    checked = null;
    const result = await acceptLine(steps, body, fate);
    const raw = result !== null && result.kind !== 'ignored' ? result.raw : null;
    return report(text, bytes, seq, fate, raw);
  }

  function report(
    text: string | null,
    bytes: number,
    seq: number | null,
    fate: End,
    raw: ReadonlyMap<string, RawValue> | null,
  ): TrialLine {
    return {
      text,
      bytes,
      seq,
      // A queue failure is the only way out without an outcome; the in-memory outbox has none.
      outcome: fate.outcome ?? 'refused',
      reason: fate.reason,
      detail: fate.detail,
      fields: raw === null ? [] : fieldsOf(raw, checked),
      unknownKeys: checked === null ? [] : [...checked.unknownKeys],
      messages: fate.messages.map((m) => ({
        topic: m.topic,
        payload: m.payload.toString('utf8'),
        qos: m.qos,
        retain: m.retain,
      })),
      replies: replies.splice(0),
    };
  }

  function fieldsOf(raw: ReadonlyMap<string, RawValue>, result: ValidationResult | null): TrialField[] {
    return pipeline.fields.fields.map((f): TrialField => {
      const wire = raw.get(f.key);
      if (wire === undefined || wire === null) return { field: f.name, key: f.key, status: 'absent' };
      // The same stages the pipeline ran, kept step by step (validate.ts trace).
      const trace = f.trace(wire);
      const steps = trace.stage === 'parse' ? [] : trace.transforms.steps.slice(1);
      const rejection = result?.rejected.find((r) => r.field === f.name);
      if (rejection !== undefined)
        return { field: f.name, key: f.key, status: 'dropped', raw: wire, reason: rejection.reason, steps };
      const value = result?.values.get(f.name);
      return value === undefined
        ? { field: f.name, key: f.key, status: 'absent' }
        : { field: f.name, key: f.key, status: 'ok', raw: wire, value, steps };
    });
  }

  async function push(chunk: Buffer): Promise<TrialLine[]> {
    if (chunk.length > 0) lastByte = chunk[chunk.length - 1];
    const lines: TrialLine[] = [];
    for (const event of framer.push(chunk)) {
      if (event.kind === 'line') {
        lines.push(await lineEnded(event.text));
        continue;
      }
      // As in line-part.ts: empty lines are counted without a log line; the rest are discards.
      if (event.reason !== 'empty' && event.reason !== 'partial_first_line')
        outcomes.discard(event.reason, `${event.bytes} bytes`, null);
      const detail =
        event.reason === 'empty'
          ? 'the line is empty'
          : event.reason === 'overlong'
            ? `${event.bytes} bytes, longer than line.max_bytes ${maxBytes}`
            : `${event.bytes} bytes that are not valid UTF-8`;
      lines.push(
        report(event.reason === 'empty' ? '' : null, event.bytes, null, refused(event.reason, detail), null),
      );
    }
    return lines;
  }

  return {
    push,
    async end() {
      const lines = lastByte === undefined || lastByte === 0x0a ? [] : await push(Buffer.from('\n'));
      await outbox.close();
      return lines;
    },
  };
}
