// What a protocol (line, MySensors controller, MQTT-SN) plugs into the port host
// (port-host.ts): the host owns the serial port — opening, loss, reopen, restart, supervision,
// writes — and the common part of the view; the part owns what the bytes mean.
import type { RateLimitedLog } from '../log/rate-limited-log.ts';
import type { ChunkInfo, CloseKind } from '../serial/port.ts';
import type { PortSection } from './port-view.ts';

/** What the host gives its protocol part. */
export interface PortIo {
  /** The port's clock (injected in tests). */
  now: () => number;
  /** Writes through the port's write queue; rejects when the port is closed or the write fails. */
  write(data: Buffer | string): Promise<void>;
  /** Writes and forgets: a failure is only logged at debug level, with `failure` as its message. */
  send(data: Buffer | string, failure: string): void;
  isOpen(): boolean;
  /** Availability or the view may have changed: the gateway looks again. */
  changed(): void;
  /** The port's bad-input log: 5 lines a minute per reason (docs/contract.md §3). */
  badInput: RateLimitedLog;
}

export interface ProtocolPart<S extends PortSection = PortSection> {
  /** The view's `format`: the line format, or `mqttsn/<framing>`. */
  readonly format: string;
  readonly counters: S['counters'];
  /** Before the serial port opens for the first time. */
  start(): void;
  /** Before the serial port closes for good. */
  stop(): void;
  /** After it closed: input already read is finished (its messages queued, its ACKs sent). */
  finish(): Promise<void>;
  /** The port (re)opened: framing starts afresh. The gateway is told just after. */
  opened(): void;
  /** After the gateway was told of an open: work held while the port was closed may go out. */
  resumed?(): void;
  received(chunk: Buffer, info: ChunkInfo): void;
  /** The port closed (a loss, or our own reopen). The gateway is told just after. */
  closed(kind: CloseKind): void;
  /** The device side of availability: heard from recently, or a client connected. */
  present(): boolean;
  lastSeen(): number | null;
  /** The protocol's section of the view. */
  section(): S;
}
