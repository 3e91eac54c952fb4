import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PacketSizeScanner } from '../../../src/broker/packet-size.ts';

/** An MQTT packet: fixed header (type byte + Remaining Length varint, §2.2.3) and a body. */
function packet(bodyLength: number, type = 0x30): Buffer {
  const length: number[] = [];
  let x = bodyLength;
  do {
    let byte = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) byte |= 0x80;
    length.push(byte);
  } while (x > 0);
  return Buffer.concat([Buffer.from([type, ...length]), Buffer.alloc(bodyLength, 0x61)]);
}

function feedAll(scanner: PacketSizeScanner, chunks: Buffer[]): boolean {
  return chunks.every((c) => scanner.feed(c).ok);
}

void describe('PacketSizeScanner', () => {
  void it('accepts packets up to the maximum, whole or byte by byte', () => {
    const stream = Buffer.concat([packet(0, 0xc0), packet(10), packet(97), packet(0, 0xe0)]);
    assert.equal(feedAll(new PacketSizeScanner(100), [stream]), true);
    assert.equal(
      feedAll(
        new PacketSizeScanner(100),
        [...stream].map((b) => Buffer.from([b])),
      ),
      true,
    );
  });

  void it('refuses a packet one byte over the maximum from its header alone', () => {
    const scanner = new PacketSizeScanner(100);
    assert.equal(new PacketSizeScanner(100).feed(packet(98)).ok, true, '100 bytes is allowed');
    const verdict = scanner.feed(packet(99).subarray(0, 2));
    assert.match(verdict.ok ? '' : verdict.reason, /packet of 101 bytes exceeds the maximum of 100/);
    assert.equal(scanner.feed(Buffer.from([0])).ok, false, 'a failed scanner stays failed');
  });

  void it('refuses a huge length announced in a multi-byte Remaining Length', () => {
    assert.equal(new PacketSizeScanner(1 << 20).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])).ok, false);
  });

  void it('refuses a Remaining Length longer than 4 bytes', () => {
    const verdict = new PacketSizeScanner(Number.MAX_SAFE_INTEGER).feed(
      Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]),
    );
    assert.equal(verdict.ok, false);
  });

  void it('gives the same verdict however the stream is split (property)', () => {
    const sizes = fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(
        sizes,
        fc.integer({ min: 5, max: 300 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 40 }),
        (bodies, max, cuts) => {
          const stream = Buffer.concat(bodies.map((n) => packet(n)));
          const expected = bodies.every((n) => packet(n).length <= max);
          const chunks: Buffer[] = [];
          let at = 0;
          for (const cut of cuts) {
            if (at >= stream.length) break;
            chunks.push(stream.subarray(at, at + cut));
            at += cut;
          }
          chunks.push(stream.subarray(at));
          assert.equal(feedAll(new PacketSizeScanner(max), chunks), expected);
        },
      ),
    );
  });
});
