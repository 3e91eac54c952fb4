// How each line of a line port ends (docs/contract.md §4.1): queued with its `#seq` mark in
// one commit and then ACKed, ignored (the mark still committed, so a resend is a duplicate),
// recognised as a resend and ACKed again, or discarded — counted, logged at a limited rate and
// NAKed. Every line ends in exactly one counter; the device is told `ACK <seq>` only after the
// durable commit.
import { formatAck, formatNak, nakReasonFor } from '../line/envelope.ts';
import { createSeqWindow, hashBody } from '../line/seq-window.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { DiscardReason, FieldValue } from '../pipeline/types.ts';
import type { OutMessage, Outbox, SubmitOptions, SubmitResult } from '../queue/outbox.ts';
import { countDiscard } from './port-counters.ts';
import type { LinePortCounters } from './port-counters.ts';
import type { PortIo } from './protocol-part.ts';

/** Submit options of a line without a `#seq` mark (one shared object, not one per line). */
const NO_MARK: SubmitOptions = Object.freeze({});

export interface LineOutcomesOptions {
  port: string;
  outbox: Outbox;
  /** The profile's `line.ack`: lines with a `#seq` are answered ACK/NAK. */
  ack: boolean;
  counters: LinePortCounters;
  io: PortIo;
  log: Logger;
  /** A reading was queued: its valid fields (the status page's last values). */
  onReading?: ((values: ReadonlyMap<string, FieldValue>, at: number) => void) | undefined;
}

/** One line's end, bound to its `#seq` mark (null: the line has none). */
export interface LineFate {
  /** The same seq and body as a line already committed: ACKed again, not queued twice (true). */
  repeated(): boolean;
  /** Nothing to publish; the mark is still committed so a resend is a duplicate. */
  ignore(): Promise<void>;
  /** Queues a reading's messages with the mark and counts it; the device gets its ACK. */
  queue(messages: OutMessage[], values: ReadonlyMap<string, FieldValue>, at: number): Promise<void>;
  discard(reason: DiscardReason, detail: string): void;
}

export class LineOutcomes {
  private readonly seqWindow = createSeqWindow(256);
  /** Lines with a #seq whose messages are being queued: a resend waits for the first. */
  private readonly pendingSeqs = new Map<number, Promise<void>>();

  constructor(private readonly options: LineOutcomesOptions) {
    this.restoreSeqWindow();
  }

  /**
   * Runs `accept` for a line. A device resending a line whose first copy is still being
   * queued waits for it, so the resend is recognised as a duplicate rather than published
   * twice.
   */
  inTurn(seq: number | null, accept: () => Promise<void>): void {
    if (seq === null) {
      accept().catch((error: unknown) => this.failed(error));
      return;
    }
    const pending = this.pendingSeqs.get(seq);
    const run = (pending ?? Promise.resolve()).then(accept).catch((error: unknown) => this.failed(error));
    const tracked = run.finally(() => {
      if (this.pendingSeqs.get(seq) === tracked) this.pendingSeqs.delete(seq);
    });
    this.pendingSeqs.set(seq, tracked);
  }

  /** Lines already read are still being queued: let them finish so their ACKs are true. */
  async finish(): Promise<void> {
    await Promise.allSettled([...this.pendingSeqs.values()]);
  }

  of(body: string, seq: number | null): LineFate {
    return new Fate(this, seq, body);
  }

  /** The same seq and body as a line already committed: ACK it again (true). */
  repeated(seq: number | null, hash: number): boolean {
    if (seq === null || this.seqWindow.check(seq, hash) !== 'duplicate') return false;
    this.options.counters.duplicates += 1;
    this.reply(formatAck(seq), 'ack');
    return true;
  }

  async ignore(seq: number | null, hash: number): Promise<void> {
    this.options.counters.ignored += 1;
    if (seq !== null) await this.commit([], seq, hash);
  }

  async queue(
    messages: OutMessage[],
    values: ReadonlyMap<string, FieldValue>,
    at: number,
    seq: number | null,
    hash: number,
  ): Promise<void> {
    if (!(await this.commit(messages, seq, hash))) return;
    const { counters } = this.options;
    counters.readings += 1;
    counters.messages += messages.length;
    this.options.onReading?.(values, at);
  }

  discard(reason: DiscardReason, detail: string, seq: number | null): void {
    countDiscard(this.options.counters.discards, reason);
    this.options.io.badInput.warn(reason, { reason, detail }, 'line discarded');
    if (seq !== null && this.options.ack) this.reply(formatNak(seq, nakReasonFor(reason)), 'nak');
  }

  /** The queue itself failed (closed during shutdown, storage error): nothing is ACKed. */
  private failed(error: unknown): void {
    this.options.log.error({ err: errorMessage(error) }, 'could not queue a reading');
  }

  /**
   * The de-duplication window survives a gateway restart: its marks were committed with the
   * lines' messages. Marks before the last seq 0 belong to an earlier boot of the device.
   */
  private restoreSeqWindow(): void {
    const marks = this.options.outbox.seqMarks(this.options.port);
    let from = 0;
    marks.forEach((m, i) => {
      if (m.seq === 0) from = i;
    });
    for (const m of marks.slice(from)) this.seqWindow.commit(m.seq, m.hash);
  }

  /**
   * Queues a line's messages with its `#seq` mark in one commit, then ACKs.
   * False when nothing was taken: the queue is full, or storage failed (disk full, I/O
   * error) — then the device is told `NAK <seq> full`, keeps the line and resends later.
   */
  private async commit(messages: OutMessage[], seq: number | null, hash: number): Promise<boolean> {
    const port = this.options.port;
    let result: SubmitResult;
    try {
      result = await this.options.outbox.submit(
        messages,
        seq === null ? NO_MARK : { seq: { port, seq, hash } },
      );
    } catch (error) {
      this.failed(error);
      this.discard('queue_full', `queue storage failed: ${errorMessage(error)}`, seq);
      return false;
    }
    if (result.status === 'full') {
      this.discard('queue_full', 'queue is full (when_full: reject_new)', seq);
      return false;
    }
    if (seq !== null) {
      this.seqWindow.commit(seq, hash);
      this.reply(formatAck(seq), 'ack');
    }
    return true;
  }

  private reply(text: string, kind: 'ack' | 'nak'): void {
    if (kind === 'ack') this.options.counters.acks += 1;
    else this.options.counters.naks += 1;
    this.options.io.send(text, 'reply not written');
  }
}

/**
 * A line's fate, bound to its `#seq` mark: one small object per line (it was four closures).
 * The body's hash is only needed with a mark (the de-duplication window), so only then made.
 */
class Fate implements LineFate {
  private readonly hash: number;

  constructor(
    private readonly outcomes: LineOutcomes,
    private readonly seq: number | null,
    body: string,
  ) {
    this.hash = seq === null ? 0 : hashBody(body);
  }

  repeated(): boolean {
    return this.outcomes.repeated(this.seq, this.hash);
  }

  ignore(): Promise<void> {
    return this.outcomes.ignore(this.seq, this.hash);
  }

  queue(messages: OutMessage[], values: ReadonlyMap<string, FieldValue>, at: number): Promise<void> {
    return this.outcomes.queue(messages, values, at, this.seq, this.hash);
  }

  discard(reason: DiscardReason, detail: string): void {
    this.outcomes.discard(reason, detail, this.seq);
  }
}
