// One line-protocol port: serial bytes → lines → envelope (checksum, #seq) → decoder →
// validation → topics → outbox, and ACK/NAK back to the device (docs/contract.md §4.1). Every
// line ends in exactly one counter. Failures stay inside this port: other ports and the
// daemon are unaffected.
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import type { LoadedProfile } from '../config/load.ts';
import { portIdleTimeoutMs } from '../config/idle-timeout.ts';
import type { PortConfig } from '../config/schema.ts';
import { createLineFramer } from '../framing/line.ts';
import type { LineFramer } from '../framing/line.ts';
import { createDecoder } from '../line/decoder.ts';
import { formatAck, formatNak, nakReasonFor, parseEnvelope } from '../line/envelope.ts';
import { createSeqWindow, hashBody } from '../line/seq-window.ts';
import type { Logger } from '../log/logger.ts';
import { gatewayOwnedNames, portTopic } from '../topics/gateway-owned.ts';
import { createMapper } from '../pipeline/map.ts';
import { compileTemplate } from '../topics/template.ts';
import type { DiscardReason, Decoder, FieldValue, Reading } from '../pipeline/types.ts';
import { compileFields, validateValues } from '../pipeline/validate.ts';
import type { FieldTable } from '../pipeline/validate.ts';
import type { OutMessage, Outbox, SubmitResult } from '../queue/outbox.ts';
import { ManagedPort } from '../serial/port.ts';
import type { PortSupervision } from '../serial/port.ts';
import type { Service } from '../service.ts';
import { countDiscard, createPortCounters } from './port-counters.ts';
import type { PortCounters } from './port-counters.ts';
import { createRateLimitedLog } from '../log/rate-limited-log.ts';
import type { RateLimitedLog } from '../log/rate-limited-log.ts';
import { CommandRunner } from '../device-commands/line-runner.ts';
import type { Subscribe } from '../mqtt/subscriptions.ts';
import type { PortView } from './status-reporter.ts';
import { formatMySensors, parseMySensors, vTypeName } from '../line/mysensors.ts';
import { MySensorsController } from '../mysensors/controller.ts';
import type { NodeView } from '../mysensors/controller.ts';
import { MySensorsCommandRunner } from '../device-commands/mysensors-runner.ts';
import { C_SET } from '../mysensors/protocol.ts';
import { MemoryMySensorsStore } from '../mysensors/store.ts';
import type { MySensorsStore } from '../mysensors/store.ts';
import { errorMessage } from '../errors.ts';

export interface LinePortOptions {
  port: PortConfig;
  profile: LoadedProfile;
  base: string;
  gatewayId: string;
  outbox: Outbox;
  log: Logger;
  binding?: BindingInterface | undefined;
  now?: () => number;
  /** Broker subscriptions for the profile's commands (absent: commands are not taken). */
  subscribe?: Subscribe;
  /** The port opened, closed, or was heard from: availability may have changed. */
  onChange: () => void;
  /** A reading was queued: its valid fields (the status page's last values). */
  onReading?: (values: ReadonlyMap<string, FieldValue>, at: number) => void;
  /** Where a MySensors controller keeps its nodes and last values (the queue database). */
  mysensorsStore?: MySensorsStore;
  /** What gateway/devices shows of the port changed (a MySensors node appeared or changed). */
  onDevicesChanged?: () => void;
}

export class LinePort implements Service {
  readonly name: string;
  readonly counters: PortCounters = createPortCounters();
  private readonly serial: ManagedPort;
  private readonly framer: LineFramer;
  private readonly decoder: Decoder;
  private readonly fields: FieldTable;
  private readonly map: ReturnType<typeof createMapper>;
  private readonly seqWindow = createSeqWindow(256);
  /** Lines with a #seq whose messages are being queued: a resend waits for the first. */
  private readonly pendingSeqs = new Map<number, Promise<void>>();
  private readonly badInput: RateLimitedLog;
  private readonly now: () => number;
  /** Data has arrived since the port was first opened or last lost. */
  private heard = false;
  private lastSeen: number | null = null;
  private readonly commands: CommandRunner | null;
  /** MySensors controller mode (profile `mysensors: { controller: true }`), else null. */
  private readonly controller: MySensorsController | null;
  /** Controller mode's generic commands, `<port>/<node>/<child>/<V_TYPE>/set`. */
  private readonly mysensorsCommands: MySensorsCommandRunner | null;

  constructor(private readonly options: LinePortOptions) {
    const { port, profile, log } = options;
    const line = profile.line;
    if (line === undefined) throw new Error(`profile ${profile.id} has no line: section`);
    this.name = `port ${port.name}`;
    this.now = options.now ?? Date.now;
    this.framer = createLineFramer({ maxBytes: line.max_bytes });
    this.decoder = createDecoder(line);
    this.fields = compileFields(profile.fields);
    const template = compileTemplate(profile.topicTemplate);
    if (!template.ok) throw new Error(`profile ${profile.id}: ${template.message}`);
    this.map = createMapper({
      base: options.base,
      gatewayId: options.gatewayId,
      port: port.name,
      portVars: port.vars,
      profile: { publish: profile.publish, fieldOrder: Object.keys(profile.fields) },
      template: template.template,
      owned: gatewayOwnedNames(Object.keys(profile.commands)),
    });
    this.badInput = createRateLimitedLog(log, { perWindow: 5, windowMs: 60_000 });
    this.restoreSeqWindow();
    this.controller =
      line.format === 'mysensors' && profile.mysensors?.controller === true
        ? new MySensorsController({
            port: port.name,
            spec: profile.mysensors,
            store: options.mysensorsStore ?? new MemoryMySensorsStore(),
            now: this.now,
            onRefusal: (kind, detail) =>
              this.badInput.warn(
                `mysensors:${kind}`,
                { port: port.name, reason: kind, detail },
                'mysensors message refused',
              ),
          })
        : null;
    this.serial = new ManagedPort(
      {
        name: port.name,
        path: port.path,
        baudRate: port.baud_rate,
        resetOnOpen: port.reset_on_open,
        idleTimeoutMs: portIdleTimeoutMs(port, profile),
        log,
        ...(options.binding === undefined ? {} : { binding: options.binding }),
      },
      {
        onOpen: () => {
          this.framer.reset();
          options.onChange();
          this.commands?.portOpened();
          this.mysensorsCommands?.portOpened();
        },
        onData: (chunk, info) => {
          // A line that began after the open settled is whole (src/serial/in-flight.ts).
          if (info.first && !info.inFlightAtOpen) this.framer.keepFirstLine();
          this.onData(chunk);
        },
        onClose: (_reason, kind) => {
          // Our own reopen (idle_timeout, restart_port) says nothing about the device: it
          // stays available while it is heard from within availability_timeout. A loss does:
          // a replugged device is online again once it has been heard from.
          if (kind === 'loss') this.heard = false;
          options.onChange();
        },
      },
    );
    // What both command runners need from the port: the same for line and MySensors commands.
    const subscribe = options.subscribe;
    const runnerWiring = {
      port: port.name,
      base: options.base,
      gatewayId: options.gatewayId,
      profile,
      write: (line: string) => this.serial.write(line),
      isOpen: () => this.serial.status().state === 'open',
      submit: (messages: OutMessage[]) => options.outbox.submit(messages),
      log,
      now: this.now,
    };
    this.commands =
      subscribe === undefined || Object.keys(profile.commands).length === 0
        ? null
        : new CommandRunner({ ...runnerWiring, subscribe });
    // The runner's own counters, live: they show in gateway/health and the stop line.
    if (this.commands !== null) this.counters.commands = this.commands.counters;
    if (this.controller !== null) this.counters.mysensors = this.controller.counters;
    const controller = this.controller;
    this.mysensorsCommands =
      controller === null || subscribe === undefined
        ? null
        : new MySensorsCommandRunner({
            ...runnerWiring,
            subscribe,
            hasChild: (node, child) => controller.hasChild(node, child),
          });
    if (this.mysensorsCommands !== null) this.counters.mysensorsCommands = this.mysensorsCommands.counters;
  }

  start(signal: AbortSignal): Promise<void> {
    this.commands?.start();
    this.mysensorsCommands?.start();
    return this.serial.start(signal);
  }

  /**
   * The de-duplication window survives a gateway restart: its marks were committed with the
   * lines' messages. Marks before the last seq 0 belong to an earlier boot of the device.
   */
  private restoreSeqWindow(): void {
    const marks = this.options.outbox.seqMarks(this.options.port.name);
    let from = 0;
    marks.forEach((m, i) => {
      if (m.seq === 0) from = i;
    });
    for (const m of marks.slice(from)) this.seqWindow.commit(m.seq, m.hash);
  }

  async stop(): Promise<void> {
    this.commands?.stop();
    this.mysensorsCommands?.stop();
    await this.serial.stop();
    // Lines already read are still being queued: let them finish so their ACKs are true.
    await Promise.allSettled([...this.pendingSeqs.values()]);
  }

  /** Controller mode: the nodes the port knows (null without a controller). */
  mysensorsNodes(): NodeView[] | null {
    return this.controller?.nodes() ?? null;
  }

  /** Closes and reopens the serial port (gateway/request/restart_port). */
  restart(): boolean {
    return this.serial.restart('restart requested over MQTT');
  }

  /** The serial supervision's last tick, for the systemd watchdog (src/ops/liveness.ts). */
  supervision(): PortSupervision {
    return this.serial.supervision();
  }

  view(): PortView {
    const s = this.serial.status();
    const { port, profile } = this.options;
    return {
      name: port.name,
      path: port.path,
      device: profile.id,
      description: profile.description,
      format: profile.line?.format ?? profile.protocol,
      state: s.state,
      // heard from within the profile's availability timeout, and the port not
      // lost — lastError is set by a loss or a failed open, cleared by the next open. The brief
      // closed moment of our own reopen is not a loss (no offline/online flaps).
      available:
        s.lastError === null &&
        s.state !== 'stopped' &&
        this.heard &&
        this.lastSeen !== null &&
        this.now() - this.lastSeen <= profile.availabilityTimeoutMs,
      lastSeen: this.lastSeen,
      opens: s.opens,
      losses: s.losses,
      fields: Object.keys(profile.fields),
      commands: Object.keys(profile.commands),
      counters: this.counters,
      ...(this.controller === null ? {} : { nodes: this.controller.nodes() }),
    };
  }

  private onData(chunk: Buffer): void {
    this.counters.bytes += chunk.length;
    const now = this.now();
    // Heard again after a silence past availability_timeout: online now, not at the next check.
    const wasSilent =
      !this.heard ||
      this.lastSeen === null ||
      now - this.lastSeen > this.options.profile.availabilityTimeoutMs;
    this.lastSeen = now;
    this.heard = true;
    if (wasSilent) this.options.onChange();
    for (const event of this.framer.push(chunk)) {
      if (event.kind === 'line') this.onLine(event.text);
      else if (event.reason === 'empty' || event.reason === 'partial_first_line')
        countDiscard(this.counters, event.reason);
      else this.discard(event.reason, `${event.bytes} bytes`, null);
    }
  }

  private onLine(text: string): void {
    this.counters.lines += 1;
    // The device's answer to a command (the profile's reply pattern) is not a reading.
    if (this.commands?.onDeviceLine(text) === true) return;
    const line = this.options.profile.line!;
    const envelope = parseEnvelope(text, { checksum: line.checksum, ack: line.ack });
    if (!envelope.ok) {
      this.discard(envelope.reason, envelope.detail, envelope.seq);
      return;
    }
    const { seq, body } = envelope;
    if (seq === null) {
      this.accept(body, null).catch((error: unknown) => this.failed(error));
      return;
    }
    // A device resending a line whose first copy is still being queued waits for it, so
    // the resend is recognised as a duplicate rather than published twice.
    const pending = this.pendingSeqs.get(seq);
    const run = (pending ?? Promise.resolve())
      .then(() => this.accept(body, seq))
      .catch((error: unknown) => this.failed(error));
    const tracked = run.finally(() => {
      if (this.pendingSeqs.get(seq) === tracked) this.pendingSeqs.delete(seq);
    });
    this.pendingSeqs.set(seq, tracked);
  }

  private async accept(body: string, seq: number | null): Promise<void> {
    const hash = hashBody(body);
    if (seq !== null && this.seqWindow.check(seq, hash) === 'duplicate') {
      this.counters.duplicates += 1;
      this.reply(formatAck(seq), 'ack');
      return;
    }
    if (this.controller !== null && (await this.acceptByController(body, seq, hash))) return;
    const decoded = this.decoder(body);
    if (decoded.ok === false) return this.discard(decoded.reason, decoded.detail, seq);
    if (decoded.ok === 'ignored') {
      this.counters.ignored += 1;
      // Nothing to publish, but the mark is still committed so a resend is a duplicate.
      if (seq !== null) await this.commit([], seq, hash);
      return;
    }
    const checked = validateValues(this.fields, decoded.values);
    this.counters.unknownKeys += checked.unknownKeys.length;
    this.counters.fieldRejects += checked.rejected.length;
    for (const r of checked.rejected)
      this.badInput.warn(
        `field:${r.field}`,
        { port: this.options.port.name, field: r.field, reason: r.reason },
        'field rejected',
      );
    if (checked.values.size === 0) {
      const why = checked.rejected.map((r) => `${r.field}: ${r.reason}`).join('; ');
      return this.discard('no_valid_fields', why === '' ? 'no declared field in the line' : why, seq);
    }
    const reading: Reading = {
      port: this.options.port.name,
      values: checked.values,
      levels: decoded.levels ?? {},
      receivedAt: this.now(),
    };
    const mapped = this.map(reading);
    if (!mapped.ok) return this.discard(mapped.reason, mapped.detail, seq);
    if (!(await this.commit(mapped.messages, seq, hash))) return;
    this.counters.readings += 1;
    this.counters.messages += mapped.messages.length;
    this.options.onReading?.(checked.values, reading.receivedAt);
  }

  /**
   * Controller mode: the controller answers the node and turns a presented child's C_SET into
   * `<port>/<node>/<child>/<V_TYPE>`. True when the line is done; false when it goes on to
   * the decoder: it is not a MySensors message (a parse_error there), or it is a C_SET of a
   * key the profile declares as a fixed field — fixed fields stay published as before.
   */
  private async acceptByController(body: string, seq: number | null, hash: number): Promise<boolean> {
    const parsed = parseMySensors(body);
    if (!parsed.ok) return false;
    const m = parsed.message;
    // A node's echo of a generic command is its answer, not a reading.
    if (this.mysensorsCommands?.onMessage(m) === true) return true;
    const outcome = this.controller!.handle(m);
    for (const reply of outcome.replies) this.write(formatMySensors(reply));
    if (outcome.nodesChanged) this.options.onDevicesChanged?.();
    // A key the profile declares as a fixed field is published there, as without the
    // controller (the controller still keeps its value for C_REQ).
    if (m.command === C_SET && this.fields.byKey.has(`${m.child}/${vTypeName(m.type)}`)) return false;
    const reading = outcome.reading;
    if (reading === null) {
      this.counters.ignored += 1;
      if (seq !== null) await this.commit([], seq, hash);
      return true;
    }
    const { port } = this.options;
    const { qos, retain } = this.options.profile.publish;
    const at = this.now();
    const level = `${reading.node}/${reading.child}/${reading.vName}`;
    const message: OutMessage = {
      port: port.name,
      topic: portTopic(this.options.base, port.name, level),
      payload: Buffer.from(reading.text, 'utf8'),
      qos,
      retain,
      createdAt: at,
    };
    if (!(await this.commit([message], seq, hash))) return true;
    this.counters.readings += 1;
    this.counters.messages += 1;
    this.options.onReading?.(new Map([[level, reading.text]]), at);
    return true;
  }

  /** A controller reply to the serial gateway: one message, one line. */
  private write(text: string): void {
    this.serial.write(`${text}\n`).catch((error: unknown) => {
      this.options.log.debug({ port: this.options.port.name, err: errorMessage(error) }, 'reply not written');
    });
  }

  /**
   * Queues a line's messages with its `#seq` mark in one commit, then ACKs.
   * False when nothing was taken: the queue is full, or storage failed (disk full, I/O
   * error) — then the device is told `NAK <seq> full`, keeps the line and resends later.
   */
  private async commit(messages: OutMessage[], seq: number | null, hash: number): Promise<boolean> {
    const port = this.options.port.name;
    let result: SubmitResult;
    try {
      result = await this.options.outbox.submit(messages, seq === null ? {} : { seq: { port, seq, hash } });
    } catch (error) {
      this.failed(error);
      this.discard('queue_full', `queue storage failed: ${errorMessage(error)}`, seq);
      return false;
    }
    if (result.status === 'full') {
      this.discard('queue_full', 'queue is full (when_full: reject_new)', seq);
      return false;
    }
    if (seq !== null) {
      this.seqWindow.commit(seq, hash);
      this.reply(formatAck(seq), 'ack');
    }
    return true;
  }

  /** The queue itself failed (closed during shutdown, storage error): nothing is ACKed. */
  private failed(error: unknown): void {
    this.options.log.error(
      { port: this.options.port.name, err: errorMessage(error) },
      'could not queue a reading',
    );
  }

  private discard(reason: DiscardReason, detail: string, seq: number | null): void {
    countDiscard(this.counters, reason);
    this.badInput.warn(reason, { port: this.options.port.name, reason, detail }, 'line discarded');
    if (seq !== null && this.options.profile.line?.ack === true)
      this.reply(formatNak(seq, nakReasonFor(reason)), 'nak');
  }

  private reply(text: string, kind: 'ack' | 'nak'): void {
    if (kind === 'ack') this.counters.acks += 1;
    else this.counters.naks += 1;
    this.serial.write(text).catch((error: unknown) => {
      this.options.log.debug({ port: this.options.port.name, err: errorMessage(error) }, 'reply not written');
    });
  }
}
