// The committed `#seq` marks of each port (PRODUCT.md §4.1, outbox.ts SeqMark): the last
// 256 per port, oldest first, from which a line runner rebuilds its de-duplication window.
import type { SeqMark } from './outbox.ts';

/** How many marks a port keeps: the de-duplication window of PRODUCT.md §4.1. */
export const SEQ_MARKS_KEPT = 256;

export class SeqMarks {
  private readonly byPort = new Map<string, SeqMark[]>();

  add(mark: SeqMark): void {
    const list = this.byPort.get(mark.port) ?? [];
    list.push({ port: mark.port, seq: mark.seq, hash: mark.hash });
    if (list.length > SEQ_MARKS_KEPT) list.splice(0, list.length - SEQ_MARKS_KEPT);
    this.byPort.set(mark.port, list);
  }

  of(port: string): readonly SeqMark[] {
    return [...(this.byPort.get(port) ?? [])];
  }
}
