// A simulated device: plays a profile's reference firmware on a byte sink, for
// `tty2mqtt simulate` (a real tty) and `tty2mqtt demo` (a mock port). docs/contract.md §1, §4.1.
//
// It behaves like the firmware in devices/<id>/<id>.ino:
// - one reading every `intervalMs`, encoded in the profile's format (encode.ts);
// - `ack: true`: lines carry `#<seq> ` (0 after start, then 1..65535 wrapping to 1); a line
//   is resent every 2 s until `ACK <seq>`; `NAK <seq> full` doubles the delay (up to 30 s);
//   any other `NAK <seq> <reason>` drops the line. No new reading is taken while a line is
//   unacknowledged — the same single slot as the firmware (mysensors readings, several
//   lines each, go out one line at a time);
// - a warm-up line first, because the gateway discards the first, possibly partial, line
//   after a port opens (§4.1);
// - other input lines are commands (e.g. `LED on`): counted and reported, never answered;
// - mysensors in controller mode: one more node, without an id, that asks the controller for
//   one, presents, reports, asks for the time and obeys commands (mysensors-node.ts); and,
//   when the profile has no fixed fields (the shipped one), the nodes with static ids
//   present their children and report them (mysensors-room-node.ts), since a controller
//   publishes only what a node presented.
import { StringDecoder } from 'node:string_decoder';
import type { DeviceProfile } from '../config/schema.ts';
import { encodeBodies, nextSeq, wrapEnvelope } from './encode.ts';
import { SimulatedMySensorsNode } from './mysensors-node.ts';
import { SimulatedRoomNode } from './mysensors-room-node.ts';
import { createValueGenerator, type Rng, type ValueGenerator } from './values.ts';

export const ACK_TIMEOUT_MS = 2000;
export const MAX_BACKOFF_MS = 30_000;
/** The longest input line kept; longer ones are dropped up to the next newline. */
export const MAX_INPUT_LINE = 256;
const MIN_INTERVAL_MS = 10;

/** setTimeout/clearTimeout, injectable so tests can drive time by hand. */
export interface Scheduler {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realScheduler: Scheduler = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface SimulatedDeviceOptions {
  profile: DeviceProfile;
  /** Receives text for the gateway: whole lines, newline included. Called in order. */
  write: (data: string) => void | Promise<void>;
  /** Default: the profile's `interval`. */
  intervalMs?: number;
  rng?: Rng;
  /** mysensors: the simulated radio nodes (default [1]); each reports every interval. */
  nodeIds?: readonly (number | string)[];
  scheduler?: Scheduler;
  /** Each line written (no newline), the warm-up line included. */
  onSend?: (line: string) => void;
  /** Each line received from the gateway (no newline). */
  onReceive?: (line: string) => void;
  /** Every line so far has been written (and, for ack profiles, acknowledged or dropped). */
  onSettled?: () => void;
  /** A write failed. Default: ignored (a device cannot tell either). */
  onError?: (error: unknown) => void;
}

export interface SimulatedDeviceStats {
  readings: number;
  linesSent: number;
  resends: number;
  acked: number;
  nakFull: number;
  nakDropped: number;
  commands: number;
  inputDiscarded: number;
}

interface InFlight {
  line: string;
  seq: number;
}

export class SimulatedDevice {
  readonly stats: SimulatedDeviceStats = {
    readings: 0,
    linesSent: 0,
    resends: 0,
    acked: 0,
    nakFull: 0,
    nakDropped: 0,
    commands: 0,
    inputDiscarded: 0,
  };
  /** The last command line received, e.g. `LED on`. */
  lastCommand: string | undefined;
  /** mysensors in controller mode: a node that asks the controller for its id (mysensors-node.ts). */
  readonly autoNode: SimulatedMySensorsNode | null;
  /** mysensors in controller mode without fixed fields: the static-id nodes (mysensors-room-node.ts). */
  readonly roomNodes: readonly SimulatedRoomNode[];

  readonly #options: SimulatedDeviceOptions;
  readonly #profile: DeviceProfile;
  readonly #ack: boolean;
  readonly #intervalMs: number;
  readonly #scheduler: Scheduler;
  readonly #generators: readonly (readonly [node: number | string, next: ValueGenerator])[];
  /** Bodies of the current reading not yet sent: at most one reading's lines. */
  #queue: string[] = [];
  #inFlight: InFlight | undefined;
  #seq = 0;
  #retryMs = ACK_TIMEOUT_MS;
  #readingTimer: unknown;
  #retryTimer: unknown;
  #running = false;
  #writing: Promise<void> = Promise.resolve();
  #input = '';
  #inputOverflow = false;
  /** Keeps a UTF-8 character split across chunks whole. */
  readonly #decoder = new StringDecoder('utf8');

  constructor(options: SimulatedDeviceOptions) {
    const { profile } = options;
    if (profile.line === undefined) throw new Error(`profile "${profile.id}" has no line format to simulate`);
    this.#options = options;
    this.#profile = profile;
    this.#ack = profile.line.ack;
    this.#intervalMs = Math.max(MIN_INTERVAL_MS, options.intervalMs ?? profile.interval);
    this.#scheduler = options.scheduler ?? realScheduler;
    const rng = options.rng ?? Math.random;
    const nodes = profile.line.format === 'mysensors' ? (options.nodeIds ?? [1]) : [1];
    const controller = profile.line.format === 'mysensors' && profile.mysensors?.controller === true;
    const presenting = controller && Object.keys(profile.fields).length === 0;
    this.#generators = presenting
      ? []
      : nodes.map((node) => [node, createValueGenerator(profile, rng)] as const);
    this.roomNodes = presenting
      ? nodes.map((node) => new SimulatedRoomNode(node, (l) => this.#send(l), rng))
      : [];
    // Fail now, not on the first timer, for profiles that cannot be simulated (regex, bad
    // mysensors keys); a separate generator keeps the injected RNG's sequence untouched.
    encodeBodies(profile, createValueGenerator(profile, () => 0.5)());
    this.autoNode = controller ? new SimulatedMySensorsNode((line) => this.#send(line), rng) : null;
  }

  /** Nothing queued and nothing waiting for an ACK. */
  get settled(): boolean {
    return this.#queue.length === 0 && this.#inFlight === undefined;
  }

  /** Sends the warm-up line, then a reading at once and one every interval. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.sendWarmup();
    this.#tick();
  }

  /** Stops all timers; resolves once every write already started has finished. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#scheduler.clearTimeout(this.#readingTimer);
    this.#scheduler.clearTimeout(this.#retryTimer);
    await this.#writing;
  }

  /**
   * A line the gateway will discard as the possibly partial first line after it opens the
   * port (docs/contract.md §4.1); for mysensors the gateway's own startup message, which the
   * gateway ignores anyway. The static-id nodes then present, as the firmware does at boot
   * (an Uno resets when its port opens); a controller that missed it asks (I_PRESENTATION).
   */
  sendWarmup(): void {
    const format = this.#profile.line?.format;
    this.#send(
      format === 'mysensors'
        ? '0;255;3;0;14;Gateway startup complete.'
        : `# tty2mqtt simulator ${this.#profile.id}`,
    );
    for (const node of this.roomNodes) node.present();
  }

  /** Bytes from the gateway: ACK/NAK lines and commands. Bounded like the firmware's buffer. */
  onInput(chunk: Buffer | string): void {
    for (const char of typeof chunk === 'string' ? chunk : this.#decoder.write(chunk)) {
      if (char === '\n') {
        const line = this.#input.endsWith('\r') ? this.#input.slice(0, -1) : this.#input;
        if (this.#inputOverflow) this.stats.inputDiscarded++;
        else this.#receive(line);
        this.#input = '';
        this.#inputOverflow = false;
      } else if (this.#input.length < MAX_INPUT_LINE) this.#input += char;
      else this.#inputOverflow = true;
    }
  }

  #tick(): void {
    if (!this.#running) return;
    if (this.settled) {
      this.stats.readings++;
      for (const [nodeId, next] of this.#generators)
        this.#queue.push(...encodeBodies(this.#profile, next(), { nodeId }));
      this.#pump();
      for (const node of this.roomNodes) node.tick();
      this.autoNode?.tick();
    }
    this.#readingTimer = this.#scheduler.setTimeout(() => this.#tick(), this.#intervalMs);
  }

  /** Sends what is queued: everything at once, or one line at a time for ack profiles. */
  #pump(): void {
    const line = this.#profile.line;
    if (line === undefined) return;
    while (this.#inFlight === undefined && this.#queue.length > 0) {
      const body = this.#queue.shift() ?? '';
      if (!this.#ack) {
        this.#send(wrapEnvelope(body, line));
        continue;
      }
      const seq = this.#seq;
      this.#inFlight = { seq, line: wrapEnvelope(body, line, seq) };
      this.#send(this.#inFlight.line);
      this.#armRetry();
    }
    if (this.settled) this.#options.onSettled?.();
  }

  /**
   * Answers a command the way the reference firmware does, so the gateway's reply pattern
   * (`commands.<name>.reply.ok`) sees `acked`: the firmware conventions are `OK <line>`
   * (climate, soil-csv), `OK <first word>` (power-meter) and, for MySensors, the message
   * echoed with its ack flag set. The first of those the pattern accepts is sent.
   */
  #answerCommand(line: string): void {
    for (const command of Object.values(this.#profile.commands)) {
      const ok = command.reply?.ok;
      if (ok === undefined) continue;
      const pattern = new RegExp(ok);
      const fields = line.split(';');
      const echo = fields.length === 6 ? [...fields.slice(0, 3), '1', ...fields.slice(4)].join(';') : line;
      const answer = [`OK ${line}`, `OK ${line.split(' ')[0] ?? line}`, echo].find((a) => pattern.test(a));
      if (answer !== undefined) return this.#send(answer);
    }
  }

  #armRetry(): void {
    this.#scheduler.clearTimeout(this.#retryTimer);
    this.#retryTimer = this.#scheduler.setTimeout(() => {
      if (!this.#running || this.#inFlight === undefined) return;
      this.stats.resends++;
      this.#send(this.#inFlight.line);
      this.#armRetry();
    }, this.#retryMs);
  }

  #receive(line: string): void {
    this.#options.onReceive?.(line);
    if (this.autoNode?.onLine(line) === true) return;
    if (this.roomNodes.some((node) => node.onLine(line))) return;
    const reply = /^(ACK|NAK) (\d{1,5})(?: (.*))?$/.exec(line);
    if (!this.#ack || reply === null) {
      this.stats.commands++;
      this.lastCommand = line;
      this.#answerCommand(line);
      return;
    }
    const [, kind, seqText, reason] = reply;
    if (this.#inFlight === undefined || Number(seqText) !== this.#inFlight.seq) return; // stale or duplicate
    if (kind === 'ACK' && reason === undefined) {
      this.stats.acked++;
      this.#finishInFlight();
    } else if (kind === 'NAK' && reason === 'full') {
      this.stats.nakFull++;
      this.#retryMs = Math.min(this.#retryMs * 2, MAX_BACKOFF_MS);
      this.#armRetry();
    } else if (kind === 'NAK' && reason !== undefined) {
      this.stats.nakDropped++; // rejected for good: resending the same bytes would not help
      this.#finishInFlight();
    }
  }

  /** Acknowledged or rejected: the next line gets the next seq (firmware's finishPending). */
  #finishInFlight(): void {
    this.#scheduler.clearTimeout(this.#retryTimer);
    this.#inFlight = undefined;
    this.#retryMs = ACK_TIMEOUT_MS;
    this.#seq = nextSeq(this.#seq);
    if (this.#running) this.#pump();
    else if (this.settled) this.#options.onSettled?.();
  }

  #send(line: string): void {
    this.stats.linesSent++;
    this.#options.onSend?.(line);
    const { write, onError } = this.#options;
    this.#writing = this.#writing.then(() => write(`${line}\n`)).catch((error: unknown) => onError?.(error));
  }
}
