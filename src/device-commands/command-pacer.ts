// What every command to a device goes through, whoever renders it (line-runner.ts for a
// profile's commands, mysensors-runner.ts for MySensors nodes): the checks every `…/set`
// message gets (retained, message expiry, max_pending), the queue of commands waiting for the
// port, written one at a time `command_options.gap` apart so a burst cannot overflow the
// device's receive buffer, expiry after the time to live, and the `…/result` events:
//   {"id":…,"command":…,"status":"written|rejected|expired|acked|failed","reason":…}
// The runners add what is theirs through WriteHooks: waiting for a reply or an echo, holding
// commands for sleeping nodes.
import type { LoadedProfile } from '../config/load.ts';
import type { CommandOptions } from '../config/schema.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { createRateLimitedLog } from '../log/rate-limited-log.ts';
import type { RateLimitedLog } from '../log/rate-limited-log.ts';
import type { InboundMessage, Subscribe } from '../mqtt/subscriptions.ts';
import type { OutMessage } from '../queue/outbox.ts';
import { portTopic, resultTopic } from '../topics/gateway-owned.ts';
import { areTopicLevels } from '../topics/level.ts';

export type CommandStatus = 'written' | 'rejected' | 'expired' | 'acked' | 'failed';

export interface CommandCounters {
  received: number;
  written: number;
  rejected: number;
  expired: number;
  acked: number;
  failed: number;
}

/** A command on its way to the device. */
export interface PacedCommand {
  id: string;
  /** The result topic's levels below the port, and the event's `command`. */
  label: string;
  /** What is written to the port. */
  line: string;
  /** Expires, unwritten, at this time. */
  deadline: number;
}

/** What a runner does around the pacer's writes. */
export interface WriteHooks<P extends PacedCommand> {
  /** May the next command be written (besides the pacer's own gap)? Default: yes. */
  ready?: () => boolean;
  /** The write of `p` starts: listening for its answer starts with it (a fast device can answer first). */
  writing: (p: P) => void;
  /** The write completed; the runner reports it and calls pause() when the next may follow. */
  written: (p: P) => void;
  /** The port closed under the write: stop listening; `p` goes back to the front of the queue. */
  notWritten: (p: P) => void;
  /** The log message when a write failed. */
  notWrittenMessage: string;
  /** Expires what the runner holds itself, after the queue's own expiries. */
  expireHeld?: (now: number) => void;
  /** The log message for a rejected, expired or failed command. */
  outcomeMessage: (p: P, status: CommandStatus) => string;
}

/** What a command runner is given (the pacer uses all but `subscribe`). */
export interface CommandRunnerOptions {
  port: string;
  base: string;
  gatewayId: string;
  profile: LoadedProfile;
  /** Writes one line to the port (rejects when it is not open). */
  write: (line: string) => Promise<void>;
  isOpen: () => boolean;
  subscribe: Subscribe;
  /** Result events go through the queue like readings: they survive a broker outage. */
  submit: (messages: OutMessage[]) => Promise<unknown>;
  log: Logger;
  now?: () => number;
}

/** Every counter at 0. */
export function newCommandCounters(): CommandCounters {
  return { received: 0, written: 0, rejected: 0, expired: 0, acked: 0, failed: 0 };
}

export class CommandPacer<P extends PacedCommand> {
  /** Ready to be written, in order. */
  readonly queue: P[] = [];
  private readonly outcomes: RateLimitedLog;
  private readonly commandOptions: CommandOptions;
  private readonly now: () => number;
  private busy = false;
  private gapTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private sequence = 0;
  private stopped = false;

  constructor(
    private readonly options: CommandRunnerOptions,
    private readonly counters: CommandCounters,
    private readonly hooks: WriteHooks<P>,
  ) {
    /**
     * Anyone allowed to publish `…/set` can send thousands of bad commands: each still gets its
     * `…/result` and is counted, but the log (and the status page's recent errors) gets a few per
     * command and outcome each minute, then one "N more suppressed" line, like bad device input.
     */
    this.now = options.now ?? Date.now;
    this.commandOptions = options.profile.command_options;
    this.outcomes = createRateLimitedLog(options.log, { perWindow: 5, windowMs: 60_000, now: this.now });
  }

  /** Commands waiting for a closed port expire on time even when nothing else happens. */
  start(): void {
    this.expiryTimer = setInterval(() => this.expire(), 1000);
    this.expiryTimer.unref();
  }

  /** No more writes; the runner then fails what it waits for and calls expireAll(). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.expiryTimer);
    clearTimeout(this.gapTimer);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Everything still queued expires with `reason`. */
  expireAll(reason: string): void {
    for (const p of this.queue.splice(0)) this.result(p, 'expired', reason);
  }

  flushLog(): void {
    this.outcomes.flush();
  }

  /** Counts a `…/set` message and gives its id: the MQTT 5 correlation data, else one of ours. */
  received(m: InboundMessage): string {
    this.counters.received += 1;
    return (
      m.correlationData?.toString('utf8') ??
      `${this.options.gatewayId}-${this.options.port}-${++this.sequence}`
    );
  }

  /**
   * MQTT 3.1.1 §3.3.1.3: retained means "the last value someone left here", not a request made
   * now — replayed after every broker restart it would switch things by itself.
   */
  retainedRefusal(m: InboundMessage): string | undefined {
    return m.retain && !this.commandOptions.accept_retained
      ? 'retained command ignored (command_options.accept_retained: false)'
      : undefined;
  }

  /** MQTT 5 §3.3.2.3.3: a message expiry interval of 0 has expired on arrival. */
  expiredOnArrival(m: InboundMessage): string | undefined {
    return m.expirySeconds === 0 ? 'message expiry interval 0' : undefined;
  }

  /** Why one more command may not wait, with `waiting` already waiting for this port. */
  fullRefusal(waiting: number): string | undefined {
    const max = this.commandOptions.max_pending;
    return waiting >= max ? `${max} commands already waiting for this port` : undefined;
  }

  /** When a command received now expires: its time to live, shortened by the message's expiry. */
  deadline(m: InboundMessage, ttlMs: number = this.commandOptions.ttl): number {
    return this.now() + Math.min(ttlMs, m.expirySeconds === undefined ? Infinity : m.expirySeconds * 1000);
  }

  /** Queues commands to be written in order. */
  push(...commands: P[]): void {
    this.queue.push(...commands);
    this.pump();
  }

  /** Writes the next command, when the port is open and nothing else is going on. */
  pump(): void {
    if (this.stopped || this.busy || this.gapTimer !== undefined || this.hooks.ready?.() === false) return;
    this.expire();
    const next = this.queue[0];
    if (next === undefined || !this.options.isOpen()) return;
    this.queue.shift();
    this.busy = true;
    this.hooks.writing(next);
    this.options.write(next.line).then(
      () => {
        this.busy = false;
        this.hooks.written(next);
      },
      (error: unknown) => {
        // The port closed under the write: the command waits for the port again (if in time).
        this.busy = false;
        this.hooks.notWritten(next);
        this.options.log.debug({ err: errorMessage(error) }, this.hooks.notWrittenMessage);
        this.queue.unshift(next);
        this.pause();
      },
    );
  }

  /** True while a write is under way (its completion has not come back). */
  get writeInProgress(): boolean {
    return this.busy;
  }

  /** The gap after each command before the next one is written. */
  pause(): void {
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      this.pump();
    }, this.commandOptions.gap);
  }

  private expire(): void {
    const now = this.now();
    if (this.queue.some((p) => p.deadline <= now)) {
      const reason = this.options.isOpen() ? 'not written in time' : 'port closed';
      const expired = this.queue.filter((p) => p.deadline <= now);
      const kept = this.queue.filter((p) => p.deadline > now);
      this.queue.splice(0, this.queue.length, ...kept);
      for (const p of expired) this.result(p, 'expired', reason);
    }
    this.hooks.expireHeld?.(now);
  }

  /** Counts the outcome, logs the bad ones (rate-limited) and queues the `…/result` event. */
  result(p: P, status: CommandStatus, reason?: string): void {
    this.counters[status] += 1;
    const { base, port } = this.options;
    const event = { id: p.id, command: p.label, status, ...(reason === undefined ? {} : { reason }) };
    if (status === 'rejected' || status === 'expired' || status === 'failed')
      this.outcomes.warn(`${p.label}\0${status}`, event, this.hooks.outcomeMessage(p, status));
    // The levels may come from the client's topic; one that is not a plain level gets no result topic.
    if (!areTopicLevels(p.label)) return;
    this.options
      .submit([
        {
          port,
          topic: resultTopic(portTopic(base, port, p.label)),
          payload: Buffer.from(JSON.stringify(event)),
          qos: 1,
          retain: false,
          createdAt: this.now(),
        },
      ])
      .catch((error: unknown) =>
        this.options.log.warn({ err: errorMessage(error) }, 'command result not queued'),
      );
  }
}
