// Which bytes were already on their way when a port opened ("quiet devices lose
// nothing"). Only they can belong to a line the open cut in two; a line that starts later is
// whole and must be kept, or a device that speaks once every few minutes — or only on an
// event (a door contact, a scale, an RFID reader) — loses its next reading at every open.
//
// What an open does to the bytes of a line the device is sending at that moment:
// - Everything the kernel held for the tty before the open is thrown away: bindings-cpp
//   flushes input and output (tcflush(TCIOFLUSH), in setBaudRate) while it opens, and with
//   `reset_on_open` the board is reset besides. So the head of the line is gone.
// - The tail follows at once: a UART sends a line's bytes back to back (one character time
//   apart: ~1 ms at 9600 baud), and a USB serial adapter hands what it holds to the host
//   within its latency timer (FTDI: 16 ms by default, 255 ms at most; CDC-ACM: one 1 ms
//   frame). Those are the bytes "in flight" when the open settled.
// - A line whose first byte arrives after a quiet gap following the open cannot be such a
//   tail: the device began it after we were listening, so it is whole.
// The rule: the first chunk of a session that arrives within IN_FLIGHT_WINDOW_MS of the open
// settling (the binding opened and flushed, DTR/HUPCL handled, the reader started) may hold
// the tail of a cut line, and the line it completes is discarded (`partial_first_line`).
// Any later first chunk starts a whole line. The window errs on the safe side of the slowest
// adapter setting; what it can miss is a firmware that pauses longer than that in the middle
// of a line (several prints with a slow sensor read between them) exactly when we open.

/** Longer than an FTDI adapter's largest latency timer (255 ms), far shorter than any interval. */
export const IN_FLIGHT_WINDOW_MS = 300;

/**
 * Whether the first bytes after an open were already in flight at the open, i.e. whether the
 * line they start may be the tail of one the open cut. Both times on one monotonic clock.
 */
export function arrivedInFlight(
  openSettledAt: number,
  firstByteAt: number,
  windowMs: number = IN_FLIGHT_WINDOW_MS,
): boolean {
  return firstByteAt - openSettledAt < windowMs;
}
