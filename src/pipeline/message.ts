// What the serial half hands to the queue, and what it hears back: the types the pure
// protocol code (pipeline/map.ts, mqttsn/) produces and the queue (queue/outbox.ts) stores.
// They live here, below both, so the pure code does not reach up into the storage layer.

export type QoS = 0 | 1 | 2;

/** A message ready for the broker: topic fully rendered and checked, payload encoded. */
export interface OutMessage {
  /** The port it came from, or `gateway` for the gateway's own status messages. */
  port: string;
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** Milliseconds since the epoch when the reading arrived. */
  createdAt: number;
}

export interface SeqMark {
  port: string;
  seq: number;
  /** Fingerprint of the line body (hashBody in line/seq-window.ts). */
  hash: number;
  /**
   * For a key `<scope>\u0000<name>` (seq-marks.ts): at most this many keys keep marks in
   * the scope; the least recently marked beyond it are forgotten, their rows deleted.
   */
  keysInScope?: number;
}

export type SubmitResult = { status: 'queued' } | { status: 'full' };
