// The PUBLISH packets the publisher writes itself are byte for byte what mqtt-packet (under
// MQTT.js and aedes) writes for the same packet, and parse back to the same fields; a batch
// is its packets one after another; publishLength is each packet's exact size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { PublishBatch, publishLength } from '../../../src/mqtt/publish-packet.ts';
import type { PublishFields } from '../../../src/mqtt/publish-packet.ts';

const versions = [4, 5] as const;

function reference(fields: PublishFields, protocolVersion: 4 | 5): Buffer {
  const packet: mqttPacket.IPublishPacket = {
    cmd: 'publish',
    topic: fields.topic,
    payload: fields.payload,
    qos: fields.qos,
    retain: fields.retain,
    dup: false,
    ...(fields.qos > 0 ? { messageId: fields.messageId } : {}),
    ...(protocolVersion === 5 && fields.userProperty !== undefined
      ? { properties: { userProperties: { [fields.userProperty[0]]: fields.userProperty[1] } } }
      : {}),
  };
  return mqttPacket.generate(packet, { protocolVersion });
}

function parseAll(bytes: Buffer, protocolVersion: 4 | 5): mqttPacket.Packet[] {
  const parser = mqttPacket.parser({ protocolVersion });
  const packets: mqttPacket.Packet[] = [];
  const errors: Error[] = [];
  parser.on('packet', (packet: mqttPacket.Packet) => packets.push(packet));
  parser.on('error', (error: Error) => errors.push(error));
  parser.parse(bytes);
  assert.deepEqual(errors, []);
  return packets;
}

const fieldsArbitrary: fc.Arbitrary<PublishFields> = fc.record({
  // Any Unicode text without NUL (MQTT 5 §1.5.4 forbids U+0000 in a string).
  topic: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).filter((t) => !t.includes('\u0000')),
  payload: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  qos: fc.constantFrom(0 as const, 1 as const, 2 as const),
  retain: fc.boolean(),
  messageId: fc.integer({ min: 1, max: 65_535 }),
  userProperty: fc.option(
    fc.tuple(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).filter((t) => !t.includes('\u0000')),
      fc.string({ unit: 'grapheme', maxLength: 200 }).filter((t) => !t.includes('\u0000')),
    ),
    { nil: undefined },
  ),
});

test('each packet is byte for byte what mqtt-packet generates, and publishLength is its size', () => {
  fc.assert(
    fc.property(fieldsArbitrary, fc.constantFrom(...versions), (fields, version) => {
      const batch = new PublishBatch(8);
      batch.add(fields, version);
      const bytes = batch.take();
      assert.ok(bytes !== undefined);
      assert.deepEqual(bytes, reference(fields, version));
      assert.equal(publishLength(fields, version), bytes.length);
    }),
    { numRuns: 2000 },
  );
});

test('a batch is its packets in order, parsed back to the same fields, and is empty after take', () => {
  fc.assert(
    fc.property(
      fc.array(fieldsArbitrary, { minLength: 1, maxLength: 40 }),
      fc.constantFrom(...versions),
      (all, version) => {
        // A small start forces the buffer to grow several times within one batch.
        const batch = new PublishBatch(16);
        for (const fields of all) batch.add(fields, version);
        const bytes = batch.take();
        assert.equal(batch.bytes, 0);
        assert.equal(batch.take(), undefined);
        assert.ok(bytes !== undefined);
        assert.deepEqual(bytes, Buffer.concat(all.map((f) => reference(f, version))));
        const parsed = parseAll(bytes, version) as mqttPacket.IPublishPacket[];
        assert.equal(parsed.length, all.length);
        parsed.forEach((packet, i) => {
          const fields = all[i] as PublishFields;
          assert.equal(packet.topic, fields.topic);
          assert.deepEqual(packet.payload, fields.payload);
          assert.equal(packet.qos, fields.qos);
          assert.equal(packet.retain, fields.retain);
          assert.equal(packet.dup, false);
          if (fields.qos > 0) assert.equal(packet.messageId, fields.messageId);
          if (version === 5 && fields.userProperty !== undefined)
            assert.deepEqual(
              { ...packet.properties?.userProperties },
              {
                [fields.userProperty[0]]: fields.userProperty[1],
              },
            );
        });
      },
    ),
    { numRuns: 300 },
  );
});

test('a Remaining Length of every width (1 to 4 bytes) is written as mqtt-packet writes it', () => {
  for (const size of [0, 100, 127 - 9, 128, 16_383 - 9, 16_384, 2_097_151 - 9, 2_097_152]) {
    const fields: PublishFields = {
      topic: 'a/b',
      payload: Buffer.alloc(size, 0x61),
      qos: 1,
      retain: true,
      messageId: 7,
    };
    for (const version of versions) {
      const batch = new PublishBatch();
      batch.add(fields, version);
      assert.deepEqual(batch.take(), reference(fields, version), `payload ${size}, MQTT ${version}`);
    }
  }
});

test('a topic too long for MQTT is refused and leaves the batch as it was', () => {
  const batch = new PublishBatch();
  const ok: PublishFields = { topic: 't', payload: Buffer.from('1'), qos: 1, retain: false, messageId: 1 };
  batch.add(ok, 5);
  const before = batch.bytes;
  assert.throws(() => batch.add({ ...ok, topic: 'x'.repeat(65_536) }, 5), RangeError);
  assert.equal(batch.bytes, before);
  assert.deepEqual(batch.take(), reference(ok, 5));
});

test('a large step does not keep its grown buffer after take', () => {
  const batch = new PublishBatch(64);
  const big: PublishFields = {
    topic: 't',
    payload: Buffer.alloc(10_000),
    qos: 1,
    retain: false,
    messageId: 1,
  };
  batch.add(big, 4);
  assert.equal(batch.take()?.length, publishLength(big, 4));
  const small: PublishFields = { ...big, payload: Buffer.from('x') };
  batch.add(small, 4);
  assert.deepEqual(batch.take(), reference(small, 4));
  // Internal: the buffer went back to its starting size (what the process keeps).
  assert.equal((batch as unknown as { buffer: Buffer }).buffer.length, 64);
});
