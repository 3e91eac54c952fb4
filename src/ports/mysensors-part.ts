// MySensors controller mode (profile `mysensors: { controller: true }`): MySensors is a line
// format, so this plugs into the line part (line-part.ts) and sees each line before the
// decoder. The controller (mysensors/controller.ts) answers the nodes — ids, time, config,
// requests for values — and turns a presented child's C_SET into
// `<port>/<node>/<child>/<V_TYPE>`; generic commands go the other way
// (device-commands/mysensors-runner.ts).
import type { LoadedProfile } from '../config/load.ts';
import type { MySensorsSpec } from '../config/schema.ts';
import type { MySensorsCommandRunnerOptions } from '../device-commands/mysensors-runner.ts';
import { MySensorsCommandRunner } from '../device-commands/mysensors-runner.ts';
import { formatMySensors, parseMySensors, vTypeName } from '../line/mysensors.ts';
import type { Subscribe } from '../mqtt/subscriptions.ts';
import { MySensorsController } from '../mysensors/controller.ts';
import type { NodeView } from '../mysensors/controller.ts';
import { C_SET } from '../mysensors/protocol.ts';
import { MemoryMySensorsStore } from '../mysensors/store.ts';
import type { MySensorsStore } from '../mysensors/store.ts';
import type { OutMessage } from '../queue/outbox.ts';
import { portTopic } from '../topics/gateway-owned.ts';
import type { LineFate } from './line-outcomes.ts';
import type { LinePortCounters } from './port-counters.ts';
import type { PortIo } from './protocol-part.ts';

/** What both command runners need from the port (line-part.ts builds it once). */
export type RunnerWiring = Omit<MySensorsCommandRunnerOptions, 'subscribe' | 'hasChild'>;

/** The runners' wiring to a port's io and queue: one way for the running port and `try`. */
export function runnerWiring(
  fields: Pick<RunnerWiring, 'port' | 'base' | 'gatewayId' | 'profile' | 'log'>,
  outbox: { submit: RunnerWiring['submit'] },
  io: PortIo,
): RunnerWiring {
  return {
    ...fields,
    write: (text) => io.write(text),
    isOpen: () => io.isOpen(),
    submit: (messages) => outbox.submit(messages),
    now: io.now,
  };
}

export interface MySensorsPartOptions {
  port: string;
  base: string;
  spec: MySensorsSpec;
  publish: Pick<OutMessage, 'qos' | 'retain'>;
  /** Where the controller keeps its nodes and last values (the queue database). */
  store?: MySensorsStore | undefined;
  /** A `<child>/<V_TYPE>` key the profile declares as a fixed field. */
  isFixedKey: (key: string) => boolean;
  counters: LinePortCounters;
  wiring: RunnerWiring;
  /** Broker subscriptions for generic commands (absent: commands are not taken). */
  subscribe?: Subscribe | undefined;
  /** What gateway/devices shows of the port changed (a node appeared or changed). */
  onDevicesChanged?: (() => void) | undefined;
}

export class MySensorsPart {
  /**
   * The controller a profile asks for (`line.format: mysensors` and `mysensors.controller:
   * true`), or null: one rule for the running port (line-part.ts) and `try` (line-trial.ts).
   */
  static forProfile(
    profile: LoadedProfile,
    options: Omit<MySensorsPartOptions, 'spec' | 'publish'>,
    io: PortIo,
  ): MySensorsPart | null {
    if (profile.line?.format !== 'mysensors' || profile.mysensors?.controller !== true) return null;
    return new MySensorsPart({ ...options, spec: profile.mysensors, publish: profile.publish }, io);
  }

  private readonly controller: MySensorsController;
  /** Generic commands, `<port>/<node>/<child>/<V_TYPE>/set`. */
  private readonly commands: MySensorsCommandRunner | null;

  constructor(
    private readonly options: MySensorsPartOptions,
    private readonly io: PortIo,
  ) {
    const { port, counters, subscribe } = options;
    const controller = new MySensorsController({
      port,
      spec: options.spec,
      store: options.store ?? new MemoryMySensorsStore(),
      now: io.now,
      onRefusal: (kind, detail) =>
        io.badInput.warn(`mysensors:${kind}`, { reason: kind, detail }, 'mysensors message refused'),
    });
    this.controller = controller;
    // The controller's and the runner's own counters, live: gateway/health and the stop line.
    counters.mysensors = controller.counters;
    this.commands =
      subscribe === undefined
        ? null
        : new MySensorsCommandRunner({
            ...options.wiring,
            subscribe,
            hasChild: (node, child) => controller.hasChild(node, child),
          });
    if (this.commands !== null) counters.mysensorsCommands = this.commands.counters;
  }

  start(): void {
    this.commands?.start();
  }

  stop(): void {
    this.commands?.stop();
  }

  resumed(): void {
    this.commands?.portOpened();
  }

  /** The nodes the port knows. */
  nodes(): NodeView[] {
    return this.controller.nodes();
  }

  /**
   * True when the line is done; false when it goes on to the decoder: it is not a MySensors
   * message (a parse_error there), or it is a C_SET of a key the profile declares as a fixed
   * field — fixed fields stay published as before.
   */
  async accept(body: string, line: LineFate): Promise<boolean> {
    const parsed = parseMySensors(body);
    if (!parsed.ok) return false;
    const m = parsed.message;
    // A node's echo of a generic command is its answer, not a reading.
    if (this.commands?.onMessage(m) === true) return true;
    const outcome = this.controller.handle(m);
    // A controller reply to the serial gateway: one message, one line.
    for (const reply of outcome.replies) this.io.send(`${formatMySensors(reply)}\n`, 'reply not written');
    if (outcome.nodesChanged) this.options.onDevicesChanged?.();
    // A key the profile declares as a fixed field is published there, as without the
    // controller (the controller still keeps its value for C_REQ).
    if (m.command === C_SET && this.options.isFixedKey(`${m.child}/${vTypeName(m.type)}`)) return false;
    const reading = outcome.reading;
    if (reading === null) {
      await line.ignore();
      return true;
    }
    const { port, base, publish } = this.options;
    const at = this.io.now();
    const level = `${reading.node}/${reading.child}/${reading.vName}`;
    const message: OutMessage = {
      port,
      topic: portTopic(base, port, level),
      payload: Buffer.from(reading.text, 'utf8'),
      qos: publish.qos,
      retain: publish.retain,
      createdAt: at,
    };
    await line.queue([message], new Map([[level, reading.text]]), at);
    return true;
  }
}
