// The few things the STK500v1 programmer (stk500v1.ts) needs of a serial port, so the
// protocol can be tested over an in-memory link and run over the real one (serial-link.ts).

export interface ByteLink {
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Resolves with the next `count` bytes, or with the fewer that arrived within `timeoutMs`
   * (then the caller decides what a short answer means). Rejects only when the port is gone.
   */
  read(count: number, timeoutMs: number): Promise<Uint8Array>;
  /** Throws away whatever arrived and was not read (line noise, a sketch's last output). */
  drain(): void;
  /** Drives DTR and RTS (true: asserted). Rejects on a port without modem lines (a pty). */
  setModemLines(lines: { dtr: boolean; rts: boolean }): Promise<void>;
  close(): Promise<void>;
}
