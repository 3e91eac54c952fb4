// The MQTT-SN v1.2 gateway of one serial port (docs/contract.md §4.2): the one dispatch point
// for packets from its clients — one client on a plain port, one per Wireless Node Id
// behind a forwarder (§5.5) — plus messages from the broker and the supervision timer.
// Pure: I/O and time come through SnEnvironment (context.ts).
import type { MqttSnSpec } from '../config/schema.ts';
import type { FieldTable } from '../pipeline/validate.ts';
import { gatewayOwnedNames } from '../topics/gateway-owned.ts';
import type { ClientSession } from './client-state.ts';
import {
  onConnect,
  onDisconnect,
  onPingReq,
  onWillMsg,
  onWillMsgUpd,
  onWillTopic,
  onWillTopicUpd,
  supervise,
} from './connection.ts';
import { createSnCounters, drop, send } from './context.ts';
import type { SnContext, SnCounters, SnEnvironment, SnSettings } from './context.ts';
import { deliver, onPubAck, onPubComp, onPubRec, onRegAck, retryDownlink } from './downlink.ts';
import { answerMalformed } from './malformed.ts';
import type { InnerPacket, Qos } from './packet-types.ts';
import { onSubscribe, onUnsubscribe } from './subscribe.ts';
import { onPubRel, onPublish, onRegister } from './uplink.ts';

export interface MqttSnGatewayOptions {
  port: string;
  prefix: string;
  spec: MqttSnSpec;
  fields: FieldTable;
  env: SnEnvironment;
  /** The profile's command names: their `set` and `result` topics are the gateway's (gateway-owned.ts). */
  commands?: readonly string[];
}

export class MqttSnGateway {
  readonly counters: SnCounters = createSnCounters();
  private readonly ctx: SnContext;

  constructor(options: MqttSnGatewayOptions) {
    const predefined = new Map<number, string>();
    const predefinedIds = new Map<string, number>();
    for (const [id, name] of Object.entries(options.spec.predefined)) {
      predefined.set(Number(id), name);
      predefinedIds.set(name, Number(id));
    }
    const settings: SnSettings = {
      port: options.port,
      prefix: options.prefix,
      spec: options.spec,
      fields: options.fields,
      predefined,
      predefinedIds,
      reserved: gatewayOwnedNames(options.commands ?? []),
    };
    this.ctx = { env: options.env, settings, clients: new Map(), counters: this.counters };
  }

  /** A decoded packet from the client at `address` ('' on a plain port, else the node id). */
  receive(address: string, packet: InnerPacket): void {
    const ctx = this.ctx;
    ctx.counters.packetsIn += 1;
    // §6.11: any message from a client shows it is alive, not only PINGREQ — a device that
    // publishes every 10 s is not lost after 1.5× its keep-alive.
    const known = ctx.clients.get(address);
    if (known !== undefined) known.lastHeard = ctx.env.now();
    switch (packet.type) {
      // Packets that need no session.
      case 'SEARCHGW': // §6.1: on a serial line the gateway is always right there
        return send(ctx, address, { type: 'GWINFO', gwId: ctx.settings.spec.gateway_id });
      case 'ADVERTISE':
      case 'GWINFO': // §6.1: other gateways and clients' GWINFO are of no interest here
        return;
      case 'CONNECT':
        return onConnect(ctx, address, packet);
      case 'PUBLISH':
        return onPublish(ctx, address, packet);
      case 'PINGREQ':
        return onPingReq(ctx, address, packet);
      default:
        break;
    }
    const client = ctx.clients.get(address);
    if (client === undefined || client.state === 'disconnected' || client.state === 'lost') {
      // §6.14, as Paho does: a client the gateway does not know as connected is told so.
      if (packet.type !== 'DISCONNECT') send(ctx, address, { type: 'DISCONNECT' });
      return drop(ctx, 'not_connected', `${packet.type} without a connection`, address);
    }
    this.inSession(client, packet);
  }

  /**
   * A message refused by the decoder for one field's content (DecodeFailure.packet): never
   * acted on, only answered with a rejection (malformed.ts). The port counts and logs it.
   */
  refuse(address: string, packet: InnerPacket): void {
    this.ctx.counters.packetsIn += 1;
    const known = this.ctx.clients.get(address);
    if (known !== undefined) known.lastHeard = this.ctx.env.now();
    answerMalformed(this.ctx, address, packet);
  }

  private inSession(client: ClientSession, packet: InnerPacket): void {
    const ctx = this.ctx;
    switch (packet.type) {
      case 'WILLTOPIC':
        return onWillTopic(ctx, client, packet);
      case 'WILLMSG':
        return onWillMsg(ctx, client, packet);
      case 'WILLTOPICUPD':
        return onWillTopicUpd(ctx, client, packet);
      case 'WILLMSGUPD':
        return onWillMsgUpd(ctx, client, packet);
      case 'DISCONNECT':
        return onDisconnect(ctx, client, packet);
      case 'REGISTER':
        return onRegister(ctx, client, packet);
      case 'REGACK':
        return onRegAck(ctx, client, packet);
      case 'PUBACK':
        return onPubAck(ctx, client, packet);
      case 'PUBREC':
        return onPubRec(ctx, client, packet);
      case 'PUBREL':
        return onPubRel(ctx, client, packet);
      case 'PUBCOMP':
        return onPubComp(ctx, client, packet);
      case 'SUBSCRIBE':
        return onSubscribe(ctx, client, packet);
      case 'UNSUBSCRIBE':
        return onUnsubscribe(ctx, client, packet);
      case 'PINGRESP':
        return; // the answer to a gateway PINGREQ: lastHeard is updated already
      default:
        // CONNACK, WILLTOPICREQ, SUBACK, … travel gateway → client only.
        return drop(ctx, 'unexpected', `${packet.type} from a client`, client.address);
    }
  }

  /** A message from the broker on a topic some client here subscribed to. */
  deliver(topic: string, payload: Buffer, qos: Qos, retain: boolean): void {
    deliver(this.ctx, topic, payload, qos, retain);
  }

  /** Keep-alive and sleep supervision, retries: call about once a second. */
  tick(): void {
    supervise(this.ctx);
    retryDownlink(this.ctx);
  }

  clients(): readonly ClientSession[] {
    return [...this.ctx.clients.values()];
  }
}
