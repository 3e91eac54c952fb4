// What `tty2mqtt learn` listens to: the lines of a capture file or of a live port, cut by the
// daemon's own line framer (framing/line.ts: `\n`, `\r\n`, UTF-8, empty lines) so learn sees
// exactly the lines the gateway would. Bounded like every buffer (docs/architecture.md): at
// most MAX_LINES lines are kept and a line longer than MAX_LINE_BYTES is counted, never held.
import { createLineFramer } from '../framing/line.ts';
import type { FramerDiscardReason } from '../framing/line.ts';

/** Lines kept for inference; a device printing every 100 ms fills this in 17 minutes. */
export const MAX_LINES = 10_000;
/** The longest line learn reads (a profile's line.max_bytes may be up to 65536). */
export const MAX_LINE_BYTES = 4096;

export interface SampledLine {
  text: string;
  /** When its last byte arrived (ms, monotonic); null for a file, which has no clock. */
  at: number | null;
}

export interface Sample {
  lines: SampledLine[];
  /** Lines the framer refused, by reason (too long, not UTF-8, empty). */
  discards: Partial<Record<FramerDiscardReason, number>>;
  /** Lines left out because MAX_LINES were already kept. */
  overflow: number;
  /** Every byte read. */
  bytes: number;
  /** Bytes no text line holds (C0 controls other than tab, CR, LF; DEL): many mean binary data. */
  controlBytes: number;
  /** Where the sample came from, for the report and the profile's comments. */
  source: string;
  /** A live port: how long it was listened to (ms); null for a file. */
  listenedMs: number | null;
}

export interface Sampler {
  /** Feeds bytes that arrived at `at` (null: no clock). */
  push(chunk: Buffer, at: number | null): void;
  /** The sample so far; a line still unfinished is left out (it may be cut). */
  result(): Omit<Sample, 'source' | 'listenedMs'>;
  /** The first line began after the port's open settled: it is whole, keep it (before pushing it). */
  keepFirst(): void;
  /** MAX_LINES are kept: reading on would only count. */
  full(): boolean;
}

/**
 * `keepFirstLine`: a file starts at a line's start. A port opened mid-line may cut the first
 * one, so there — as in the daemon (docs/contract.md §4.1) — it is dropped unless the caller
 * knows it started after the open settled.
 */
export function createSampler(options: { keepFirstLine: boolean }): Sampler {
  const framer = createLineFramer({ maxBytes: MAX_LINE_BYTES });
  if (options.keepFirstLine) framer.keepFirstLine();
  const lines: SampledLine[] = [];
  const discards: Partial<Record<FramerDiscardReason, number>> = {};
  let overflow = 0;
  let bytes = 0;
  let controlBytes = 0;
  return {
    push(chunk, at) {
      bytes += chunk.length;
      for (const b of chunk)
        if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) controlBytes++;
      for (const event of framer.push(chunk)) {
        if (event.kind === 'discard') discards[event.reason] = (discards[event.reason] ?? 0) + 1;
        else if (lines.length >= MAX_LINES) overflow++;
        else lines.push({ text: event.text, at });
      }
    },
    result: () => ({ lines: [...lines], discards: { ...discards }, overflow, bytes, controlBytes }),
    keepFirst: () => framer.keepFirstLine(),
    full: () => lines.length >= MAX_LINES,
  };
}
