// The mqtt-packet number cache (65,536 Buffers, 6.7 MB) is off once the broker client is
// loaded, and packets are still encoded byte for byte as before.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PassThrough } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import '../../../src/mqtt/broker-client.ts';
import { packetNumbersUncached } from '../../../src/mqtt/packet-numbers.ts';

test('loading the broker client turns the number cache off', () => {
  assert.equal(packetNumbersUncached(), true);
  assert.equal(mqttPacket.writeToStream.cacheNumbers, false);
});

test('a PUBLISH is encoded the same without the cache', () => {
  const packet = {
    cmd: 'publish' as const,
    topic: 'a/b',
    payload: Buffer.from('23.5'),
    qos: 1 as const,
    messageId: 0x1234,
    retain: false,
    dup: false,
  };
  const chunks: Buffer[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  mqttPacket.writeToStream(packet, stream);
  stream.end();
  // Fixed header 0x32, remaining length 11, topic length 0x0003 "a/b", packet id 0x1234, payload.
  const expected = Buffer.concat([
    Buffer.from([0x32, 11, 0, 3]),
    Buffer.from('a/b'),
    Buffer.from([0x12, 0x34]),
    Buffer.from('23.5'),
  ]);
  assert.deepEqual(Buffer.concat(chunks), expected);
  assert.deepEqual(Buffer.concat(chunks), mqttPacket.generate(packet));
});
