// Generic commands to MySensors nodes (controller mode): subscribes
// `<base>/<port>/+/+/+/set`, checks each message (mysensors/command-topic.ts) against what
// the node presented, writes `node;child;1;1;type;value` and waits for the node's echo
// (the same message with ack 1): `acked`, or `failed: timeout` after mysensors.ack_timeout.
// Results go to `<base>/<port>/<node>/<child>/<V_TYPE>/result` like the profile's own
// commands: {"id":…,"command":"<node>/<child>/<V_TYPE>","status":…,"reason":…}.
//
// Smart sleep (MySensors 2.2+): a node announces sleep with I_PRE_SLEEP_NOTIFICATION, its
// payload the milliseconds it keeps listening, and may say I_POST_SLEEP_NOTIFICATION when it
// wakes. A node that ever announced sleep is a sleeper: commands to it are held until it is
// heard from (pre-sleep window, post-sleep, or any message) and written then — held at most
// mysensors.sleep_ttl. Bounds: command_options.max_pending commands per port in all, held
// or in flight, each line at most 25 bytes of payload.
import type { LoadedProfile } from '../config/load.ts';
import { portTopic, resultTopic, setTopic } from '../topics/gateway-owned.ts';
import { areTopicLevels } from '../topics/level.ts';
import type { MySensorsMessage } from '../line/mysensors.ts';
import type { Logger } from '../log/logger.ts';
import type { InboundMessage, Subscribe } from '../mqtt/subscriptions.ts';
import { commandLine, parseTarget } from '../mysensors/command-topic.ts';
import type { CommandTarget } from '../mysensors/command-topic.ts';
import {
  C_INTERNAL,
  C_SET,
  I_POST_SLEEP_NOTIFICATION,
  I_PRE_SLEEP_NOTIFICATION,
} from '../mysensors/protocol.ts';
import type { OutMessage } from '../queue/outbox.ts';
import type { CommandCounters, CommandStatus } from './line-runner.ts';
import { createRateLimitedLog } from '../log/rate-limited-log.ts';
import type { RateLimitedLog } from '../log/rate-limited-log.ts';

/** Listening time assumed after a sleeper's message other than I_PRE_SLEEP_NOTIFICATION. */
const WAKE_WINDOW_MS = 500;
/** A pre-sleep window longer than this is taken as this (the payload is the node's word). */
const MAX_WAKE_WINDOW_MS = 60_000;

export interface MySensorsCommandCounters extends CommandCounters {
  /** Commands held for a sleeping node (written when it wakes, or expired). */
  held: number;
}

export interface MySensorsCommandRunnerOptions {
  port: string;
  base: string;
  gatewayId: string;
  profile: LoadedProfile;
  /** Has the node presented this child (the controller's table)? */
  hasChild: (node: number, child: number) => boolean;
  write: (line: string) => Promise<void>;
  isOpen: () => boolean;
  subscribe: Subscribe;
  submit: (messages: OutMessage[]) => Promise<unknown>;
  log: Logger;
  now?: () => number;
}

interface Pending {
  id: string;
  /** `<node>/<child>/<V_TYPE>` as the topic named it: the result's topic and `command`. */
  label: string;
  target: CommandTarget;
  line: string;
  deadline: number;
}

interface Awaiting {
  pending: Pending;
  timer: NodeJS.Timeout;
}

export class MySensorsCommandRunner {
  readonly counters: MySensorsCommandCounters = {
    received: 0,
    written: 0,
    rejected: 0,
    expired: 0,
    acked: 0,
    failed: 0,
    held: 0,
  };
  private readonly now: () => number;
  private readonly outcomes: RateLimitedLog;
  /** Ready to be written, in order. */
  private readonly queue: Pending[] = [];
  /** Held for sleeping nodes, per node. */
  private readonly held = new Map<number, Pending[]>();
  /** Written, waiting for their echo. */
  private readonly awaiting: Awaiting[] = [];
  /** Sleepers: node → until when it listens. */
  private readonly awakeUntil = new Map<number, number>();
  private remove: (() => void) | null = null;
  private busy = false;
  private gapTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private sequence = 0;
  private stopped = false;

  constructor(private readonly options: MySensorsCommandRunnerOptions) {
    this.now = options.now ?? Date.now;
    this.outcomes = createRateLimitedLog(options.log, { perWindow: 5, windowMs: 60_000, now: this.now });
  }

  start(): void {
    const { base, port } = this.options;
    const prefix = `${base}/${port}/`;
    this.remove = this.options.subscribe(setTopic(portTopic(base, port, '+/+/+')), 1, (m) =>
      this.receive(m.topic.slice(prefix.length).split('/').slice(0, -1), m),
    );
    this.expiryTimer = setInterval(() => this.expire(), 1000);
    this.expiryTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    this.remove?.();
    clearInterval(this.expiryTimer);
    clearTimeout(this.gapTimer);
    for (const a of this.awaiting.splice(0)) {
      clearTimeout(a.timer);
      this.result(a.pending, 'failed', 'gateway stopping before the node answered');
    }
    for (const p of this.queue.splice(0)) this.result(p, 'expired', 'gateway stopping');
    for (const list of this.held.values())
      for (const p of list) this.result(p, 'expired', 'gateway stopping');
    this.held.clear();
    this.outcomes.flush();
  }

  portOpened(): void {
    this.pump();
  }

  /**
   * Every message from the serial gateway: a node heard from is awake (its held commands go
   * out); an echo of a written command answers it and is consumed (true).
   */
  onMessage(m: MySensorsMessage): boolean {
    this.heard(m);
    if (m.command !== C_SET || m.ack !== 1) return false;
    const i = this.awaiting.findIndex(
      (a) =>
        a.pending.target.node === m.node &&
        a.pending.target.child === m.child &&
        a.pending.target.type === m.type,
    );
    if (i === -1) return false;
    const [a] = this.awaiting.splice(i, 1);
    if (a === undefined) return false;
    clearTimeout(a.timer);
    this.result(a.pending, 'acked');
    return true;
  }

  private heard(m: MySensorsMessage): void {
    const sleepNote = m.command === C_INTERNAL && m.type === I_PRE_SLEEP_NOTIFICATION;
    if (sleepNote) {
      const ms = /^\d{1,9}$/.test(m.payload)
        ? Math.min(Number(m.payload), MAX_WAKE_WINDOW_MS)
        : WAKE_WINDOW_MS;
      this.awakeUntil.set(m.node, this.now() + ms);
    } else if (
      this.awakeUntil.has(m.node) ||
      (m.command === C_INTERNAL && m.type === I_POST_SLEEP_NOTIFICATION)
    )
      this.awakeUntil.set(m.node, this.now() + WAKE_WINDOW_MS);
    const held = this.held.get(m.node);
    if (held === undefined) return;
    this.held.delete(m.node);
    this.queue.push(...held);
    this.pump();
  }

  private pendingCount(): number {
    let n = this.queue.length + this.awaiting.length;
    for (const list of this.held.values()) n += list.length;
    return n;
  }

  private receive(levels: string[], m: InboundMessage): void {
    this.counters.received += 1;
    const parsed = parseTarget(levels);
    const label = levels.join('/');
    const id =
      m.correlationData?.toString('utf8') ??
      `${this.options.gatewayId}-${this.options.port}-${++this.sequence}`;
    const target: CommandTarget = parsed.ok ? parsed.target : { node: 0, child: 0, type: 0, vName: '' };
    const base: Pending = { id, label, target, line: '', deadline: 0 };
    // MQTT 3.1.1 §3.3.1.3: a retained `set` is "the last value someone left", not a request.
    const opts = this.options.profile.command_options;
    if (m.retain && !opts.accept_retained)
      return this.result(
        base,
        'rejected',
        'retained command ignored (command_options.accept_retained: false)',
      );
    if (!parsed.ok) return this.result(base, 'rejected', parsed.reason);
    if (m.expirySeconds === 0) return this.result(base, 'expired', 'message expiry interval 0');
    if (!this.options.hasChild(target.node, target.child))
      return this.result(base, 'rejected', `node ${target.node} has not presented child ${target.child}`);
    const line = commandLine(target, m.payload);
    if (!line.ok) return this.result(base, 'rejected', line.reason);
    if (this.pendingCount() >= opts.max_pending)
      return this.result(base, 'rejected', `${opts.max_pending} commands already waiting for this port`);
    const spec = this.options.profile.mysensors;
    const sleeping = this.isAsleep(target.node);
    const ttl = Math.min(
      sleeping && spec !== undefined ? spec.sleep_ttl : opts.ttl,
      m.expirySeconds === undefined ? Infinity : m.expirySeconds * 1000,
    );
    const pending: Pending = { ...base, line: line.line, deadline: this.now() + ttl };
    if (sleeping) {
      this.counters.held += 1;
      const list = this.held.get(target.node) ?? [];
      list.push(pending);
      this.held.set(target.node, list);
      return;
    }
    this.queue.push(pending);
    this.pump();
  }

  private isAsleep(node: number): boolean {
    const until = this.awakeUntil.get(node);
    return until !== undefined && this.now() > until;
  }

  private pump(): void {
    if (this.stopped || this.busy || this.gapTimer !== undefined) return;
    this.expire();
    const next = this.queue[0];
    if (next === undefined || !this.options.isOpen()) return;
    this.queue.shift();
    this.busy = true;
    const timeoutMs = this.options.profile.mysensors?.ack_timeout ?? 2000;
    // Waiting for the echo starts with the write: a fast node can answer before it completes.
    const awaiting: Awaiting = {
      pending: next,
      timer: setTimeout(() => {
        const i = this.awaiting.indexOf(awaiting);
        if (i === -1) return;
        this.awaiting.splice(i, 1);
        this.result(next, 'failed', 'timeout');
      }, timeoutMs),
    };
    this.awaiting.push(awaiting);
    this.options.write(next.line).then(
      () => {
        this.busy = false;
        this.counters.written += 1;
        this.pause();
      },
      (error: unknown) => {
        // The port closed under the write: the command waits for the port again (if in time).
        this.busy = false;
        clearTimeout(awaiting.timer);
        const i = this.awaiting.indexOf(awaiting);
        if (i !== -1) this.awaiting.splice(i, 1);
        this.options.log.debug({ err: (error as Error).message }, 'mysensors command not written');
        this.queue.unshift(next);
        this.pause();
      },
    );
  }

  private pause(): void {
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      this.pump();
    }, this.options.profile.command_options.gap);
  }

  private expire(): void {
    const now = this.now();
    const reason = this.options.isOpen() ? 'not written in time' : 'port closed';
    const kept = this.queue.filter((p) => p.deadline > now);
    const expired = this.queue.filter((p) => p.deadline <= now);
    this.queue.splice(0, this.queue.length, ...kept);
    for (const p of expired) this.result(p, 'expired', reason);
    for (const [node, list] of this.held) {
      const late = list.filter((p) => p.deadline <= now);
      if (late.length === 0) continue;
      const left = list.filter((p) => p.deadline > now);
      if (left.length === 0) this.held.delete(node);
      else this.held.set(node, left);
      for (const p of late) this.result(p, 'expired', `node ${node} stayed asleep`);
    }
  }

  private result(p: Pending, status: CommandStatus, reason?: string): void {
    this.counters[status] += 1;
    const { base, port } = this.options;
    const event = { id: p.id, command: p.label, status, ...(reason === undefined ? {} : { reason }) };
    if (status === 'rejected' || status === 'expired' || status === 'failed')
      this.outcomes.warn(`${p.label}\0${status}`, { port, ...event }, `mysensors command ${status}`);
    // The levels come from the client's topic; one that is not a plain level gets no result topic.
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
        this.options.log.warn({ err: (error as Error).message }, 'command result not queued'),
      );
  }
}
