import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc16 } from '../../../src/framing/crc16.ts';
import { createPacketFramer, encodeFrame } from '../../../src/framing/packet-framers.ts';
import type { PacketFraming } from '../../../src/framing/packet-framers.ts';
import { encodeSlip } from '../../../src/framing/slip.ts';
import { encodeCobs } from '../../../src/framing/cobs.ts';
import type {
  PacketDiscardReason,
  PacketFramer,
  PacketFramerEvent,
} from '../../../src/framing/packet-framer.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const PINGREQ = hex('02 16');
const PUBLISH = hex('0B 0C 20 00 01 00 02 32 31 2E 35'); // data '21.5'
const PUBLISH_SPECIAL = hex('0C 0C 20 00 01 00 02 C0 DB 00 DC DD'); // every SLIP/COBS special
const PINGREQ_LONG_FORM = hex('01 00 04 16'); // 3-octet Length form, total 4
const LONG = Buffer.concat([hex('01 01 35 0C 20 00 01 00 07'), Buffer.alloc(300, 0x41)]); // 309
const ENCAPSULATED = hex('05 FE 00 00 2A 03 02 01'); // §5.5, wrapping GWINFO
const SAMPLES = [PINGREQ, PUBLISH, PUBLISH_SPECIAL, PINGREQ_LONG_FORM, LONG];
const KINDS: PacketFraming[] = ['raw', 'slip', 'cobs'];

function feed(framer: PacketFramer, ...chunks: Buffer[]): PacketFramerEvent[] {
  return chunks.flatMap((chunk) => framer.push(chunk, 0));
}
const packet = (p: Buffer): PacketFramerEvent => ({ kind: 'packet', packet: p });
const discard = (reason: PacketDiscardReason, bytes: number): PacketFramerEvent => ({
  kind: 'discard',
  reason,
  bytes,
});
const stream = (kind: PacketFraming, packets: Buffer[]): Buffer =>
  Buffer.concat(packets.map((p) => encodeFrame(kind, p)));

test('CRC-16/CCITT-FALSE: check value, ranges, residue of packet ‖ CRC', () => {
  assert.equal(crc16(Buffer.from('123456789')), 0x29b1);
  assert.equal(crc16(Buffer.from('xx123456789yy'), 2, 11), 0x29b1);
  assert.equal(crc16(Buffer.alloc(0)), 0xffff);
  const framed = Buffer.concat([Buffer.from('123456789'), hex('29 B1')]);
  assert.equal(crc16(framed), 0);
});

test('encoders: raw is the packet; SLIP escapes and brackets with C0; COBS ends with 00', () => {
  assert.equal(encodeFrame('raw', PINGREQ), PINGREQ);
  const slip = encodeSlip(PUBLISH_SPECIAL);
  assert.deepEqual(slip.subarray(0, 14), hex('C0 0C 0C 20 00 01 00 02 DB DC DB DD 00 DC'));
  assert.equal(slip.at(-1), 0xc0);
  assert.equal(slip.subarray(1, -1).includes(0xc0), false);
  // PacketSerial's COBS: a 254-octet run closes its block with 0xFF and opens a new one.
  assert.deepEqual(encodeCobs(hex('02 16')).subarray(0, 3), hex('05 02 16'));
  const cobs = encodeCobs(Buffer.alloc(300, 0x41));
  assert.equal(cobs[0], 0xff);
  assert.equal(cobs.subarray(0, -1).includes(0), false);
  assert.equal(cobs.at(-1), 0);
});

for (const kind of KINDS) {
  test(`${kind}: a stream split at every point, and byte by byte, yields exactly the packets`, () => {
    const bytes = stream(kind, SAMPLES);
    const expected = SAMPLES.map(packet);
    assert.deepEqual(feed(createPacketFramer(kind), bytes), expected); // many in one chunk
    for (let cut = 1; cut < bytes.length; cut++) {
      const framer = createPacketFramer(kind);
      const events = feed(framer, bytes.subarray(0, cut), bytes.subarray(cut));
      assert.deepEqual(events, expected, `cut at ${cut}`);
    }
    const framer = createPacketFramer(kind);
    const events: PacketFramerEvent[] = [];
    for (let i = 0; i < bytes.length; i++) {
      events.push(...framer.push(bytes.subarray(i, i + 1), i));
      assert.ok(framer.pending() <= 1026);
    }
    assert.deepEqual(events, expected);
    assert.equal(framer.pending(), 0);
  });

  test(`${kind}: packets are copies the caller owns`, () => {
    const bytes = stream(kind, [PUBLISH]);
    const [event] = feed(createPacketFramer(kind), bytes);
    bytes.fill(0x55);
    assert.deepEqual(event, packet(PUBLISH));
  });

  test(`${kind}: an oversize packet is dropped, the next one comes through, memory stays bounded`, () => {
    const framer = createPacketFramer(kind, { maxPacket: 16 });
    const big = Buffer.concat([hex('14 0C'), Buffer.alloc(18, 0x41)]); // Length 20
    const bytes = encodeFrame(kind, big);
    const events: PacketFramerEvent[] = [];
    for (const octet of bytes) {
      events.push(...framer.push(Buffer.of(octet), 0));
      assert.ok(framer.pending() <= 18);
    }
    const after = kind === 'raw' ? framer.push(PINGREQ, 100) : feed(framer, encodeFrame(kind, PINGREQ));
    assert.equal(events[0]?.kind === 'discard' && events[0].reason, 'oversize');
    assert.deepEqual(after, [packet(PINGREQ)]);
  });
}

test('options are checked', () => {
  assert.throws(() => createPacketFramer('raw', { maxPacket: 3 }), RangeError);
  assert.throws(() => createPacketFramer('slip', { maxPacket: 70000 }), RangeError);
  assert.throws(() => createPacketFramer('raw', { idleMs: 0 }), RangeError);
});

test('raw: 3-octet Length form, lone 0x00 padding skipped and counted', () => {
  const framer = createPacketFramer('raw');
  assert.deepEqual(feed(framer, hex('00 01 00 04 16 00 00 02'), hex('16 00')), [
    discard('padding', 1),
    packet(PINGREQ_LONG_FORM),
    discard('padding', 2),
    packet(PINGREQ),
    discard('padding', 1),
  ]);
});

test('raw: a framing error discards everything until the line is idle ≥ idleMs, then resumes', () => {
  const framer = createPacketFramer('raw');
  // 0x01 form declaring 2 (< 4): never slide to the 02 16 that follows.
  assert.deepEqual(framer.push(hex('01 00 02 02 16'), 0), [discard('bad_length', 3), discard('resync', 2)]);
  assert.deepEqual(framer.push(PUBLISH, 60), [discard('resync', 11)]);
  assert.deepEqual(framer.push(PINGREQ, 159), [discard('resync', 2)]); // 99 ms: still busy
  assert.deepEqual(framer.push(hex('02 16 02'), 259), [packet(PINGREQ)]); // exactly 100 ms
  assert.equal(framer.pending(), 1);
  assert.deepEqual(framer.push(hex('16'), 300), [packet(PINGREQ)]);
  assert.deepEqual(framer.push(hex('01 00 00'), 400), [discard('bad_length', 3)]);
  assert.deepEqual(framer.idle(450), []);
  assert.deepEqual(framer.idle(500), []);
  assert.deepEqual(framer.push(PINGREQ, 500), [packet(PINGREQ)]);
});

test('raw: a declared length above maxPacket is a framing error', () => {
  const framer = createPacketFramer('raw');
  assert.deepEqual(framer.push(hex('01 04 01 0C'), 0), [discard('oversize', 3), discard('resync', 1)]);
  assert.equal(framer.pending(), 0);
  const small = createPacketFramer('raw', { maxPacket: 8 });
  assert.deepEqual(small.push(PUBLISH, 0), [discard('oversize', 1), discard('resync', 10)]);
});

test('raw: a partial packet followed by silence is dropped, never glued to new data', () => {
  const framer = createPacketFramer('raw');
  assert.deepEqual(framer.push(hex('05 FF 13'), 0), []); // garbage before a frame
  assert.deepEqual(framer.push(PINGREQ, 150), [discard('truncated', 3), packet(PINGREQ)]);
  assert.deepEqual(framer.push(PUBLISH.subarray(0, 6), 200), []);
  assert.deepEqual(framer.idle(299), []);
  assert.deepEqual(framer.idle(300), [discard('truncated', 6)]);
  assert.equal(framer.pending(), 0);
  assert.deepEqual(framer.push(PUBLISH, 301), [packet(PUBLISH)]);
  // Within idleMs the bytes are one packet: raw mode cannot tell garbage from data.
  assert.deepEqual(framer.push(hex('05 FF 13'), 400), []);
  assert.deepEqual(framer.push(PINGREQ, 450), [packet(hex('05 FF 13 02 16'))]);
});

test('raw: reset forgets the partial packet, the discard state and the clock', () => {
  const framer = createPacketFramer('raw');
  framer.push(hex('01 00 01'), 0);
  framer.reset();
  assert.deepEqual(framer.push(PINGREQ, 1), [packet(PINGREQ)]);
  framer.push(PUBLISH.subarray(0, 4), 2);
  framer.reset();
  assert.equal(framer.pending(), 0);
  assert.deepEqual(framer.push(PINGREQ, 3), [packet(PINGREQ)]);
});

// The framed modes: each fault drops its own frame only.
const DELIM = { slip: 0xc0, cobs: 0x00 } as const;
for (const kind of ['slip', 'cobs'] as const) {
  const frame = (p: Buffer): Buffer => encodeFrame(kind, p);
  const good = frame(PUBLISH);

  test(`${kind}: empty frames are ignored; garbage before a frame is one discard`, () => {
    const d = DELIM[kind];
    const events = feed(createPacketFramer(kind), Buffer.of(d, d, d), hex('41 42 43'), Buffer.of(d), good);
    const reason = kind === 'slip' ? 'too_short' : 'bad_encoding'; // COBS: code 0x41 overruns
    assert.deepEqual(events, [discard(reason, 3), packet(PUBLISH)]);
    const noise = hex('02 22 02 44 02 66');
    if (kind === 'slip') {
      // The leading END of every frame closes whatever noise came before it.
      assert.deepEqual(feed(createPacketFramer(kind), noise, good), [discard('bad_crc', 6), packet(PUBLISH)]);
    } else {
      // PacketSerial sends no leading 00: noise glued to a frame costs that frame too.
      const glued = feed(createPacketFramer(kind), noise, good);
      assert.deepEqual(glued, [discard('bad_crc', noise.length + good.length - 1)]);
      const events = feed(createPacketFramer(kind), noise, Buffer.of(0), good);
      assert.deepEqual(events, [discard('bad_crc', 6), packet(PUBLISH)]);
    }
  });

  test(`${kind}: a bad CRC drops that frame only`, () => {
    const bad = Buffer.from(good);
    const at = bad.indexOf('21.5');
    bad[at + 3] = 0x36;
    assert.deepEqual(feed(createPacketFramer(kind), bad, good), [
      discard('bad_crc', good.length - (kind === 'slip' ? 2 : 1)),
      packet(PUBLISH),
    ]);
  });

  test(`${kind}: the packet's own Length must describe it, Forwarder Encapsulation included`, () => {
    const framer = createPacketFramer(kind);
    const cases = [hex('05 16 41'), hex('00 16'), hex('01 00 03'), hex('05 FE 00 00 2A 04 02 01')];
    for (const p of cases) {
      const [event] = feed(framer, frame(p), good).map((e) => (e.kind === 'discard' ? e.reason : e.kind));
      assert.equal(event, 'length_mismatch', p.toString('hex'));
    }
    assert.deepEqual(feed(framer, frame(ENCAPSULATED)), [packet(ENCAPSULATED)]);
  });
}

test('slip: a bad escape drops that frame only (no fake PINGREQ out of C0 02 16 DB 41)', () => {
  const good = encodeSlip(PUBLISH);
  const events = feed(createPacketFramer('slip'), hex('C0 02 16 DB 41 42 43 44 C0'), hex('02 DB'), good);
  assert.deepEqual(events, [discard('bad_escape', 7), discard('bad_escape', 2), packet(PUBLISH)]);
  assert.deepEqual(feed(createPacketFramer('slip'), hex('C0 41')), []);
});

test('cobs: a code octet pointing beyond the frame end is bad_encoding', () => {
  const events = feed(createPacketFramer('cobs'), hex('05 41 42 00 01 00'), encodeCobs(PINGREQ));
  assert.deepEqual(events, [discard('bad_encoding', 3), discard('too_short', 1), packet(PINGREQ)]);
});
