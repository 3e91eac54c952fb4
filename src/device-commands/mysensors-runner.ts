// Generic commands to MySensors nodes (controller mode): subscribes
// `<base>/<port>/+/+/+/set`, checks each message (mysensors/command-topic.ts) against what
// the node presented, writes `node;child;1;1;type;value` and waits for the node's echo
// (the same message with ack 1): `acked`, or `failed: timeout` after mysensors.ack_timeout.
// Results go to `<base>/<port>/<node>/<child>/<V_TYPE>/result` like the profile's own
// commands: {"id":…,"command":"<node>/<child>/<V_TYPE>","status":…,"reason":…}. Pacing, time
// to live and result events are command-pacer.ts's, as for line commands.
//
// Smart sleep (MySensors 2.2+): a node announces sleep with I_PRE_SLEEP_NOTIFICATION, its
// payload the milliseconds it keeps listening, and may say I_POST_SLEEP_NOTIFICATION when it
// wakes. A node that ever announced sleep is a sleeper: commands to it are held until it is
// heard from (pre-sleep window, post-sleep, or any message) and written then — held at most
// mysensors.sleep_ttl. Bounds: command_options.max_pending commands per port in all, held
// or in flight, each line at most 25 bytes of payload.
import type { MySensorsMessage } from '../line/mysensors.ts';
import type { InboundMessage } from '../mqtt/subscriptions.ts';
import { portTopic, setTopic } from '../topics/gateway-owned.ts';
import { commandLine, parseTarget } from '../mysensors/command-topic.ts';
import type { CommandTarget } from '../mysensors/command-topic.ts';
import {
  C_INTERNAL,
  C_SET,
  I_POST_SLEEP_NOTIFICATION,
  I_PRE_SLEEP_NOTIFICATION,
} from '../mysensors/protocol.ts';
import { CommandPacer, newCommandCounters } from './command-pacer.ts';
import type { CommandCounters, CommandRunnerOptions, PacedCommand } from './command-pacer.ts';

/** Listening time assumed after a sleeper's message other than I_PRE_SLEEP_NOTIFICATION. */
const WAKE_WINDOW_MS = 500;
/** A pre-sleep window longer than this is taken as this (the payload is the node's word). */
const MAX_WAKE_WINDOW_MS = 60_000;

export interface MySensorsCommandCounters extends CommandCounters {
  /** Commands held for a sleeping node (written when it wakes, or expired). */
  held: number;
}

export interface MySensorsCommandRunnerOptions extends CommandRunnerOptions {
  /** Has the node presented this child (the controller's table)? */
  hasChild: (node: number, child: number) => boolean;
}

/** `label` is `<node>/<child>/<V_TYPE>` as the topic named it. */
interface Pending extends PacedCommand {
  target: CommandTarget;
}

interface Awaiting {
  pending: Pending;
  timer: NodeJS.Timeout;
}

export class MySensorsCommandRunner {
  readonly counters: MySensorsCommandCounters = { ...newCommandCounters(), held: 0 };
  private readonly now: () => number;
  private readonly pacer: CommandPacer<Pending>;
  /** Held for sleeping nodes, per node. */
  private readonly held = new Map<number, Pending[]>();
  /** Written, waiting for their echo. */
  private readonly awaiting: Awaiting[] = [];
  /** Sleepers: node → until when it listens. */
  private readonly awakeUntil = new Map<number, number>();
  private remove: (() => void) | null = null;

  constructor(private readonly options: MySensorsCommandRunnerOptions) {
    this.now = options.now ?? Date.now;
    this.pacer = new CommandPacer<Pending>(options, this.counters, {
      writing: (p) => this.awaitEcho(p),
      written: () => {
        this.counters.written += 1;
        this.pacer.pause();
      },
      notWritten: (p) => {
        const i = this.awaiting.findIndex((a) => a.pending === p);
        const [a] = i === -1 ? [] : this.awaiting.splice(i, 1);
        clearTimeout(a?.timer);
      },
      notWrittenMessage: 'mysensors command not written',
      expireHeld: (now) => this.expireHeld(now),
      outcomeMessage: (_p, status) => `mysensors command ${status}`,
    });
  }

  start(): void {
    const { base, port } = this.options;
    const prefix = `${base}/${port}/`;
    this.remove = this.options.subscribe(setTopic(portTopic(base, port, '+/+/+')), 1, (m) =>
      this.receive(m.topic.slice(prefix.length).split('/').slice(0, -1), m),
    );
    this.pacer.start();
  }

  stop(): void {
    this.pacer.stop();
    this.remove?.();
    for (const a of this.awaiting.splice(0)) {
      clearTimeout(a.timer);
      this.pacer.result(a.pending, 'failed', 'gateway stopping before the node answered');
    }
    this.pacer.expireAll('gateway stopping');
    for (const list of this.held.values())
      for (const p of list) this.pacer.result(p, 'expired', 'gateway stopping');
    this.held.clear();
    this.pacer.flushLog();
  }

  portOpened(): void {
    this.pacer.pump();
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
    this.pacer.result(a.pending, 'acked');
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
    this.pacer.push(...held);
  }

  private pendingCount(): number {
    let n = this.pacer.queue.length + this.awaiting.length;
    for (const list of this.held.values()) n += list.length;
    return n;
  }

  private receive(levels: string[], m: InboundMessage): void {
    const id = this.pacer.received(m);
    const parsed = parseTarget(levels);
    const label = levels.join('/');
    const target: CommandTarget = parsed.ok ? parsed.target : { node: 0, child: 0, type: 0, vName: '' };
    const base: Pending = { id, label, target, line: '', deadline: 0 };
    const retained = this.pacer.retainedRefusal(m);
    if (retained !== undefined) return this.pacer.result(base, 'rejected', retained);
    if (!parsed.ok) return this.pacer.result(base, 'rejected', parsed.reason);
    const expired = this.pacer.expiredOnArrival(m);
    if (expired !== undefined) return this.pacer.result(base, 'expired', expired);
    if (!this.options.hasChild(target.node, target.child))
      return this.pacer.result(
        base,
        'rejected',
        `node ${target.node} has not presented child ${target.child}`,
      );
    const line = commandLine(target, m.payload);
    if (!line.ok) return this.pacer.result(base, 'rejected', line.reason);
    const full = this.pacer.fullRefusal(this.pendingCount());
    if (full !== undefined) return this.pacer.result(base, 'rejected', full);
    const spec = this.options.profile.mysensors;
    const sleeping = this.isAsleep(target.node);
    const ttl = sleeping && spec !== undefined ? spec.sleep_ttl : undefined;
    const pending: Pending = { ...base, line: line.line, deadline: this.pacer.deadline(m, ttl) };
    if (sleeping) {
      this.counters.held += 1;
      const list = this.held.get(target.node) ?? [];
      list.push(pending);
      this.held.set(target.node, list);
      return;
    }
    this.pacer.push(pending);
  }

  private isAsleep(node: number): boolean {
    const until = this.awakeUntil.get(node);
    return until !== undefined && this.now() > until;
  }

  /** Waiting for the echo starts with the write: a fast node can answer before it completes. */
  private awaitEcho(p: Pending): void {
    const timeoutMs = this.options.profile.mysensors?.ack_timeout ?? 2000;
    const awaiting: Awaiting = {
      pending: p,
      timer: setTimeout(() => {
        const i = this.awaiting.indexOf(awaiting);
        if (i === -1) return;
        this.awaiting.splice(i, 1);
        this.pacer.result(p, 'failed', 'timeout');
      }, timeoutMs),
    };
    this.awaiting.push(awaiting);
  }

  /** Commands held for a node that stayed asleep past their time to live. */
  private expireHeld(now: number): void {
    for (const [node, list] of this.held) {
      const late = list.filter((p) => p.deadline <= now);
      if (late.length === 0) continue;
      const left = list.filter((p) => p.deadline > now);
      if (left.length === 0) this.held.delete(node);
      else this.held.set(node, left);
      for (const p of late) this.pacer.result(p, 'expired', `node ${node} stayed asleep`);
    }
  }
}
