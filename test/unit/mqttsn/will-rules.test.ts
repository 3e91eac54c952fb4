// A Will is a PUBLISH the gateway makes later on the client's behalf (MQTT-SN 1.2 §6.3), so
// it obeys the same rules as one, checked when it is given: the topic must be declared
// (undeclared_topics: false), its payload must pass the field's schema, and names the
// gateway publishes itself under the port (`availability`, `<command>/result`) are not the
// device's. Refused in the handshake with CONNACK 0x03 (§6.3: WILLMSG is answered with
// CONNACK); WILLTOPICUPD / WILLMSGUPD with WILLTOPICRESP / WILLMSGRESP 0x03 (§6.4).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mqttsnSchema } from '../../../src/config/schema.ts';
import { MqttSnGateway } from '../../../src/mqttsn/gateway.ts';
import type { InnerPacket, Qos } from '../../../src/mqttsn/packet-types.ts';
import {
  FIELDS,
  FakeEnv,
  PORT,
  PREFIX,
  buf,
  client,
  connect,
  connectPacket,
  connectWithWill,
  publish,
  register,
  setup,
  settle,
} from '../../helpers/mqttsn-rig.ts';
import type { Setup } from '../../helpers/mqttsn-rig.ts';

/** CONNECT with the Will flag, WILLTOPIC, and (if asked for) WILLMSG: the answers to each. */
function willHandshake(s: Setup, topic: string, payload: string, qos: Qos = 1): InnerPacket[] {
  s.gw.receive('', connectPacket({ will: true }));
  assert.deepEqual(s.env.takeFor(), [{ type: 'WILLTOPICREQ' }]);
  s.gw.receive('', { type: 'WILLTOPIC', will: { topic, qos, retain: true } });
  const afterTopic = s.env.takeFor();
  if (afterTopic[0]?.type !== 'WILLMSGREQ') return afterTopic;
  s.gw.receive('', { type: 'WILLMSG', willMsg: buf(payload) });
  return s.env.takeFor();
}

describe('a Will obeys the PUBLISH rules', () => {
  it('undeclared_topics: false — a Will on a topic without a field → CONNACK 0x03', () => {
    const s = setup({ undeclared_topics: false });
    assert.deepEqual(willHandshake(s, 'anything', 'x'), [{ type: 'CONNACK', returnCode: 3 }]);
    assert.equal(client(s.gw).state, 'disconnected');
    assert.deepEqual(s.env.dropReasons(), ['topic_refused']);
  });

  it('a Will payload the field refuses (temp 150, max 85) → CONNACK 0x03 at WILLMSG, no Will kept', () => {
    const s = setup();
    assert.deepEqual(willHandshake(s, 'temp', '150'), [{ type: 'CONNACK', returnCode: 3 }]);
    assert.equal(client(s.gw).state, 'disconnected');
    assert.equal(client(s.gw).will, null);
    assert.deepEqual(s.env.dropReasons(), ['payload_refused']);
  });

  it("the gateway's own <port>/availability → CONNACK 0x03; a PUBLISH there → PUBACK 0x03", async () => {
    const s = setup();
    assert.deepEqual(willHandshake(s, 'availability', 'online'), [{ type: 'CONNACK', returnCode: 3 }]);
    connect(s);
    s.gw.receive('', publish({ kind: 'predefined', id: 7 }, 'x', 1)); // 7 → status: allowed
    await settle();
    s.env.take();
    const before = s.env.messages().length;
    // REGISTER only names a topic (the client may read it); writing it is what is refused.
    const id = register(s, 'availability', '', 3);
    s.gw.receive('', publish({ kind: 'normal', id }, 'online', 1, 4));
    await settle();
    assert.deepEqual(s.env.takeFor(), [{ type: 'PUBACK', topicId: id, msgId: 4, returnCode: 3 }]);
    assert.equal(s.env.messages().length, before, 'nothing reaches <port>/availability');
  });

  it("a command's <command>/result is the gateway's too", () => {
    const env = new FakeEnv();
    const gw = new MqttSnGateway({
      port: PORT,
      prefix: PREFIX,
      spec: mqttsnSchema.parse({}),
      fields: FIELDS,
      env,
      commands: ['reboot'],
    });
    const s = { gw, env };
    assert.deepEqual(willHandshake(s, 'reboot/result', 'ok'), [{ type: 'CONNACK', returnCode: 3 }]);
  });

  it('WILLTOPICUPD to availability → WILLTOPICRESP 0x03; WILLMSGUPD the field refuses → WILLMSGRESP 0x03', () => {
    const s = setup();
    connectWithWill(s, { topic: 'temp', qos: 1, retain: true, payload: '-1' });
    s.gw.receive('', { type: 'WILLTOPICUPD', will: { topic: 'availability', qos: 1, retain: true } });
    assert.deepEqual(s.env.takeFor(), [{ type: 'WILLTOPICRESP', returnCode: 3 }]);
    s.gw.receive('', { type: 'WILLMSGUPD', willMsg: buf('999') });
    assert.deepEqual(s.env.takeFor(), [{ type: 'WILLMSGRESP', returnCode: 3 }]);
    // A new topic whose field refuses the payload kept from before: refused too.
    s.gw.receive('', { type: 'WILLTOPICUPD', will: { topic: 'mode', qos: 1, retain: true } });
    assert.deepEqual(s.env.takeFor(), [{ type: 'WILLTOPICRESP', returnCode: 3 }]);
    assert.deepEqual(client(s.gw).will, {
      topic: `${PREFIX}/temp`,
      qos: 1,
      retain: true,
      payload: buf('-1'),
    });
    console.log(`# Will refusals counted: ${JSON.stringify(s.gw.counters.drops)}`);
  });

  it('a valid Will still works: accepted, and published when the client is lost', async () => {
    const s = setup({ undeclared_topics: false });
    assert.deepEqual(willHandshake(s, 'temp', '21.5'), [{ type: 'CONNACK', returnCode: 0 }]);
    s.env.advance(60_000 * 1.5 + 1);
    s.gw.tick();
    await settle();
    assert.deepEqual(
      s.env.messages().map((m) => [m.topic, m.payload.toString()]),
      [[`${PREFIX}/temp`, '21.5']],
    );
  });
});
