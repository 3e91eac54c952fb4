// A pass-through Duplex that sits between a client's connection and aedes and destroys the
// connection as soon as the client starts an MQTT packet larger than the configured maximum
// (see packet-size.ts for why aedes alone would buffer it). Writes go straight to the
// connection; reads are forwarded with backpressure (pause/resume).
import { Duplex } from 'node:stream';
import { PacketSizeScanner } from './packet-size.ts';

export class PacketSizeLimitError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PacketSizeLimitError';
  }
}

export class PacketSizeGuard extends Duplex {
  readonly #inner: Duplex;
  /** `address:port` of the client, for logs. */
  readonly peer: string;

  constructor(inner: Duplex, maxPacketSize: number, peer: string) {
    super({ allowHalfOpen: false });
    this.#inner = inner;
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
    this.#inner.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#inner.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inner.destroy();
    callback(error);
  }
}
