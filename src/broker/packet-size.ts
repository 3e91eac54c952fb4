// Bounds what one client can make the broker buffer. aedes hands every byte to mqtt-packet's
// parser, which keeps accumulating until a whole packet has arrived — up to the 256 MB an MQTT
// length field allows. This scanner reads only the fixed headers (MQTT 3.1.1 §2.2) as bytes
// stream past, so an oversized packet is refused from its first few bytes.
// Pure: no I/O, no timers; O(1) per chunk for packet bodies.

export type ScanVerdict = { ok: true } | { ok: false; reason: string };

const OK: ScanVerdict = { ok: true };

export class PacketSizeScanner {
  readonly #maxPacketSize: number;
  /** 'type': next byte starts a packet; 'length': inside the Remaining Length; 'body': skipping. */
  #phase: 'type' | 'length' | 'body' = 'type';
  #remaining = 0;
  #lengthBytes = 0;
  #multiplier = 1;
  #failed: ScanVerdict | null = null;

  constructor(maxPacketSize: number) {
    this.#maxPacketSize = maxPacketSize;
  }

  /** Feeds the next bytes of the stream. Once a verdict is not ok, every later call repeats it. */
  feed(chunk: Uint8Array): ScanVerdict {
    if (this.#failed !== null) return this.#failed;
    let i = 0;
    while (i < chunk.length) {
      if (this.#phase === 'body') {
        const skip = Math.min(this.#remaining, chunk.length - i);
        i += skip;
        this.#remaining -= skip;
        if (this.#remaining === 0) this.#phase = 'type';
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.#phase === 'type') {
        this.#phase = 'length';
        this.#remaining = 0;
        this.#lengthBytes = 0;
        this.#multiplier = 1;
        continue;
      }
      // §2.2.3 Remaining Length: at most 4 bytes, 7 bits each, high bit = "more follows".
      this.#remaining += (byte & 0x7f) * this.#multiplier;
      this.#multiplier *= 128;
      this.#lengthBytes++;
      if ((byte & 0x80) !== 0) {
        if (this.#lengthBytes === 4) return this.#fail('malformed Remaining Length (more than 4 bytes)');
        continue;
      }
      const size = 1 + this.#lengthBytes + this.#remaining;
      if (size > this.#maxPacketSize) {
        return this.#fail(`packet of ${size} bytes exceeds the maximum of ${this.#maxPacketSize}`);
      }
      this.#phase = this.#remaining === 0 ? 'type' : 'body';
    }
    return OK;
  }

  #fail(reason: string): ScanVerdict {
    this.#failed = { ok: false, reason };
    return this.#failed;
  }
}
