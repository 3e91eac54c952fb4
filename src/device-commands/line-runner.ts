// Commands to one line device: subscribes `<base>/<port>/<command>/set` for
// each command of the profile, checks and renders every message (device-commands/render.ts), and
// hands the lines to the pacer (command-pacer.ts: one at a time, `command_options.gap` apart;
// while the port is closed at most `max_pending` wait, at most their time to live). Each
// command ends in events on `<base>/<port>/<command>/result`:
//   {"id":…,"command":…,"status":"written|rejected|expired|acked|failed","reason":…}
// `acked`/`failed` follow `written` when the profile declares a reply pattern: the next
// device line matching it (within its timeout) is the answer, and is not read as data.
import type { InboundMessage } from '../mqtt/subscriptions.ts';
import { portTopic, setTopic } from '../topics/gateway-owned.ts';
import { compileCommand } from './render.ts';
import type { CompiledCommand } from './render.ts';
import { CommandPacer, newCommandCounters } from './command-pacer.ts';
import type { CommandCounters, CommandRunnerOptions, PacedCommand } from './command-pacer.ts';

interface Pending extends PacedCommand {
  command: CompiledCommand;
}

interface Awaiting {
  pending: Pending;
  reply: NonNullable<CompiledCommand['reply']>;
  /** Armed once the write has completed. */
  timer: NodeJS.Timeout | undefined;
  /** An answer that came before the write's completion: reported right after `written`. */
  early?: { status: 'acked' | 'failed'; reason?: string };
}

export class CommandRunner {
  readonly counters: CommandCounters = newCommandCounters();
  private readonly commands: CompiledCommand[];
  private readonly removers: (() => void)[] = [];
  private readonly pacer: CommandPacer<Pending>;
  private awaiting: Awaiting | null = null;

  constructor(private readonly options: CommandRunnerOptions) {
    const maxBytes = options.profile.command_options.max_bytes;
    this.commands = Object.entries(options.profile.commands).map(([name, spec]) =>
      compileCommand(name, spec, maxBytes),
    );
    this.pacer = new CommandPacer<Pending>(options, this.counters, {
      // One command at a time: the next waits for this one's answer.
      ready: () => this.awaiting === null,
      writing: (p) => {
        // Listening for the reply starts with the write, not after it: see onDeviceLine.
        const reply = p.command.reply;
        this.awaiting = reply === null ? null : { pending: p, reply, timer: undefined };
      },
      written: (p) => this.written(p),
      notWritten: () => {
        this.awaiting = null;
      },
      notWrittenMessage: 'command not written',
      outcomeMessage: (p, status) => `command ${p.label} ${status}`,
    });
  }

  start(): void {
    const { base, port } = this.options;
    for (const command of this.commands)
      this.removers.push(
        this.options.subscribe(setTopic(portTopic(base, port, command.name)), 1, (m) =>
          this.receive(command, m),
        ),
      );
    this.pacer.start();
  }

  stop(): void {
    this.pacer.stop();
    for (const remove of this.removers.splice(0)) remove();
    if (this.awaiting !== null) {
      clearTimeout(this.awaiting.timer);
      this.pacer.result(this.awaiting.pending, 'failed', 'gateway stopping before the device answered');
      this.awaiting = null;
    }
    this.pacer.expireAll('gateway stopping');
    this.pacer.flushLog();
  }

  /** The port (re)opened: what waited for it goes out now. */
  portOpened(): void {
    this.pacer.pump();
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
    if (this.pacer.writeInProgress) a.early = reason === undefined ? { status } : { status, reason };
    else this.answer(a, status, reason);
    return true;
  }

  private receive(command: CompiledCommand, m: InboundMessage): void {
    const id = this.pacer.received(m);
    const base: Pending = { id, label: command.name, command, line: '', deadline: 0 };
    const retained = this.pacer.retainedRefusal(m);
    if (retained !== undefined) return this.pacer.result(base, 'rejected', retained);
    const expired = this.pacer.expiredOnArrival(m);
    if (expired !== undefined) return this.pacer.result(base, 'expired', expired);
    const prepared = command.prepare(m.payload);
    if (!prepared.ok) return this.pacer.result(base, 'rejected', prepared.reason);
    const full = this.pacer.fullRefusal(this.pacer.queue.length);
    if (full !== undefined) return this.pacer.result(base, 'rejected', full);
    this.pacer.push({ ...base, line: prepared.line, deadline: this.pacer.deadline(m) });
  }

  private written(p: Pending): void {
    this.pacer.result(p, 'written');
    const awaiting = this.awaiting;
    if (awaiting === null || this.pacer.isStopped) return this.pacer.pause();
    if (awaiting.early !== undefined)
      return this.answer(awaiting, awaiting.early.status, awaiting.early.reason);
    awaiting.timer = setTimeout(() => {
      if (this.awaiting === awaiting) this.answer(awaiting, 'failed', 'timeout');
    }, awaiting.reply.timeoutMs);
  }

  private answer(a: Awaiting, status: 'acked' | 'failed', reason?: string): void {
    clearTimeout(a.timer);
    this.awaiting = null;
    this.pacer.result(a.pending, status, reason);
    this.pacer.pause();
  }
}
