// The line framer: serial bytes in, whole text lines (or discards) out. docs/contract.md §4.1:
// a line ends at `\n`, a preceding `\r` is dropped, it is UTF-8 and at most `max_bytes`;
// longer input is discarded up to the next newline. After a port opens, the first line is
// discarded (`partial_first_line`) unless the port says it began after the open settled —
// then it cannot be the tail of a line the open cut, and it is kept (src/serial/in-flight.ts).
//
// Unlike node-serialport's ReadlineParser the buffer is bounded: it is allocated once at
// `maxBytes` and never grows. A line that would not fit switches the framer into a
// "skip to newline" state that only counts bytes, so the overlong line is reported once.
// This runs once per read on a Raspberry Pi: a line that arrives whole inside one chunk
// (the common case at real serial rates) is validated and decoded straight from the chunk,
// without copying; nothing is concatenated per byte.
import { isUtf8 } from 'node:buffer';

export type FramerDiscardReason = 'overlong' | 'partial_first_line' | 'invalid_utf8' | 'empty';

export type FramerEvent =
  | { kind: 'line'; text: string }
  /** `bytes`: the bytes of the discarded line, not counting its `\n`. */
  | { kind: 'discard'; reason: FramerDiscardReason; bytes: number };

export interface LineFramer {
  /** Feeds one read; returns the lines and discards it completed, in order. */
  push(chunk: Buffer): FramerEvent[];
  /** The port was (re)opened: forget the partial line; the next line is discarded again. */
  reset(): void;
  /**
   * The first bytes since the reset arrived after the open settled: the line they start is
   * whole, so it is not discarded. Call before pushing them.
   */
  keepFirstLine(): void;
  /** Bytes held for the current, unfinished line (never more than maxBytes). */
  pending(): number;
}

const LF = 0x0a;
const CR = 0x0d;
const BOM = 0xfeff;

export function createLineFramer(options: { maxBytes: number }): LineFramer {
  const maxBytes = options.maxBytes;
  if (!Number.isInteger(maxBytes) || maxBytes < 1)
    throw new RangeError('maxBytes must be a positive integer');

  const buffer = Buffer.allocUnsafe(maxBytes);
  let length = 0; // bytes of the current line held in `buffer`
  let heldCR = false; // the last byte seen was `\r`: dropped if `\n` follows, content otherwise
  let overlong = false; // the current line no longer fits: count bytes until the newline
  let seen = 0; // every byte of the current line so far, for the discard report
  let firstLine = true; // the first line after open may be cut: discarded unless kept

  /** Takes chunk[start, end) — bytes of the current line without its `\n` — into the buffer. */
  function absorb(chunk: Buffer, start: number, end: number): void {
    if (end <= start) return;
    seen += end - start;
    if (overlong) return;
    const endsWithCR = chunk[end - 1] === CR;
    const stop = endsWithCR ? end - 1 : end;
    const needed = (heldCR ? 1 : 0) + (stop - start);
    if (length + needed > maxBytes) {
      overlong = true;
      length = 0;
      heldCR = false;
      return;
    }
    if (heldCR) buffer[length++] = CR;
    chunk.copy(buffer, length, start, stop);
    length += stop - start;
    heldCR = endsWithCR;
  }

  /** Classifies the finished line `bytes` (the `\r\n` already removed). */
  function finish(bytes: Buffer, total: number, tooLong: boolean): FramerEvent {
    if (firstLine) {
      firstLine = false;
      return { kind: 'discard', reason: 'partial_first_line', bytes: total };
    }
    if (tooLong) return { kind: 'discard', reason: 'overlong', bytes: total };
    if (bytes.length === 0) return { kind: 'discard', reason: 'empty', bytes: total };
    // isUtf8 is the same strict check as a fatal TextDecoder (no overlongs, surrogates or
    // code points above U+10FFFF), done natively without creating a decoder per line.
    if (!isUtf8(bytes)) return { kind: 'discard', reason: 'invalid_utf8', bytes: total };
    let text = bytes.toString('utf8');
    // A byte-order mark is an editor artefact, not data (TextDecoder drops it too).
    if (text.charCodeAt(0) === BOM) text = text.slice(1);
    if (text.length === 0) return { kind: 'discard', reason: 'empty', bytes: total };
    return { kind: 'line', text };
  }

  function clearLine(): void {
    length = 0;
    heldCR = false;
    overlong = false;
    seen = 0;
  }

  return {
    push(chunk) {
      const events: FramerEvent[] = [];
      let pos = 0;
      while (pos < chunk.length) {
        const newline = chunk.indexOf(LF, pos);
        if (newline === -1) {
          absorb(chunk, pos, chunk.length);
          break;
        }
        if (seen === 0) {
          // Nothing of this line came in an earlier chunk: look at it in place, no copy.
          let end = newline;
          if (end > pos && chunk[end - 1] === CR) end--;
          const bytes = chunk.subarray(pos, end);
          events.push(finish(bytes, newline - pos, bytes.length > maxBytes));
        } else {
          absorb(chunk, pos, newline);
          events.push(finish(buffer.subarray(0, length), seen, overlong));
          clearLine();
        }
        pos = newline + 1;
      }
      return events;
    },
    reset() {
      clearLine();
      firstLine = true;
    },
    keepFirstLine() {
      firstLine = false;
    },
    pending() {
      return length;
    },
  };
}
