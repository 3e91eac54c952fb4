// One MQTT-SN port's protocol (docs/contract.md §4.2): serial bytes → framer (raw, SLIP or
// COBS) → packet codec → the port's MQTT-SN gateway (mqttsn/gateway.ts) → queue; and back: the
// gateway's packets, wrapped for a forwarder's node (MQTT-SN 1.2 §5.5) where needed, framed and
// written. Its clients' subscriptions become broker subscriptions (mqttsn-upstream.ts).
import type { LoadedProfile } from '../config/load.ts';
import { mqttsnSchema } from '../config/schema.ts';
import type { MqttSnSpec, PortConfig } from '../config/schema.ts';
import { createPacketFramer, encodeFrame } from '../framing/packet-framers.ts';
import type { PacketFramer } from '../framing/packet-framer.ts';
import type { Logger } from '../log/logger.ts';
import type { Subscribe } from '../mqtt/subscriptions.ts';
import type { ClientSession, ClientState } from '../mqttsn/client-state.ts';
import type { SnDropReason } from '../mqttsn/context.ts';
import { decodePacket } from '../mqttsn/decode.ts';
import { encodePacket } from '../mqttsn/encode.ts';
import { MqttSnGateway } from '../mqttsn/gateway.ts';
import type { InnerPacket, MqttSnPacket } from '../mqttsn/packet-types.ts';
import { compileFields } from '../pipeline/validate.ts';
import type { Outbox } from '../queue/outbox.ts';
import { errorMessage } from '../errors.ts';
import { printable } from '../log/detail.ts';
import { PortHost } from './port-host.ts';
import type { PortHostOptions } from './port-host.ts';
import { countDiscard } from './port-counters.ts';
import type { MqttSnPortCounters } from './port-counters.ts';
import type { MqttSnSection } from './port-view.ts';
import type { PortIo, ProtocolPart } from './protocol-part.ts';
import { MqttSnUpstream } from './mqttsn-upstream.ts';

export interface MqttSnPartOptions {
  port: PortConfig;
  profile: LoadedProfile;
  base: string;
  outbox: Outbox;
  subscribe: Subscribe;
  log: Logger;
  /** Device PUBLISHes were queued: topic under `<base>/<port>/` → payload text (status page). */
  onReading?: (values: ReadonlyMap<string, string>, at: number) => void;
}

/** An MQTT-SN port: the port host with the MQTT-SN part. */
export function createMqttSnPort(options: PortHostOptions & MqttSnPartOptions): PortHost<MqttSnSection> {
  return new PortHost(options, (io) => new MqttSnPart(options, io));
}

/** How often keep-alive, sleep and retries are checked. */
const TICK_MS = 250;

export class MqttSnPart implements ProtocolPart<MqttSnSection> {
  readonly format: string;
  private readonly framer: PacketFramer;
  /** The profile's `mqttsn:` section with its defaults. */
  private readonly spec: MqttSnSpec;
  private readonly gateway: MqttSnGateway;
  private readonly upstream: MqttSnUpstream;
  private readonly io = { bytes: 0, frames: 0, discards: {} as Partial<Record<string, number>> };
  private timer: NodeJS.Timeout | undefined;
  private seen: number | null = null;

  constructor(
    private readonly options: MqttSnPartOptions,
    private readonly port: PortIo,
  ) {
    const { port: config, profile } = options;
    const spec = profile.mqttsn ?? mqttsnSchema.parse({});
    this.spec = spec;
    this.format = `mqttsn/${spec.framing}`;
    this.framer = createPacketFramer(spec.framing, { maxPacket: spec.max_packet, idleMs: spec.idle });
    this.upstream = new MqttSnUpstream(options.subscribe, (m) =>
      this.gateway.deliver(m.topic, m.payload, m.qos, m.retain),
    );
    this.gateway = new MqttSnGateway({
      port: config.name,
      prefix: `${options.base}/${config.name}`,
      spec,
      fields: compileFields(profile.fields),
      commands: Object.keys(profile.commands),
      env: {
        now: port.now,
        send: (address, packet) => this.send(address, packet),
        queue: (messages, mark) =>
          options.outbox.submit(messages, mark === undefined ? {} : { seq: mark }).then((result) => {
            if (result.status === 'queued') this.queued(messages);
            return result;
          }),
        marks: (key) => options.outbox.seqMarks(key),
        forgetMarks: (key) => options.outbox.forgetSeqMarks(key),
        subscribe: (filter, qos) => this.upstream.add(filter, qos),
        unsubscribe: (filter, qos) => this.upstream.remove(filter, qos),
        drop: (reason, detail, address) => this.dropped(reason, detail, address),
        clientChanged: (client, from) => this.clientChanged(client, from),
      },
    });
  }

  get counters(): MqttSnPortCounters {
    return { ...this.io, ...this.gateway.counters };
  }

  section(): MqttSnSection {
    return { protocol: 'mqttsn', counters: this.counters };
  }

  start(): void {
    this.timer = setInterval(() => {
      // raw framing: a partial packet followed by silence is stale (docs/contract.md §4.2).
      this.handleFrames(this.framer.idle(this.port.now()));
      this.gateway.tick();
    }, TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  finish(): Promise<void> {
    this.upstream.clear();
    return Promise.resolve();
  }

  opened(): void {
    this.framer.reset();
  }

  closed(): void {}

  /** A client is connected (awake or asleep: a sleeping sensor is still there). */
  present(): boolean {
    return this.gateway.clients().some((c) => c.state !== 'disconnected' && c.state !== 'lost');
  }

  lastSeen(): number | null {
    return this.seen;
  }

  received(chunk: Buffer): void {
    this.io.bytes += chunk.length;
    this.seen = this.port.now();
    this.handleFrames(this.framer.push(chunk, this.port.now()));
  }

  private handleFrames(events: ReturnType<PacketFramer['push']>): void {
    for (const event of events) {
      if (event.kind === 'discard') {
        countDiscard(this.io.discards, event.reason);
        if (event.reason !== 'padding')
          this.port.badInput.warn(event.reason, { bytes: event.bytes }, 'frame discarded');
        continue;
      }
      this.io.frames += 1;
      const decoded = decodePacket(event.packet);
      if (!decoded.ok) {
        countDiscard(this.io.discards, decoded.reason);
        this.port.badInput.warn(
          decoded.reason,
          { reason: decoded.reason, detail: decoded.detail },
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
      countDiscard(this.io.discards, 'internal_error');
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
    this.port.send(encodeFrame(spec.framing, bytes), 'packet not written');
  }

  private dropped(reason: SnDropReason, detail: string, address: string): void {
    this.port.badInput.warn(
      reason,
      { node: address === '' ? undefined : address, reason, detail },
      'MQTT-SN message not handled',
    );
  }

  private clientChanged(client: ClientSession, from: ClientState): void {
    // The ClientId is the device's text: escaped, for pretty logs print the message as it is.
    const id = printable(client.clientId);
    const fields = { client: id, from, to: client.state };
    const message = `MQTT-SN client ${id} ${client.state}`;
    const log = this.options.log;
    // Sleeping clients go asleep → awake → asleep every report: that is not news.
    if (client.state === 'lost')
      log.warn(
        fields,
        `${message} (${from === 'asleep' ? 'asleep past 1.5× its sleep duration' : 'silent past 1.5× its keep-alive'})`,
      );
    else if (client.state === 'asleep' || client.state === 'awake' || from === 'awake' || from === 'asleep')
      log.debug(fields, message);
    else log.info(fields, message);
    this.port.changed();
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
    this.options.onReading(values, this.port.now());
  }
}
