// One line-protocol port's protocol (docs/contract.md §4.1): serial bytes → lines → envelope
// (checksum, #seq) → decoder → validation → topics → outbox, and ACK/NAK back to the device
// (line-outcomes.ts). A MySensors serial gateway in controller mode adds mysensors-part.ts;
// profile commands are written to the device by device-commands/line-runner.ts.
import type { LoadedProfile } from '../config/load.ts';
import type { PortConfig } from '../config/schema.ts';
import { CommandRunner } from '../device-commands/line-runner.ts';
import type { LineFramer } from '../framing/line.ts';
import { createLinePipeline } from '../line/line-pipeline.ts';
import type { LinePipeline } from '../line/line-pipeline.ts';
import type { Logger } from '../log/logger.ts';
import type { Subscribe } from '../mqtt/subscriptions.ts';
import type { MySensorsStore } from '../mysensors/store.ts';
import type { FieldValue } from '../pipeline/types.ts';
import type { ValidationResult } from '../pipeline/validate.ts';
import type { Outbox } from '../queue/outbox.ts';
import type { CloseKind, ChunkInfo } from '../serial/port.ts';
import { acceptLine } from './line-accept.ts';
import type { AcceptSteps } from './line-accept.ts';
import { LineOutcomes } from './line-outcomes.ts';
import { MySensorsPart, runnerWiring } from './mysensors-part.ts';
import { PortHost } from './port-host.ts';
import type { PortHostOptions } from './port-host.ts';
import { countDiscard, createLinePortCounters } from './port-counters.ts';
import type { LinePortCounters } from './port-counters.ts';
import type { LineSection, MySensorsSection } from './port-view.ts';
import type { PortIo, ProtocolPart } from './protocol-part.ts';

export interface LinePartOptions {
  port: PortConfig;
  profile: LoadedProfile;
  base: string;
  gatewayId: string;
  outbox: Outbox;
  log: Logger;
  /** Broker subscriptions for the profile's commands (absent: commands are not taken). */
  subscribe?: Subscribe;
  /** A reading was queued: its valid fields (the status page's last values). */
  onReading?: (values: ReadonlyMap<string, FieldValue>, at: number) => void;
  /** Where a MySensors controller keeps its nodes and last values (the queue database). */
  mysensorsStore?: MySensorsStore;
  /** What gateway/devices shows of the port changed (a MySensors node appeared or changed). */
  onDevicesChanged?: () => void;
}

type LinePortSection = LineSection | MySensorsSection;

/** A line port: the port host with the line part (and MySensors controller mode). */
export function createLinePort(options: PortHostOptions & LinePartOptions): PortHost<LinePortSection> {
  return new PortHost(options, (io) => new LinePart(options, io));
}

export class LinePart implements ProtocolPart<LinePortSection> {
  readonly format: string;
  readonly counters: LinePortCounters = createLinePortCounters();
  private readonly framer: LineFramer;
  private readonly pipeline: LinePipeline;
  private readonly steps: AcceptSteps;
  private readonly outcomes: LineOutcomes;
  /** Data has arrived since the port was first opened or last lost. */
  private heard = false;
  private seen: number | null = null;
  private readonly commands: CommandRunner | null;
  /** MySensors controller mode (profile `mysensors: { controller: true }`), else null. */
  private readonly mysensors: MySensorsPart | null;

  constructor(
    private readonly options: LinePartOptions,
    private readonly io: PortIo,
  ) {
    const { port, profile, log, subscribe } = options;
    const line = profile.line;
    if (line === undefined) throw new Error(`profile ${profile.id} has no line: section`);
    this.format = line.format;
    this.pipeline = createLinePipeline({ port, profile, base: options.base, gatewayId: options.gatewayId });
    this.framer = this.pipeline.createFramer();
    this.outcomes = new LineOutcomes({
      port: port.name,
      outbox: options.outbox,
      ack: line.ack === true,
      counters: this.counters,
      io,
      log,
      onReading: options.onReading,
    });
    // What both command runners need from the port: the same for line and MySensors commands.
    const wiring = runnerWiring(
      { port: port.name, base: options.base, gatewayId: options.gatewayId, profile, log },
      options.outbox,
      io,
    );
    this.commands =
      subscribe === undefined || Object.keys(profile.commands).length === 0
        ? null
        : new CommandRunner({ ...wiring, subscribe });
    // The runner's own counters, live: they show in gateway/health and the stop line.
    if (this.commands !== null) this.counters.commands = this.commands.counters;
    this.mysensors = MySensorsPart.forProfile(
      profile,
      {
        port: port.name,
        base: options.base,
        store: options.mysensorsStore,
        isFixedKey: (key) => this.pipeline.fields.byKey.has(key),
        counters: this.counters,
        wiring,
        subscribe,
        onDevicesChanged: options.onDevicesChanged,
      },
      io,
    );
    this.steps = {
      pipeline: this.pipeline,
      mysensors: this.mysensors,
      now: io.now,
      onChecked: (checked) => this.countChecked(checked),
    };
  }

  section(): LinePortSection {
    return this.mysensors === null
      ? { protocol: 'line', counters: this.counters }
      : { protocol: 'mysensors', counters: this.counters, nodes: this.mysensors.nodes() };
  }

  start(): void {
    this.commands?.start();
    this.mysensors?.start();
  }

  stop(): void {
    this.commands?.stop();
    this.mysensors?.stop();
  }

  finish(): Promise<void> {
    return this.outcomes.finish();
  }

  opened(): void {
    this.framer.reset();
  }

  resumed(): void {
    this.commands?.portOpened();
    this.mysensors?.resumed();
  }

  closed(kind: CloseKind): void {
    // Our own reopen (idle_timeout, restart_port) says nothing about the device: it stays
    // available while it is heard from within availability_timeout. A loss does: a replugged
    // device is online again once it has been heard from.
    if (kind === 'loss') this.heard = false;
  }

  /** Heard from since the port was last lost, and within the profile's availability timeout. */
  present(): boolean {
    return (
      this.heard &&
      this.seen !== null &&
      this.io.now() - this.seen <= this.options.profile.availabilityTimeoutMs
    );
  }

  lastSeen(): number | null {
    return this.seen;
  }

  received(chunk: Buffer, info: ChunkInfo): void {
    // A line that began after the open settled is whole (src/serial/in-flight.ts).
    if (info.first && !info.inFlightAtOpen) this.framer.keepFirstLine();
    this.counters.bytes += chunk.length;
    const now = this.io.now();
    // Heard again after a silence past availability_timeout: online now, not at the next check.
    const wasSilent =
      !this.heard || this.seen === null || now - this.seen > this.options.profile.availabilityTimeoutMs;
    this.seen = now;
    this.heard = true;
    if (wasSilent) this.io.changed();
    for (const event of this.framer.push(chunk)) {
      if (event.kind === 'line') this.onLine(event.text);
      else if (event.reason === 'empty' || event.reason === 'partial_first_line')
        countDiscard(this.counters.discards, event.reason);
      else this.outcomes.discard(event.reason, `${event.bytes} bytes`, null);
    }
  }

  private onLine(text: string): void {
    this.counters.lines += 1;
    // The device's answer to a command (the profile's reply pattern) is not a reading.
    if (this.commands?.onDeviceLine(text) === true) return;
    const envelope = this.pipeline.envelope(text);
    if (!envelope.ok) {
      this.outcomes.discard(envelope.reason, envelope.detail, envelope.seq);
      return;
    }
    const { seq, body } = envelope;
    this.outcomes.inTurn(seq, async () => {
      await acceptLine(this.steps, body, this.outcomes.of(body, seq));
    });
  }

  /** Field rejections and undeclared keys are counted, and logged at a limited rate. */
  private countChecked(checked: ValidationResult): void {
    this.counters.unknownKeys += checked.unknownKeys.length;
    this.counters.fieldRejects += checked.rejected.length;
    for (const r of checked.rejected)
      this.io.badInput.warn(`field:${r.field}`, { field: r.field, reason: r.reason }, 'field rejected');
  }
}
