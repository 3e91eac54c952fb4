// One configured serial port, kept open for as long as the daemon runs (ISSUE: "a port that
// disappears … is detected within a second, reported, and reopened with backoff when it comes
// back, without restarting the daemon; other ports are unaffected").
//
// Life cycle: closed → opening → open → (lost | idle) → closed → opening → … ; stop() → stopped.
// Every open is a "session"; callbacks from an older session (a late read error, a path check
// that finished after a reopen) carry their session number and are ignored.
// Nothing here is fatal: a missing, busy or forbidden port is logged once per change of cause
// and retried forever. Each ManagedPort owns its own timers and state, so one port failing
// never touches another.
import { realpath } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { BindingInterface, BindingPortInterface } from '@serialport/bindings-cpp';
import { ErrorCodes, GatewayError, errorMessage } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Service } from '../service.ts';
import { formatDelay } from '../config/units.ts';
import { createBackoff, DEFAULT_BACKOFF } from './backoff.ts';
import type { Backoff, BackoffOptions } from './backoff.ts';
import { openPort } from './open.ts';
import type { OpenedPort } from './open.ts';
import { classifyOpenFailure, describeOpenFailure } from './open-failure.ts';
import type { OpenFailure } from './open-failure.ts';
import { arrivedInFlight } from './in-flight.ts';
import { startReader } from './reader.ts';
import type { Reader } from './reader.ts';
import { untilAborted, waitAtMost } from './settle.ts';
import { WriteQueue } from './write-queue.ts';
import { platformBinding } from './binding.ts';

/** `held`: closed and lent to another program until released (hold(): flashing firmware). */
export type PortState = 'opening' | 'open' | 'closed' | 'held' | 'stopped';

export interface PortStatus {
  state: PortState;
  opens: number;
  losses: number;
  bytesRead: number;
  /** Date.now() of the last chunk received. */
  lastDataAt: number | null;
  lastError: string | null;
}

export interface ManagedPortOptions {
  name: string;
  path: string;
  baudRate: number;
  resetOnOpen: boolean;
  /** Reopen after this long without a byte; 0 = never (docs/contract.md §2 `idle_timeout`). */
  idleTimeoutMs: number;
  /** Default: the platform's real bindings (bindings-cpp). The demo passes MockBinding. */
  binding?: BindingInterface;
  log: Logger;
  backoff?: BackoffOptions;
  /** Injected for tests: [0, 1). */
  random?: () => number;
}

/**
 * What the systemd watchdog needs to know about a port (src/ops/liveness.ts): its state and
 * when its supervision (the path and idle check) last completed, on performance.now()'s clock.
 */
export interface PortSupervision {
  path: string;
  state: PortState;
  checkedAt: number;
  /** The first open attempt has finished, one way or the other (READY=1 waits for it). */
  settled: boolean;
}

/** How a chunk stands to the open before it (see in-flight.ts). */
export interface ChunkInfo {
  /** The first chunk since the port (re)opened. */
  first: boolean;
  /** First, and arrived so soon after the open that it may be the tail of a line the open cut. */
  inFlightAtOpen: boolean;
}

/** Every chunk after the first: one shared, frozen ChunkInfo (not an object per read). */
const LATER_CHUNK: ChunkInfo = Object.freeze({ first: false, inFlightAtOpen: false });

/**
 * Why an open port closed: `loss` — the device went away or failed (unplugged, read error,
 * the path now leads elsewhere); `reopen` — our own doing (idle_timeout, restart_port), the
 * device itself may be fine and is reopened at once.
 */
export type CloseKind = 'loss' | 'reopen';

export interface PortHandlers {
  onOpen(): void;
  onData(chunk: Buffer, info: ChunkInfo): void;
  onClose(reason: string, kind: CloseKind): void;
}

/** Path and idle checks run this often, so a loss is seen within a second. */
const WATCH_INTERVAL_MS = 250;
/**
 * A session this long proves the device is back for good: the next loss retries quickly.
 * Shorter sessions are "flaps" (a loose cable, a board in a boot loop): each one in a row
 * keeps the backoff growing instead of reopening every 250 ms and logging a storm.
 */
const STABLE_MS = 10_000;
/** Bounds on the parts of a close, so stop() returns within ~1 s on a wedged device. */
const PORT_CLOSE_DEADLINE_MS = 400;
const PENDING_OPEN_DEADLINE_MS = 250;

export class ManagedPort implements Service {
  readonly name: string;
  private readonly binding: BindingInterface;
  private readonly backoff: Backoff;
  private readonly log: Logger;
  private state: PortState = 'closed';
  private started = false;
  private stopped = false;
  /** hold() has the device closed for someone else: nothing may reopen it. */
  private held = false;
  private stopping: Promise<void> | null = null;
  private session = 0;
  private port: BindingPortInterface | null = null;
  private reader: Reader | null = null;
  /** Reading is held back (pauseReading): also for a reader started by a reopen meanwhile. */
  private readingPaused = false;
  /** The device the configured path resolved to at open (real ttys only). */
  private openedDevice: string | null = null;
  private openedAt = 0;
  private lastDataMono = 0;
  /** No chunk has arrived yet in this session. */
  private awaitingFirstChunk = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private watchBusy = false;
  private pendingOpen: Promise<void> | null = null;
  private closing: Promise<void> = Promise.resolve();
  private lastFailureKey: string | null = null;
  /** Sessions in a row that ended before STABLE_MS. */
  private flaps = 0;
  private warnedModemLines = false;
  private readonly writes = new WriteQueue();
  /** Aborted when the open session ends: abandons a write stuck on a vanished device. */
  private sessionEnd: AbortController | null = null;
  private readonly counters = { opens: 0, losses: 0, bytesRead: 0 };
  private lastDataAt: number | null = null;
  private lastError: string | null = null;
  private checkedAt = performance.now();

  constructor(
    private readonly options: ManagedPortOptions,
    private readonly handlers: PortHandlers,
  ) {
    this.name = `port ${options.name}`;
    this.binding = options.binding ?? platformBinding();
    this.backoff = createBackoff(options.backoff ?? DEFAULT_BACKOFF, options.random);
    this.log = options.log;
  }

  /** Returns at once: the port opens in the background, now or whenever it appears. */
  start(signal: AbortSignal): Promise<void> {
    if (this.started || this.stopped || signal.aborted) return Promise.resolve();
    this.started = true;
    this.scheduleOpen(0);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /**
   * Closes and reopens the port now (`gateway/request/restart_port`): an open
   * port is closed as after an idle timeout and reopened at once; one waiting to reopen
   * tries now instead of after its backoff. False when the port is stopped or held.
   */
  restart(reason: string): boolean {
    if (this.stopped || this.held) return false;
    if (this.state === 'open') {
      this.lost(this.session, reason, 'reopen');
      return true;
    }
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.backoff.reset();
      this.scheduleOpen(0);
    }
    return true;
  }

  /**
   * Closes the port and keeps it closed, so another program may open the device (the firmware
   * programmer: src/app/firmware-flash.ts), until the returned release() reopens it at once.
   * Resolves once the device is closed; an open under way finishes first and is closed. What
   * a protocol part had half-read is dropped as on any close (onClose, kind `reopen`: our own
   * doing). Throws PORT_LOST when the port is stopped or already held.
   */
  async hold(reason: string): Promise<() => void> {
    if (this.stopped) throw this.portLost('is stopped');
    if (this.held) throw this.portLost('is already held for someone else');
    this.held = true;
    this.cancelRetry();
    if (this.pendingOpen !== null) await this.pendingOpen; // opens, fails, or sees `held`
    this.cancelRetry(); // a failed open scheduled its retry
    if (this.state === 'open') {
      this.session += 1;
      this.closing = this.closeCurrent();
      this.callHandler('onClose', () => this.handlers.onClose(reason, 'reopen'));
    }
    if (!this.stopped) this.state = 'held';
    this.log.info(`${this.name}: ${reason}; ${this.options.path} closed until released`);
    await this.closing;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held = false;
      if (this.stopped) return;
      this.state = 'closed';
      this.backoff.reset();
      this.log.info(`${this.name}: released; reopening ${this.options.path}`);
      this.scheduleOpen(0);
    };
  }

  supervision(): PortSupervision {
    const settled = this.counters.opens > 0 || this.lastError !== null;
    return { path: this.options.path, state: this.state, checkedAt: this.checkedAt, settled };
  }

  status(): PortStatus {
    return { state: this.state, ...this.counters, lastDataAt: this.lastDataAt, lastError: this.lastError };
  }

  /**
   * Stops taking bytes from the device until resumeReading(): they wait in the kernel's tty
   * buffer. For flow control only, and only briefly (src/app/read-gate.ts bounds it).
   */
  pauseReading(): void {
    this.readingPaused = true;
    this.reader?.pause();
  }

  resumeReading(): void {
    this.readingPaused = false;
    this.reader?.resume();
  }

  /** Queued behind earlier writes (never interleaved); rejects with PORT_LOST if not open. */
  write(data: Buffer | string): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    return this.writes.run(async () => {
      const { port, sessionEnd } = this;
      if (this.state !== 'open' || port === null || sessionEnd === null) {
        throw this.portLost(`is not open (${this.state})`);
      }
      try {
        // A write stuck on a device that went away is abandoned when its session ends, so
        // the queue does not stay blocked after the replug.
        await untilAborted(port.write(bytes), sessionEnd.signal);
      } catch (error) {
        const what = sessionEnd.signal.aborted
          ? 'was lost during a write'
          : `write failed: ${errorMessage(error)}`;
        throw this.portLost(what, error);
      }
    });
  }

  private async shutdown(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    this.session += 1;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stopWatch();
    // An open still in flight closes its own result when it sees `stopped`.
    if (this.pendingOpen !== null) await waitAtMost(this.pendingOpen, PENDING_OPEN_DEADLINE_MS);
    await waitAtMost(this.closing, PORT_CLOSE_DEADLINE_MS); // a reopen's close still under way
    await this.closeCurrent();
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private scheduleOpen(delayMs: number): void {
    if (this.stopped || this.held) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pendingOpen = this.attemptOpen().finally(() => {
        this.pendingOpen = null;
      });
    }, delayMs);
  }

  private async attemptOpen(): Promise<void> {
    await this.closing; // the previous session must have released the device (and its lock)
    if (this.stopped || this.held) return;
    this.state = 'opening';
    let opened: OpenedPort;
    try {
      opened = await openPort(this.binding, this.options);
    } catch (error) {
      if (!this.stopped) this.openFailed(classifyOpenFailure(error));
      return;
    }
    if (this.stopped || this.held) {
      await closeQuietly(opened.port, PORT_CLOSE_DEADLINE_MS);
      return;
    }
    if (opened.modemLinesProblem !== null && !this.warnedModemLines) {
      this.log.warn(`${this.name}: ${opened.modemLinesProblem}`); // once: a pty has no DTR
      this.warnedModemLines = true;
    }
    this.becomeOpen(opened);
  }

  private openFailed(failure: OpenFailure): void {
    const delay = this.backoff.next();
    const key = failure.kind === 'other' ? failure.detail : failure.kind;
    const text = describeOpenFailure(this.options.path, failure);
    this.lastError = text;
    this.state = 'closed';
    if (key !== this.lastFailureKey) {
      const { initialMs, maxMs } = this.options.backoff ?? DEFAULT_BACKOFF;
      this.log.warn(
        { code: ErrorCodes.PORT_OPEN_FAILED, detail: failure.detail },
        `${this.name}: ${text}; retrying every ${formatDelay(initialMs / 2)}–${formatDelay(maxMs)} (backing off)`,
      );
    } else {
      this.log.debug({ detail: failure.detail, retryInMs: delay }, `${this.name}: open failed again`);
    }
    this.lastFailureKey = key;
    this.scheduleOpen(delay);
  }

  private becomeOpen({ port, device }: OpenedPort): void {
    const session = ++this.session;
    this.port = port;
    this.openedDevice = device;
    this.sessionEnd = new AbortController();
    this.state = 'open';
    this.counters.opens += 1;
    this.lastError = null;
    this.lastFailureKey = null;
    if (this.flaps === 0) this.backoff.reset(); // the open failures are over
    this.openedAt = this.lastDataMono = this.checkedAt = performance.now();
    this.awaitingFirstChunk = true;
    this.reader = startReader(
      port,
      {
        onData: (chunk) => this.received(session, chunk),
        onLoss: (reason) => this.lost(session, reason, 'loss'),
      },
      { paused: this.readingPaused },
    );
    this.watchTimer = setInterval(() => void this.watch(session), WATCH_INTERVAL_MS);
    const { path, baudRate } = this.options;
    this.log.info(
      { path, baudRate, reader: this.reader.kind },
      `${this.name}: opened ${path} at ${baudRate} baud`,
    );
    this.callHandler('onOpen', () => this.handlers.onOpen());
  }

  private received(session: number, chunk: Buffer): void {
    if (session !== this.session) return;
    this.counters.bytesRead += chunk.length;
    this.lastDataAt = Date.now();
    this.lastDataMono = performance.now();
    const first = this.awaitingFirstChunk;
    this.awaitingFirstChunk = false;
    // openedAt is taken once the open settled (opened, flushed, DTR/HUPCL done, reader started).
    const info = first
      ? { first, inFlightAtOpen: arrivedInFlight(this.openedAt, this.lastDataMono) }
      : LATER_CHUNK;
    this.callHandler('onData', () => this.handlers.onData(chunk, info));
  }

  /** Idle timeout, and whether the configured path still leads to the device we opened. */
  private async watch(session: number): Promise<void> {
    if (session !== this.session || this.watchBusy) return;
    const idleMs = this.options.idleTimeoutMs;
    if (idleMs > 0 && performance.now() - this.lastDataMono >= idleMs) {
      this.lost(session, `no data for ${formatDelay(idleMs)}`, 'reopen');
      return;
    }
    const device = this.openedDevice;
    if (device === null) {
      this.checkedAt = performance.now();
      return;
    }
    this.watchBusy = true;
    const now = await realpath(this.options.path).catch(() => null);
    this.watchBusy = false;
    // A check that completes is progress; one stuck in realpath (a wedged USB stack or
    // thread pool) is not, and stops the systemd watchdog pings (src/ops/liveness.ts).
    this.checkedAt = performance.now();
    if (now === null) this.lost(session, `${this.options.path} disappeared`, 'loss');
    else if (now !== device)
      this.lost(session, `${this.options.path} now leads to ${now}, not ${device}`, 'loss');
  }

  private lost(session: number, reason: string, kind: CloseKind): void {
    if (session !== this.session || this.state !== 'open') return;
    this.session += 1;
    this.state = 'closed';
    if (kind === 'reopen') {
      this.log.info(`${this.name}: ${reason}; reopening ${this.options.path}`);
      this.flaps = 0; // a quiet device is not a failure storm
      this.backoff.reset();
    } else {
      this.counters.losses += 1;
      this.lastError = reason;
      this.log.warn(
        { code: ErrorCodes.PORT_LOST },
        `${this.name}: ${this.options.path} lost (${reason}); will reopen when it is back`,
      );
      if (performance.now() - this.openedAt < STABLE_MS) {
        this.flaps += 1;
      } else {
        this.flaps = 0;
        this.backoff.reset();
      }
    }
    this.closing = this.closeCurrent();
    this.callHandler('onClose', () => this.handlers.onClose(reason, kind));
    // A reopen of our own is immediate: while the port is closed the device's bytes are lost
    // (the open flushes whatever arrived), so the gap is kept to the close and open themselves.
    // It happens at most once per idle_timeout, so it cannot become a storm.
    this.scheduleOpen(kind === 'reopen' ? 0 : this.backoff.next());
  }

  private async closeCurrent(): Promise<void> {
    this.stopWatch();
    const { reader, port } = this;
    this.sessionEnd?.abort();
    this.sessionEnd = null;
    this.reader = null;
    this.port = null;
    this.openedDevice = null;
    if (reader !== null) await reader.close();
    if (port !== null && !(await closeQuietly(port, PORT_CLOSE_DEADLINE_MS))) {
      this.log.warn(`${this.name}: closing ${this.options.path} did not finish in time (device wedged?)`);
    }
  }

  private stopWatch(): void {
    if (this.watchTimer !== null) clearInterval(this.watchTimer);
    this.watchTimer = null;
  }

  private portLost(what: string, cause?: unknown): GatewayError {
    return new GatewayError(ErrorCodes.PORT_LOST, `${this.name}: ${this.options.path} ${what}`, { cause });
  }

  /** A throwing handler is logged, never allowed to break the read path. */
  private callHandler(which: keyof PortHandlers, call: () => void): void {
    try {
      call();
    } catch (error) {
      this.log.error({ err: error }, `${this.name}: ${which} handler threw`);
    }
  }
}

/** Closes a binding, ignoring its errors; false when the deadline passed first. */
async function closeQuietly(port: BindingPortInterface, deadlineMs: number): Promise<boolean> {
  if (!port.isOpen) return true;
  return waitAtMost(port.close(), deadlineMs);
}
