// A pass-through Duplex that sits between a client's connection and aedes and destroys the
// connection as soon as the client starts an MQTT packet larger than the configured maximum
// (see packet-size.ts for why aedes alone would buffer it). Reads are forwarded with
// backpressure (pause/resume).
//
// Writes are accepted at once and queued on the connection, and the connection is destroyed
// when more than `maxOutgoingBytes` wait there (a subscriber that never reads must
// not stall others). Why not backpressure: aedes waits for 'drain' inside each delivery, and
// each waiting delivery holds one of mqemitter's `concurrency` (100) slots, so one frozen
// subscriber would stop delivery to every client until aedes' drainTimeout fires.
import { Duplex } from 'node:stream';
import { PacketSizeScanner } from './packet-size.ts';

export class PacketSizeLimitError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PacketSizeLimitError';
  }
}

/** A client that stopped reading while its outgoing queue grew past the bound. */
export class SlowClientError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SlowClientError';
  }
}

/** Outgoing bytes a client may leave unread before it is dropped, unless configured. */
export const DEFAULT_MAX_OUTGOING_BYTES = 4 * 1024 * 1024;

export class PacketSizeGuard extends Duplex {
  readonly #inner: Duplex;
  readonly #maxOutgoingBytes: number;
  /** `address:port` of the client, for logs. */
  readonly peer: string;

  constructor(
    inner: Duplex,
    maxPacketSize: number,
    peer: string,
    maxOutgoingBytes = DEFAULT_MAX_OUTGOING_BYTES,
  ) {
    super({ allowHalfOpen: false });
    this.#inner = inner;
    // One packet of the largest allowed size must always fit.
    this.#maxOutgoingBytes = Math.max(maxOutgoingBytes, 2 * maxPacketSize);
    this.peer = peer;
    const scanner = new PacketSizeScanner(maxPacketSize);
    inner.on('data', (chunk: Buffer) => {
      const verdict = scanner.feed(chunk);
      if (!verdict.ok) {
        this.destroy(new PacketSizeLimitError(verdict.reason));
        return;
      }
      if (!this.push(chunk)) inner.pause();
    });
    inner.on('end', () => this.push(null));
    inner.on('error', (error) => this.destroy(error));
    inner.on('close', () => this.destroy());
    inner.pause();
  }

  override _read(): void {
    this.#inner.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#inner.destroyed) {
      callback();
      return;
    }
    this.#inner.write(chunk, encoding);
    const waiting = this.#inner.writableLength;
    if (waiting > this.#maxOutgoingBytes) {
      this.destroy(
        new SlowClientError(
          `client is not reading: ${waiting} bytes wait to be sent, more than ${this.#maxOutgoingBytes}`,
        ),
      );
    }
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#inner.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inner.destroy();
    callback(error);
  }
}
