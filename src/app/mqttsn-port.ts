// One MQTT-SN port (docs/contract.md §4.2): serial bytes → framer (raw, SLIP or COBS) → packet
// codec → the port's MQTT-SN gateway (mqttsn/gateway.ts) → queue; and back: the gateway's
// packets, wrapped for a forwarder's node (§5.5) where needed, framed and written. Its
// clients' subscriptions become broker subscriptions through the publisher.
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import type { LoadedProfile } from '../config/load.ts';
import { portIdleTimeoutMs } from '../config/idle-timeout.ts';
import { mqttsnSchema } from '../config/schema.ts';
import type { MqttSnSpec, PortConfig } from '../config/schema.ts';
import { createPacketFramer, encodeFrame } from '../framing/packet-framers.ts';
import type { PacketFramer } from '../framing/packet-framer.ts';
import type { Logger } from '../log/logger.ts';
import type { QoS, Subscribe } from '../mqtt/subscriptions.ts';
import type { ClientSession, ClientState } from '../mqttsn/client-state.ts';
import type { SnCounters, SnDropReason } from '../mqttsn/context.ts';
import { decodePacket } from '../mqttsn/decode.ts';
import { encodePacket } from '../mqttsn/encode.ts';
import { MqttSnGateway } from '../mqttsn/gateway.ts';
import type { InnerPacket, MqttSnPacket } from '../mqttsn/packet-types.ts';
import { compileFields } from '../pipeline/validate.ts';
import type { Outbox } from '../queue/outbox.ts';
import { ManagedPort } from '../serial/port.ts';
import type { PortSupervision } from '../serial/port.ts';
import type { Service } from '../service.ts';
import { printable } from '../log/detail.ts';
import { createRateLimitedLog } from '../log/rate-limited-log.ts';
import type { RateLimitedLog } from '../log/rate-limited-log.ts';
import type { PortView } from './status-reporter.ts';
import { errorMessage } from '../errors.ts';

export interface MqttSnPortOptions {
  port: PortConfig;
  profile: LoadedProfile;
  base: string;
  outbox: Outbox;
  subscribe: Subscribe;
  log: Logger;
  binding?: BindingInterface | undefined;
  now?: () => number;
  onChange: () => void;
  /** Device PUBLISHes were queued: topic under `<base>/<port>/` → payload text (status page). */
  onReading?: (values: ReadonlyMap<string, string>, at: number) => void;
}

export interface MqttSnPortCounters extends SnCounters {
  bytes: number;
  /** Packets the framer delivered (before decoding). */
  frames: number;
  /** Framing and decoding discards, by reason. */
  discards: Partial<Record<string, number>>;
}

/** How often keep-alive, sleep and retries are checked. */
const TICK_MS = 250;

export class MqttSnPort implements Service {
  readonly name: string;
  private readonly serial: ManagedPort;
  private readonly framer: PacketFramer;
  /** The profile's `mqttsn:` section with its defaults. */
  private readonly spec: MqttSnSpec;
  private readonly gateway: MqttSnGateway;
  /**
   * One handler per client subscription, by filter and QoS: Subscriptions keeps one broker
   * subscription per filter at the highest QoS still wanted.
   */
  private readonly upstream = new Map<string, (() => void)[]>();
  private readonly badInput: RateLimitedLog;
  private readonly now: () => number;
  private readonly io = { bytes: 0, frames: 0, discards: {} as Partial<Record<string, number>> };
  private timer: NodeJS.Timeout | undefined;
  private lastSeen: number | null = null;
  /** The last broker message handed on: one message may match several of our filters. */
  private lastInbound: object | null = null;

  constructor(private readonly options: MqttSnPortOptions) {
    const { port, profile, log } = options;
    const spec = profile.mqttsn ?? mqttsnSchema.parse({});
    this.spec = spec;
    this.name = `port ${port.name}`;
    this.now = options.now ?? Date.now;
    // The port's clock: a test stepping it sees the window end and its summary line.
    this.badInput = createRateLimitedLog(log, { perWindow: 5, windowMs: 60_000, now: this.now });
    this.framer = createPacketFramer(spec.framing, { maxPacket: spec.max_packet, idleMs: spec.idle });
    this.gateway = new MqttSnGateway({
      port: port.name,
      prefix: `${options.base}/${port.name}`,
      spec,
      fields: compileFields(profile.fields),
      commands: Object.keys(profile.commands),
      env: {
        now: this.now,
        send: (address, packet) => this.send(address, packet),
        queue: (messages, mark) =>
          options.outbox.submit(messages, mark === undefined ? {} : { seq: mark }).then((result) => {
            if (result.status === 'queued') this.queued(messages);
            return result;
          }),
        marks: (key) => options.outbox.seqMarks(key),
        forgetMarks: (key) => options.outbox.forgetSeqMarks(key),
        subscribe: (filter, qos) => this.subscribeUpstream(filter, qos),
        unsubscribe: (filter, qos) => this.unsubscribeUpstream(filter, qos),
        drop: (reason, detail, address) => this.dropped(reason, detail, address),
        clientChanged: (client, from) => this.clientChanged(client, from),
      },
    });
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
        },
        onData: (chunk) => this.onData(chunk),
        onClose: () => options.onChange(),
      },
    );
  }

  get counters(): MqttSnPortCounters {
    return { ...this.io, ...this.gateway.counters };
  }

  async start(signal: AbortSignal): Promise<void> {
    this.timer = setInterval(() => {
      // raw framing: a partial packet followed by silence is stale (docs/contract.md §4.2).
      this.handleFrames(this.framer.idle(this.now()));
      this.gateway.tick();
    }, TICK_MS);
    this.timer.unref();
    await this.serial.start(signal);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.serial.stop();
    for (const removers of this.upstream.values()) for (const remove of removers) remove();
    this.upstream.clear();
  }

  clients(): readonly ClientSession[] {
    return this.gateway.clients();
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
    const connected = this.gateway.clients().some((c) => c.state !== 'disconnected' && c.state !== 'lost');
    return {
      name: port.name,
      path: port.path,
      device: profile.id,
      description: profile.description,
      format: `mqttsn/${this.spec.framing}`,
      state: s.state,
      // Not `state === 'open'`: our own reopen (idle_timeout, restart_port) is not a loss and
      // must not flip availability; a loss or failed open sets lastError.
      available: s.lastError === null && s.state !== 'stopped' && connected,
      lastSeen: this.lastSeen,
      opens: s.opens,
      losses: s.losses,
      fields: Object.keys(profile.fields),
      commands: Object.keys(profile.commands),
      counters: this.counters,
    };
  }

  private onData(chunk: Buffer): void {
    this.io.bytes += chunk.length;
    this.lastSeen = this.now();
    this.handleFrames(this.framer.push(chunk, this.now()));
  }

  private handleFrames(events: ReturnType<PacketFramer['push']>): void {
    for (const event of events) {
      if (event.kind === 'discard') {
        this.countDiscard(event.reason);
        if (event.reason !== 'padding')
          this.badInput.warn(
            event.reason,
            { port: this.options.port.name, bytes: event.bytes },
            'frame discarded',
          );
        continue;
      }
      this.io.frames += 1;
      const decoded = decodePacket(event.packet);
      if (!decoded.ok) {
        this.countDiscard(decoded.reason);
        this.badInput.warn(
          decoded.reason,
          { port: this.options.port.name, reason: decoded.reason, detail: decoded.detail },
          'MQTT-SN packet discarded',
        );
        // Well-formed but for a field's content: not acted on, but answered (malformed.ts).
        if (decoded.packet !== undefined)
          this.dispatch(decoded.packet, (address, inner) => this.gateway.refuse(address, inner));
        continue;
      }
      this.dispatch(decoded.packet, (address, inner) => this.gateway.receive(address, inner));
    }
  }

  /** Hands a packet to the gateway under its client's address ('' or a forwarder's node id). */
  private dispatch(p: MqttSnPacket, handle: (address: string, packet: InnerPacket) => void): void {
    try {
      if (p.type === 'ENCAPSULATED') handle(p.wirelessNodeId.toString('hex'), p.packet);
      else handle('', p);
    } catch (error) {
      // A bug in one handler must not take the port down: count it, say it, go on.
      this.countDiscard('internal_error');
      this.options.log.error({ err: errorMessage(error), type: p.type }, 'MQTT-SN handler failed');
    }
  }

  private send(address: string, packet: InnerPacket): void {
    const spec = this.spec;
    let bytes: Buffer;
    try {
      bytes =
        address === ''
          ? encodePacket(packet)
          : encodePacket({
              type: 'ENCAPSULATED',
              radius: 0,
              wirelessNodeId: Buffer.from(address, 'hex'),
              packet,
            });
    } catch (error) {
      // Too long for the wire (a long topic name or payload from the broker): §6.10 says drop it.
      this.dropped('delivery_dropped', `${packet.type} not encodable: ${errorMessage(error)}`, address);
      return;
    }
    if (bytes.length > spec.max_packet) {
      this.dropped(
        'delivery_dropped',
        `${packet.type} of ${bytes.length} octets exceeds max_packet`,
        address,
      );
      return;
    }
    this.serial.write(encodeFrame(spec.framing, bytes)).catch((error: unknown) => {
      this.options.log.debug(
        { port: this.options.port.name, err: errorMessage(error) },
        'packet not written',
      );
    });
  }

  private subscribeUpstream(filter: string, qos: QoS): void {
    const key = `${qos} ${filter}`;
    const removers = this.upstream.get(key) ?? [];
    removers.push(
      this.options.subscribe(filter, qos, (m) => {
        // Subscriptions hands one message object to every matching handler; the gateway
        // matches each client's filters itself, so one call per message is enough.
        if (m === this.lastInbound) return;
        this.lastInbound = m;
        this.gateway.deliver(m.topic, m.payload, m.qos, m.retain);
      }),
    );
    this.upstream.set(key, removers);
  }

  private unsubscribeUpstream(filter: string, qos: QoS): void {
    const key = `${qos} ${filter}`;
    const removers = this.upstream.get(key);
    removers?.pop()?.();
    if (removers?.length === 0) this.upstream.delete(key);
  }

  private dropped(reason: SnDropReason, detail: string, address: string): void {
    this.badInput.warn(
      reason,
      { port: this.options.port.name, node: address === '' ? undefined : address, reason, detail },
      'MQTT-SN message not handled',
    );
  }

  private clientChanged(client: ClientSession, from: ClientState): void {
    // The ClientId is the device's text: escaped, for pretty logs print the message as it is.
    const id = printable(client.clientId);
    const fields = { port: this.options.port.name, client: id, from, to: client.state };
    const message = `MQTT-SN client ${id} ${client.state}`;
    // Sleeping clients go asleep → awake → asleep every report: that is not news.
    if (client.state === 'lost')
      this.options.log.warn(
        fields,
        `${message} (${from === 'asleep' ? 'asleep past 1.5× its sleep duration' : 'silent past 1.5× its keep-alive'})`,
      );
    else if (client.state === 'asleep' || client.state === 'awake' || from === 'awake' || from === 'asleep')
      this.options.log.debug(fields, message);
    else this.options.log.info(fields, message);
    this.options.onChange();
  }

  private queued(messages: readonly { topic: string; payload: Buffer }[]): void {
    if (this.options.onReading === undefined || messages.length === 0) return;
    const prefix = `${this.options.base}/${this.options.port.name}/`;
    const values = new Map<string, string>();
    for (const m of messages)
      values.set(
        m.topic.startsWith(prefix) ? m.topic.slice(prefix.length) : m.topic,
        m.payload.toString('utf8'),
      );
    this.options.onReading(values, this.now());
  }

  private countDiscard(reason: string): void {
    this.io.discards[reason] = (this.io.discards[reason] ?? 0) + 1;
  }
}
