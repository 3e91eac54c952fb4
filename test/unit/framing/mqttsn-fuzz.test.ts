// Property tests for the MQTT-SN serial framers (docs/contract.md §4.2): whatever the chunking,
// valid packets come through exactly; garbage frames in the framed modes cost only
// themselves; arbitrary bytes never throw and never grow a buffer past its bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createPacketFramer, encodeFrame } from '../../../src/framing/packet-framers.ts';
import type { PacketFraming } from '../../../src/framing/packet-framers.ts';
import type { PacketFramer, PacketFramerEvent } from '../../../src/framing/packet-framer.ts';

const KINDS: PacketFraming[] = ['raw', 'slip', 'cobs'];
const DELIMITER = { slip: 0xc0, cobs: 0x00 } as const;

/** A structurally framed MQTT-SN packet: 1-octet Length when it fits and `long` is unset. */
function makePacket(body: Uint8Array, long: boolean): Buffer {
  if (!long && body.length + 1 <= 255) return Buffer.concat([Buffer.of(body.length + 1), body]);
  const header = Buffer.of(0x01, 0, 0);
  header.writeUInt16BE(body.length + 3, 1);
  return Buffer.concat([header, body]);
}
const packetArb = (maxBody: number): fc.Arbitrary<Buffer> =>
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: maxBody }), fc.boolean())
    .map(([body, long]) => makePacket(body, long));

/** `bytes` cut at the given points (taken modulo its length). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

function feed(framer: PacketFramer, chunks: Buffer[], bound: number): PacketFramerEvent[] {
  return chunks.flatMap((chunk, i) => {
    const events = framer.push(chunk, i); // 1 ms apart: never idle
    assert.ok(framer.pending() <= bound);
    return events;
  });
}
const packetsOf = (events: PacketFramerEvent[]): Buffer[] =>
  events.flatMap((e) => (e.kind === 'packet' ? [e.packet] : []));

for (const kind of KINDS) {
  test(`${kind}: any chunking of valid packets yields exactly the packets`, () => {
    fc.assert(
      fc.property(
        fc.array(packetArb(400), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (packets, cuts) => {
          const bytes = Buffer.concat(packets.map((p) => encodeFrame(kind, p)));
          const events = feed(createPacketFramer(kind), split(bytes, cuts), 1026);
          assert.deepEqual(
            events,
            packets.map((packet) => ({ kind: 'packet', packet })),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
}

test('raw: 0x00 padding between packets is skipped and reported only as padding', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat({ max: 3 }), packetArb(300)), { maxLength: 10 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      (items, cuts) => {
        const bytes = Buffer.concat(items.flatMap(([pad, p]) => [Buffer.alloc(pad), p]));
        const events = feed(createPacketFramer('raw'), split(bytes, cuts), 1024);
        assert.deepEqual(
          packetsOf(events),
          items.map(([, p]) => p),
        );
        assert.ok(events.every((e) => e.kind === 'packet' || e.reason === 'padding'));
      },
    ),
    { numRuns: 300 },
  );
});

test('raw: after garbage and idleMs of silence, every valid packet comes through', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(packetArb(300), fc.uint8Array({ minLength: 1, maxLength: 80 })), { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (items, cuts) => {
        const framer = createPacketFramer('raw');
        let now = 0;
        for (const item of items) {
          const valid = Buffer.isBuffer(item);
          const events = split(Buffer.from(item), cuts).flatMap((chunk) => framer.push(chunk, (now += 99)));
          if (valid) assert.deepEqual(packetsOf(events), [item]);
          else now += 100; // the line goes quiet after the garbage
        }
      },
    ),
    { numRuns: 300 },
  );
});

for (const kind of ['slip', 'cobs'] as const) {
  /** Random frames that do not happen to be valid (a CRC-16 and Length match by chance). */
  const garbageArb = fc
    .uint8Array({ maxLength: 80 })
    .map((g) => Buffer.concat([Buffer.from(g), Buffer.of(DELIMITER[kind])]))
    .filter((frame) => packetsOf(createPacketFramer(kind).push(frame, 0)).length === 0);

  test(`${kind}: valid frames survive random garbage frames between delimiters`, () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            packetArb(300),
            garbageArb.map((g) => ({ garbage: g })),
          ),
          { maxLength: 16 },
        ),
        fc.array(fc.nat(), { maxLength: 40 }),
        (items, cuts) => {
          const bytes = Buffer.concat(
            items.map((i) => (Buffer.isBuffer(i) ? encodeFrame(kind, i) : i.garbage)),
          );
          const events = feed(createPacketFramer(kind), split(bytes, cuts), 1026);
          assert.deepEqual(
            packetsOf(events),
            items.filter((i) => Buffer.isBuffer(i)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
}

for (const kind of KINDS) {
  test(`${kind}: arbitrary bytes at arbitrary times never throw; buffers stay bounded`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 300 }),
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 250 }), fc.boolean()), {
          maxLength: 30,
        }),
        (maxPacket, reads) => {
          const framer = createPacketFramer(kind, { maxPacket });
          const bound = kind === 'raw' ? maxPacket : maxPacket + 2;
          let now = 0;
          let fed = 0;
          let accounted = 0;
          for (const [bytes, gap, idle] of reads) {
            now += gap;
            const chunk = Buffer.from(bytes);
            fed += chunk.length;
            const events = idle ? [...framer.idle(now), ...framer.push(chunk, now)] : framer.push(chunk, now);
            for (const e of events) {
              if (e.kind === 'packet') {
                assert.ok(e.packet.length >= 2 && e.packet.length <= maxPacket);
                accounted += e.packet.length;
              } else {
                assert.ok(e.bytes > 0);
                accounted += e.bytes;
              }
            }
            assert.ok(framer.pending() <= bound);
          }
          // raw hands on or throws away every octet exactly once.
          if (kind === 'raw') assert.equal(accounted + framer.pending(), fed);
        },
      ),
      { numRuns: 500 },
    );
  });
}
