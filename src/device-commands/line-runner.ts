// Commands to one line device: subscribes `<base>/<port>/<command>/set` for
// each command of the profile, checks and renders every message (device-commands/render.ts), and
// writes the lines one at a time, `command_options.gap` apart, so a burst cannot overflow
// the device's receive buffer. While the port is closed commands wait, at most `max_pending`
// of them and at most their time to live. Each command ends in events on
// `<base>/<port>/<command>/result`:
//   {"id":…,"command":…,"status":"written|rejected|expired|acked|failed","reason":…}
// `acked`/`failed` follow `written` when the profile declares a reply pattern: the next
// device line matching it (within its timeout) is the answer, and is not read as data.
import type { LoadedProfile } from '../config/load.ts';
import type { Logger } from '../log/logger.ts';
import type { InboundMessage, Subscribe } from '../mqtt/subscriptions.ts';
import { portTopic, resultTopic, setTopic } from '../topics/gateway-owned.ts';
import { compileCommand } from './render.ts';
import type { CompiledCommand } from './render.ts';
import type { OutMessage } from '../queue/outbox.ts';
import { createRateLimitedLog } from '../log/rate-limited-log.ts';
import type { RateLimitedLog } from '../log/rate-limited-log.ts';

export type CommandStatus = 'written' | 'rejected' | 'expired' | 'acked' | 'failed';

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

interface Pending {
  id: string;
  command: CompiledCommand;
  line: string;
  deadline: number;
}

interface Awaiting {
  pending: Pending;
  reply: NonNullable<CompiledCommand['reply']>;
  /** Armed once the write has completed. */
  timer: NodeJS.Timeout | undefined;
  /** An answer that came before the write's completion: reported right after `written`. */
  early?: { status: 'acked' | 'failed'; reason?: string };
}

export interface CommandCounters {
  received: number;
  written: number;
  rejected: number;
  expired: number;
  acked: number;
  failed: number;
}

export class CommandRunner {
  readonly counters: CommandCounters = {
    received: 0,
    written: 0,
    rejected: 0,
    expired: 0,
    acked: 0,
    failed: 0,
  };
  private readonly commands: CompiledCommand[];
  private readonly queue: Pending[] = [];
  private readonly removers: (() => void)[] = [];
  private readonly now: () => number;
  private busy = false;
  private awaiting: Awaiting | null = null;
  private expiryTimer: NodeJS.Timeout | undefined;
  private gapTimer: NodeJS.Timeout | undefined;
  private sequence = 0;
  private stopped = false;
  /**
   * Anyone allowed to publish `…/set` can send thousands of bad commands: each still gets its
   * `…/result` and is counted, but the log (and the status page's recent errors) gets a few per
   * command and outcome each minute, then one "N more suppressed" line, like bad device input.
   */
  private readonly outcomes: RateLimitedLog;

  constructor(private readonly options: CommandRunnerOptions) {
    this.now = options.now ?? Date.now;
    this.outcomes = createRateLimitedLog(options.log, { perWindow: 5, windowMs: 60_000, now: this.now });
    const maxBytes = options.profile.command_options.max_bytes;
    this.commands = Object.entries(options.profile.commands).map(([name, spec]) =>
      compileCommand(name, spec, maxBytes),
    );
  }

  start(): void {
    const { base, port } = this.options;
    for (const command of this.commands)
      this.removers.push(
        this.options.subscribe(setTopic(portTopic(base, port, command.name)), 1, (m) =>
          this.receive(command, m),
        ),
      );
    // Commands waiting for a closed port expire on time even when nothing else happens.
    this.expiryTimer = setInterval(() => this.expire(), 1000);
    this.expiryTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    for (const remove of this.removers.splice(0)) remove();
    clearInterval(this.expiryTimer);
    clearTimeout(this.gapTimer);
    if (this.awaiting !== null) {
      clearTimeout(this.awaiting.timer);
      this.result(this.awaiting.pending, 'failed', 'gateway stopping before the device answered');
      this.awaiting = null;
    }
    for (const p of this.queue.splice(0)) this.result(p, 'expired', 'gateway stopping');
    this.outcomes.flush();
  }

  /** The port (re)opened: what waited for it goes out now. */
  portOpened(): void {
    this.pump();
  }

  /** A line from the device: the awaited reply (consumed, true) or data (false). */
  onDeviceLine(text: string): boolean {
    const a = this.awaiting;
    if (a === null) return false;
    let status: 'acked' | 'failed';
    let reason: string | undefined;
    if (a.reply.ok.test(text)) status = 'acked';
    else {
      const match = a.reply.error?.exec(text);
      if (match === null || match === undefined) return false;
      status = 'failed';
      reason = match.groups?.['reason'] ?? text;
    }
    // A fast device can answer before the write's completion reaches us: keep the order
    // written → acked/failed by holding the answer until then.
    if (this.busy) a.early = reason === undefined ? { status } : { status, reason };
    else this.answer(a, status, reason);
    return true;
  }

  private receive(command: CompiledCommand, m: InboundMessage): void {
    this.counters.received += 1;
    const id =
      m.correlationData?.toString('utf8') ??
      `${this.options.gatewayId}-${this.options.port}-${++this.sequence}`;
    const opts = this.options.profile.command_options;
    const base = { id, command, line: '', deadline: 0 };
    // MQTT 3.1.1 §3.3.1.3: retained means "the last value someone left here", not a request
    // made now — replayed after every broker restart it would switch things by itself.
    if (m.retain && !opts.accept_retained)
      return this.result(
        base,
        'rejected',
        'retained command ignored (command_options.accept_retained: false)',
      );
    if (m.expirySeconds === 0) return this.result(base, 'expired', 'message expiry interval 0');
    const prepared = command.prepare(m.payload);
    if (!prepared.ok) return this.result(base, 'rejected', prepared.reason);
    if (this.queue.length >= opts.max_pending)
      return this.result(base, 'rejected', `${opts.max_pending} commands already waiting for this port`);
    const ttl = Math.min(opts.ttl, m.expirySeconds === undefined ? Infinity : m.expirySeconds * 1000);
    this.queue.push({ id, command, line: prepared.line, deadline: this.now() + ttl });
    this.pump();
  }

  private pump(): void {
    if (this.stopped || this.busy || this.awaiting !== null || this.gapTimer !== undefined) return;
    this.expire();
    const next = this.queue[0];
    if (next === undefined || !this.options.isOpen()) return;
    this.queue.shift();
    this.busy = true;
    // Listening for the reply starts with the write, not after it: see onDeviceLine.
    const reply = next.command.reply;
    const awaiting: Awaiting | null = reply === null ? null : { pending: next, reply, timer: undefined };
    this.awaiting = awaiting;
    this.options.write(next.line).then(
      () => {
        this.busy = false;
        this.result(next, 'written');
        if (awaiting === null || this.stopped) return this.pause();
        if (awaiting.early !== undefined)
          return this.answer(awaiting, awaiting.early.status, awaiting.early.reason);
        awaiting.timer = setTimeout(() => {
          if (this.awaiting === awaiting) this.answer(awaiting, 'failed', 'timeout');
        }, awaiting.reply.timeoutMs);
      },
      (error: unknown) => {
        // The port closed under the write: the command waits for the port again (if in time).
        this.busy = false;
        this.awaiting = null;
        this.options.log.debug({ err: (error as Error).message }, 'command not written');
        this.queue.unshift(next);
        this.pause();
      },
    );
  }

  private answer(a: Awaiting, status: 'acked' | 'failed', reason?: string): void {
    clearTimeout(a.timer);
    this.awaiting = null;
    this.result(a.pending, status, reason);
    this.pause();
  }

  /** The gap after each command before the next one is written. */
  private pause(): void {
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      this.pump();
    }, this.options.profile.command_options.gap);
  }

  private expire(): void {
    const now = this.now();
    if (!this.queue.some((p) => p.deadline <= now)) return;
    const reason = this.options.isOpen() ? 'not written in time' : 'port closed';
    const expired = this.queue.filter((p) => p.deadline <= now);
    const kept = this.queue.filter((p) => p.deadline > now);
    this.queue.splice(0, this.queue.length, ...kept);
    for (const p of expired) this.result(p, 'expired', reason);
  }

  private result(p: Pending, status: CommandStatus, reason?: string): void {
    this.counters[status] += 1;
    const { base, port } = this.options;
    const event = { id: p.id, command: p.command.name, status, ...(reason === undefined ? {} : { reason }) };
    if (status === 'rejected' || status === 'expired' || status === 'failed')
      this.outcomes.warn(
        `${p.command.name}\0${status}`,
        { port, ...event },
        `command ${p.command.name} ${status}`,
      );
    this.options
      .submit([
        {
          port,
          topic: resultTopic(portTopic(base, port, p.command.name)),
          payload: Buffer.from(JSON.stringify(event)),
          qos: 1,
          retain: false,
          createdAt: this.now(),
        },
      ])
      .catch((error: unknown) =>
        this.options.log.warn({ err: (error as Error).message }, 'command result not queued'),
      );
  }
}
