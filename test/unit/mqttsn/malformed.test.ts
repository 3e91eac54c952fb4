// A well-formed MQTT-SN message whose string field is not UTF-8 (MQTT-SN 1.2 §5.3) is not
// acted on, but answered: REGACK / PUBACK / SUBACK / CONNACK 0x03 "rejected: not supported"
// (§5.3.10). Dropped silently, the client would retry until it gives up. The decoder still
// refuses the message (counted as bad_utf8) and hands the message as read to the gateway.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePacket } from '../../../src/mqttsn/decode.ts';
import type { InnerPacket } from '../../../src/mqttsn/packet-types.ts';
import { client, connect, connectPacket, setup } from '../../helpers/mqttsn-rig.ts';
import type { Setup } from '../../helpers/mqttsn-rig.ts';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** Decodes `wire`, checks the refusal, and hands what the decoder read to the gateway. */
function refuseWire(s: Setup, wire: Buffer, address = ''): InnerPacket[] {
  const decoded = decodePacket(wire);
  assert.ok(!decoded.ok, 'the decoder still refuses the message');
  assert.equal(decoded.reason, 'bad_utf8');
  assert.ok(decoded.packet !== undefined, `the refusal carries the message: ${decoded.detail}`);
  const p = decoded.packet;
  if (p.type === 'ENCAPSULATED') s.gw.refuse(p.wirelessNodeId.toString('hex'), p.packet);
  else s.gw.refuse('', p);
  return s.env.takeFor(address);
}

describe('messages with a string field that is not UTF-8 are answered, not dropped', () => {
  it('§5.4.10 REGISTER with TopicName FF FE → REGACK 0x03 with its MsgId, nothing registered', () => {
    const s = setup();
    connect(s);
    const answer = refuseWire(s, hex('08 0A 00 00 00 2A FF FE'));
    console.log(`# REGISTER (not UTF-8) answered: ${JSON.stringify(answer)}`);
    assert.deepEqual(answer, [{ type: 'REGACK', topicId: 0, msgId: 0x2a, returnCode: 3 }]);
    assert.equal(client(s.gw).topics.size, 0);
  });

  it('§5.4.12 PUBLISH QoS 1 with a short name FF FE → PUBACK 0x03; nothing queued', () => {
    const s = setup();
    connect(s);
    assert.deepEqual(refuseWire(s, hex('08 0C 22 FF FE 00 07 31')), [
      { type: 'PUBACK', topicId: 0, msgId: 7, returnCode: 3 },
    ]);
    assert.equal(s.env.messages().length, 0);
  });

  it('§5.4.15 SUBSCRIBE with TopicName 61 80 → SUBACK 0x03, nothing subscribed upstream', () => {
    const s = setup();
    connect(s);
    assert.deepEqual(refuseWire(s, hex('07 12 00 00 09 61 80')), [
      { type: 'SUBACK', qos: 0, topicId: 0, msgId: 9, returnCode: 3 },
    ]);
    assert.deepEqual(s.env.subscribed, []);
  });

  it('§5.4.4 CONNECT with ClientId C3 28 → CONNACK 0x03, no session', () => {
    const s = setup();
    assert.deepEqual(refuseWire(s, hex('08 04 04 01 00 3C C3 28')), [{ type: 'CONNACK', returnCode: 3 }]);
    assert.equal(s.gw.clients().length, 0);
  });

  it('§5.4.7 WILLTOPIC FE in the handshake → CONNACK 0x03, not connected', () => {
    const s = setup();
    s.gw.receive('', connectPacket({ will: true, clientId: 'd' }));
    s.env.take();
    assert.deepEqual(refuseWire(s, hex('04 07 00 FE')), [{ type: 'CONNACK', returnCode: 3 }]);
    assert.equal(client(s.gw).state, 'disconnected');
  });

  it('§5.5 behind a forwarder the answer goes to the node that sent it', () => {
    const s = setup();
    connect(s, '2a', { clientId: 'node' });
    assert.deepEqual(refuseWire(s, hex('04 FE 00 2A 08 0A 00 00 00 05 FF FE'), '2a'), [
      { type: 'REGACK', topicId: 0, msgId: 5, returnCode: 3 },
    ]);
  });

  it('§6.14 a REGISTER that is not UTF-8 from a client that is not connected → DISCONNECT', () => {
    const s = setup();
    assert.deepEqual(refuseWire(s, hex('08 0A 00 00 00 2A FF FE')), [{ type: 'DISCONNECT' }]);
  });
});
