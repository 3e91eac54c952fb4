// How many octets a message to a client takes on the wire, to refuse a message from the
// broker that no packet within `max_packet` can carry when it arrives — not after it was
// buffered for a sleeping client and retried T_retry × N_retry (§6.13), holding up
// everything behind it.
import type { Delivery } from './client-state.ts';

/** §5.2.1: Length and MsgType before `body` octets; the 3-octet Length form past 255 in total. */
function messageOctets(body: number): number {
  const short = 2 + body;
  return short <= 0xff ? short : 4 + body;
}

/** §5.5: a forwarder's node gets the message wrapped: Length, MsgType, Ctrl, Wireless Node Id. */
function encapsulationOctets(address: string): number {
  return address === '' ? 0 : 3 + address.length / 2;
}

/** §5.4.12: PUBLISH is Flags(1) TopicId(2) MsgId(2) Data(n). */
export function publishOctets(address: string, payload: number): number {
  return messageOctets(5 + payload) + encapsulationOctets(address);
}

/** §5.4.10: REGISTER is TopicId(2) MsgId(2) TopicName(n). */
export function registerOctets(address: string, name: string): number {
  return messageOctets(4 + Buffer.byteLength(name)) + encapsulationOctets(address);
}

/** What a delivery holds in memory while it waits: its payload and topic name. */
export function deliveryOctets(d: Delivery): number {
  return d.payload.length + d.name.length;
}
