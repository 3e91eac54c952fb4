// Answers to messages that are well-formed but carry a field breaking its rule — a
// TopicName, short name, WillTopic or ClientId that is not UTF-8 (MQTT-SN 1.2 §5.3: strings
// are UTF-8), an empty name. The decoder refuses them (counted and logged by the port) and
// hands over the message as read (DecodeFailure.packet); it is never acted on, but the
// client is told: a silent drop leaves it retrying until it gives up.
//
// The code is 0x03 "rejected: not supported" (§5.3.10, Table 5), as for a name outside the
// port's rules (uplink.ts, subscribe.ts): the name itself is refused. 0x02 "invalid topic
// ID" speaks of an id the gateway does not know, and a REGISTER asks for one.
import { send, setState } from './context.ts';
import type { SnContext } from './context.ts';
import { ReturnCode } from './packet-types.ts';
import type { InnerPacket } from './packet-types.ts';
import { topicIdField } from './wire.ts';

export function answerMalformed(ctx: SnContext, address: string, p: InnerPacket): void {
  const client = ctx.clients.get(address);
  const connected = client !== undefined && (client.state === 'active' || client.state === 'awake');
  const refused = ReturnCode.REJECTED_NOT_SUPPORTED;
  switch (p.type) {
    case 'CONNECT':
      // §5.4.5: no session is created or changed for a ClientId that is not one.
      return send(ctx, address, { type: 'CONNACK', returnCode: refused });
    case 'WILLTOPIC':
      // §6.3: the Will handshake ends with CONNACK; the client is not connected.
      if (client === undefined || client.state !== 'connecting') return;
      send(ctx, address, { type: 'CONNACK', returnCode: refused });
      return setState(ctx, client, 'disconnected');
    case 'PUBLISH':
      if (p.qos === -1) return; // §6.8: no one to answer
      if (!connected) return send(ctx, address, { type: 'DISCONNECT' });
      // §5.4.13 echoes the TopicId field, but two octets that are not UTF-8 cannot be
      // carried as a short name: 0x0000, and the client matches the PUBACK by its MsgId.
      return send(ctx, address, {
        type: 'PUBACK',
        topicId: p.topic.kind === 'short' ? 0 : topicIdField(p.topic),
        msgId: p.msgId,
        returnCode: refused,
      });
    default:
      break;
  }
  // The rest need a session, as in gateway.ts receive(): §6.14, a client not connected is told so.
  if (!connected) return send(ctx, address, { type: 'DISCONNECT' });
  switch (p.type) {
    case 'REGISTER':
      return send(ctx, address, { type: 'REGACK', topicId: 0, msgId: p.msgId, returnCode: refused });
    case 'SUBSCRIBE':
      return send(ctx, address, { type: 'SUBACK', qos: 0, topicId: 0, msgId: p.msgId, returnCode: refused });
    case 'UNSUBSCRIBE':
      // §5.4.18: UNSUBACK has no return code; nothing is subscribed under a name that is not one.
      return send(ctx, address, { type: 'UNSUBACK', msgId: p.msgId });
    case 'WILLTOPICUPD':
      return send(ctx, address, { type: 'WILLTOPICRESP', returnCode: refused });
    default:
      return;
  }
}
