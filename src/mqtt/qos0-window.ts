// The publisher's QoS 0 send window: PUBLISHes written to the socket's stream (by the
// publisher itself, or by MQTT.js for one it cannot encode) that the kernel has not taken
// yet. MQTT 3.1.1 §4.3.1 / MQTT 5 §4.3.1: QoS 0 has no acknowledgement, so nothing from the
// broker limits them — only the socket does, and while it is blocked (a slow or hung
// broker) they wait in Node's user-space write buffer. The window bounds that buffer by
// messages and by bytes (payload + topic + per-message overhead, queue/limits.ts), so
// 4096 readings of 64 KiB cannot pile up 256 MiB there.
//
// Since the publisher also stops at the socket's high-water mark (broker-client.ts
// socketBackedUp()), the window holds at most one step of the pump; its byte bound still
// holds when one step of large messages weighs more.
//
// When it is full the publisher WAITS (backpressure): the messages stay in the queue, where
// the QoS 0 ring's own bounds decide what is dropped, counted and said. The window never
// drops anything itself.

/** QoS 0 publishes waiting for the socket, by count (bounds memory with small messages). */
export const QOS0_WINDOW = 4096;
/** The same by bytes (bounds memory with large ones). */
export const QOS0_WINDOW_BYTES = 4 * 1024 * 1024;

export interface Qos0WindowStatus {
  messages: number;
  bytes: number;
  maxBytes: number;
  /**
   * Times the window filled by bytes and the publisher waited for the socket to drain
   * (once per episode: until the window empties again).
   */
  fullWaits: number;
}

export class Qos0Window {
  messages = 0;
  bytes = 0;
  private fullWaits = 0;
  private full = false;

  constructor(
    readonly maxMessages: number = QOS0_WINDOW,
    readonly maxBytes: number = QOS0_WINDOW_BYTES,
  ) {}

  /**
   * How many more messages may be leased now (0: wait for the socket). Near the byte bound,
   * about as many as fit at the current average size (plus one): the publisher hands back
   * what does not fit, and leasing thousands to hand them all back would be wasted work.
   */
  room(): number {
    if (this.bytes >= this.maxBytes) return 0;
    const byCount = this.maxMessages - this.messages;
    if (this.messages === 0) return byCount;
    const average = this.bytes / this.messages;
    return Math.min(byCount, Math.floor((this.maxBytes - this.bytes) / average) + 1);
  }

  /**
   * Whether a message costing `cost` bytes may be sent now. One message always fits an
   * empty window, however large: otherwise it could never be sent at all.
   */
  fits(cost: number): boolean {
    return this.messages === 0 || this.bytes + cost <= this.maxBytes;
  }

  /** The window filled by bytes; true when this starts a new wait (for the log). */
  blocked(): boolean {
    if (this.full) return false;
    this.full = true;
    this.fullWaits += 1;
    return true;
  }

  add(cost: number): void {
    this.messages += 1;
    this.bytes += cost;
  }

  remove(cost: number): void {
    this.messages -= 1;
    this.bytes -= cost;
    if (this.messages === 0) this.full = false;
  }

  /** A new connection: the old one's writes are gone (their callbacks have run). */
  reset(): void {
    this.messages = 0;
    this.bytes = 0;
    this.full = false;
  }

  status(): Qos0WindowStatus {
    return { messages: this.messages, bytes: this.bytes, maxBytes: this.maxBytes, fullWaits: this.fullWaits };
  }
}
