// The supervised request of an MQTT-SN client (MQTT-SN 1.2 §6.13): one request out, the
// matching reply in, resent every T_retry up to N_retry times. The client runs one request
// at a time (§6.5, §7: one REGISTER and one QoS 1/2 PUBLISH outstanding), so this holds at
// most one. Losing the gateway is an outcome, not an exception: the caller decides whether
// to reconnect (a DISCONNECT from the gateway, §6.13; or N_retry unanswered resends, §6.13:
// "the client considers itself disconnected"). Only stop() rejects.
import type { InnerPacket } from '../../mqttsn/packet-types.ts';
import type { Scheduler } from '../device.ts';
import { asError } from '../../errors.ts';

/**
 * Stable codes of MqttSnClientError:
 * - rejected: the gateway refused (REGACK/CONNACK return code in `returnCode`).
 * - timeout: no answer after N_retry resends (and reconnect attempts, for session requests).
 * - stopped: stop() was called while the request was pending or queued.
 * - queue_full: maxQueued requests are already waiting.
 * - not_connected: a session request before connect() or after disconnect().
 * - invalid: the request cannot be put on the wire (e.g. QoS −1 to a topic name).
 */
export type MqttSnClientErrorCode =
  'rejected' | 'timeout' | 'stopped' | 'queue_full' | 'not_connected' | 'invalid';

export class MqttSnClientError extends Error {
  readonly code: MqttSnClientErrorCode;
  /** The gateway's ReturnCode (MQTT-SN 1.2 Table 5) when `code` is `rejected`. */
  readonly returnCode: number | undefined;

  constructor(code: MqttSnClientErrorCode, message: string, returnCode?: number) {
    super(message);
    this.name = 'MqttSnClientError';
    this.code = code;
    this.returnCode = returnCode;
  }
}

/** What `match` returns for a packet that is not the awaited reply. */
export const NO_MATCH: unique symbol = Symbol('no match');

export type Outcome<T> = { kind: 'reply'; value: T } | { kind: 'lost'; reason: 'disconnect' | 'timeout' };

export interface Request<T> {
  /** Sent first. */
  packet: InnerPacket;
  /** Sent on each retry (PUBLISH and SUBSCRIBE with DUP=1, §5.3.4); default `packet`. */
  resend?: InnerPacket;
  /** The reply's value, or NO_MATCH for any other packet. */
  match(p: InnerPacket): T | typeof NO_MATCH;
}

export interface ExchangeDeps {
  send(p: InnerPacket): void;
  scheduler: Scheduler;
  retryMs: number;
  maxRetries: number;
  onResend(): void;
}

interface Pending {
  request: Request<unknown>;
  tries: number;
  timer: unknown;
  resolve(outcome: Outcome<unknown>): void;
  reject(error: Error): void;
}

export class Exchange {
  readonly #deps: ExchangeDeps;
  #pending: Pending | undefined;
  /** Set by cancel(): every later request and pause fails with it (no timer after stop). */
  #closed: Error | undefined;
  #pause: { timer: unknown; resolve(): void; reject(error: Error): void } | undefined;

  constructor(deps: ExchangeDeps) {
    this.#deps = deps;
  }

  get busy(): boolean {
    return this.#pending !== undefined;
  }

  /** Sends `request.packet` and waits for its reply, resending every retryMs. */
  run<T>(request: Request<T>): Promise<Outcome<T>> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    if (this.#pending !== undefined) throw new Error('MqttSnClient: a request is already outstanding');
    return new Promise<Outcome<T>>((resolve, reject) => {
      const pending: Pending = {
        request,
        tries: 0,
        timer: undefined,
        resolve: resolve as (outcome: Outcome<unknown>) => void,
        reject,
      };
      this.#pending = pending;
      try {
        this.#deps.send(request.packet);
      } catch (error) {
        this.#pending = undefined;
        reject(asError(error));
        return;
      }
      // A write that answers synchronously (a loopback peer) may have settled it already.
      if (this.#pending === pending) this.#arm(pending);
    });
  }

  /** Offers a received packet to the outstanding request; true when it was the reply. */
  offer(p: InnerPacket): boolean {
    const pending = this.#pending;
    if (pending === undefined) return false;
    const value = pending.request.match(p);
    if (value === NO_MATCH) return false;
    this.#settle(pending).resolve({ kind: 'reply', value });
    return true;
  }

  /**
   * The gateway is working on the request (WILLTOPICREQ/WILLMSGREQ during CONNECT, §6.3):
   * restart the T_retry timer so the handshake is not cut short by a resend.
   */
  alive(): void {
    if (this.#pending !== undefined) this.#arm(this.#pending);
  }

  /** The gateway dropped the session (an unsolicited DISCONNECT, §6.13). */
  lost(): void {
    if (this.#pending !== undefined)
      this.#settle(this.#pending).resolve({ kind: 'lost', reason: 'disconnect' });
  }

  /** Waits `ms` (T_WAIT after a congestion return code, §6.5), cut short only by cancel(). */
  pause(ms: number): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      const timer = this.#deps.scheduler.setTimeout(() => {
        this.#pause = undefined;
        resolve();
      }, ms);
      this.#pause = { timer, resolve, reject };
    });
  }

  /** Rejects the outstanding request, any pause and every later one with `error`; clears timers. */
  cancel(error: Error): void {
    this.#closed = error;
    if (this.#pending !== undefined) this.#settle(this.#pending).reject(error);
    const pause = this.#pause;
    if (pause !== undefined) {
      this.#pause = undefined;
      this.#deps.scheduler.clearTimeout(pause.timer);
      pause.reject(error);
    }
  }

  #arm(pending: Pending): void {
    const { scheduler, retryMs } = this.#deps;
    scheduler.clearTimeout(pending.timer);
    pending.timer = scheduler.setTimeout(() => this.#retry(pending), retryMs);
  }

  #retry(pending: Pending): void {
    if (this.#pending !== pending) return;
    if (pending.tries >= this.#deps.maxRetries) {
      this.#settle(pending).resolve({ kind: 'lost', reason: 'timeout' });
      return;
    }
    pending.tries++;
    this.#deps.onResend();
    try {
      this.#deps.send(pending.request.resend ?? pending.request.packet);
    } catch (error) {
      this.#settle(pending).reject(asError(error));
      return;
    }
    if (this.#pending === pending) this.#arm(pending);
  }

  #settle(pending: Pending): Pending {
    this.#deps.scheduler.clearTimeout(pending.timer);
    this.#pending = undefined;
    return pending;
  }
}

/** A match for a reply that carries nothing but its type. */
export function only(type: InnerPacket['type']): (p: InnerPacket) => true | typeof NO_MATCH {
  return (p) => (p.type === type ? true : NO_MATCH);
}

export function timeoutError(what: string): MqttSnClientError {
  return new MqttSnClientError('timeout', `${what}: no answer from the gateway`);
}
