// Soak fuzz of the MQTT-SN serial path: 1,000,000 random or mutated frames through each
// framer (raw, slip, cobs) and on into the codec, and 1,000,000 buffers straight into
// decodePacket. Bad data is a value, never an exception (docs/architecture.md): nothing thrown,
// every event a packet or a discard with a known reason, framer buffers within their bound,
// and the heap no larger at the end of the run than after its first tenth.
//
// Seeded, cheap PRNG (mulberry32) rather than fast-check: a million shrinkable values would
// not fit the time budget. The seed is printed; TTY2MQTT_FUZZ_SEED=<n> replays a run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createPacketFramer, encodeFrame } from '../../../src/framing/packet-framers.ts';
import type { PacketFraming } from '../../../src/framing/packet-framers.ts';
import type { PacketDiscardReason, PacketFramerEvent } from '../../../src/framing/packet-framer.ts';
import { decodePacket } from '../../../src/mqttsn/decode.ts';
import { encodePacket } from '../../../src/mqttsn/encode.ts';
import { MsgType } from '../../../src/mqttsn/packet-types.ts';
import type {
  DecodeResult,
  InnerPacket,
  MqttSnDiscardReason,
  MqttSnPacket,
  PublishTopic,
  Qos,
  ReturnCodeValue,
  SubscribeTopic,
  WillTopicFields,
} from '../../../src/mqttsn/packet-types.ts';

const FRAMES = 1_000_000;
const MAX_PACKET = 512; // below the longest random runs, above every pooled packet
const IDLE_MS = 100;
const POOL_SIZE = 3_000;
const MAX_HEAP_GROWTH = 20 * 1024 * 1024;
const TIMEOUT = 180_000;

const SEED = ((): number => {
  const fromEnv = process.env['TTY2MQTT_FUZZ_SEED'];
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (!Number.isInteger(n)) throw new Error(`TTY2MQTT_FUZZ_SEED must be an integer, got ${fromEnv}`);
    return n >>> 0;
  }
  return (Math.random() * 0x1_0000_0000) >>> 0;
})();
console.log(`fuzz-million-mqttsn: seed ${SEED} (replay with TTY2MQTT_FUZZ_SEED=${SEED})`);

const FRAMER_REASONS: ReadonlySet<string> = new Set<PacketDiscardReason>([
  'bad_length',
  'oversize',
  'bad_escape',
  'bad_encoding',
  'bad_crc',
  'too_short',
  'length_mismatch',
  'resync',
  'truncated',
  'padding',
]);
const CODEC_REASONS: ReadonlySet<string> = new Set<MqttSnDiscardReason>([
  'too_short',
  'bad_length',
  'length_mismatch',
  'reserved_type',
  'bad_size',
  'bad_flags',
  'bad_topic_id',
  'bad_return_code',
  'bad_utf8',
  'bad_field',
  'nested_encapsulation',
]);

// ---- PRNG ----------------------------------------------------------------------------------

/** mulberry32: 32 bits of state, plenty for a fuzz stream and fast in V8. */
class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** 0..n-1 (n ≤ 2^32; the modulo bias is irrelevant here). */
  int(n: number): number {
    return this.u32() % n;
  }
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }
  bool(): boolean {
    return (this.u32() & 1) === 1;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** Random octets into buf[from, to). */
  fill(buf: Uint8Array, from: number, to: number): void {
    let i = from;
    for (; i + 4 <= to; i += 4) {
      const r = this.u32();
      buf[i] = r;
      buf[i + 1] = r >>> 8;
      buf[i + 2] = r >>> 16;
      buf[i + 3] = r >>> 24;
    }
    for (; i < to; i++) buf[i] = this.u32();
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    this.fill(b, 0, n);
    return b;
  }
}

/** An independent stream per test, so each replays alone or in any order. */
const rngFor = (label: string): Rng => {
  let h = SEED ^ 0x9e3779b9;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return new Rng(h);
};

// ---- a pool of valid packets ----------------------------------------------------------------

const CHARS = ['a', 'b', 'z', 'A', '0', '9', '/', '/', '+', '#', '-', '_', '.', ' ', 'é', '€', '😀'];

function text(rng: Rng, minChars: number, maxChars: number): string {
  const n = rng.range(minChars, maxChars);
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick(CHARS);
  return s;
}
function asciiText(rng: Rng, min: number, max: number): string {
  const n = rng.range(min, max);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.range(0x21, 0x7e));
  return s;
}

/** Payload sizes 0..300: mostly small, as sensors send, sometimes large (3-octet Length). */
function payloadSize(rng: Rng): number {
  const r = rng.int(10);
  if (r < 6) return rng.range(0, 32);
  if (r < 9) return rng.range(33, 120);
  return rng.range(121, 300);
}

const u16 = (rng: Rng): number => rng.int(0x10000);
const realId = (rng: Rng): number => rng.range(1, 0xfffe);
const qos = (rng: Rng): Qos => rng.int(3) as Qos;
const returnCode = (rng: Rng): ReturnCodeValue => rng.int(4) as ReturnCodeValue;
const topicName = (rng: Rng): string => (rng.int(8) === 0 ? text(rng, 150, 280) : text(rng, 1, 40));
const shortName = (rng: Rng): string => asciiText(rng, 2, 2);

function publishTopic(rng: Rng, allowNormal: boolean): PublishTopic {
  const r = rng.int(allowNormal ? 3 : 2);
  if (r === 0) return { kind: 'predefined', id: realId(rng) };
  if (r === 1) return { kind: 'short', name: shortName(rng) };
  return { kind: 'normal', id: realId(rng) };
}
function subscribeTopic(rng: Rng): SubscribeTopic {
  const r = rng.int(3);
  if (r === 0) return { kind: 'name', name: topicName(rng) };
  if (r === 1) return { kind: 'predefined', id: realId(rng) };
  return { kind: 'short', name: shortName(rng) };
}
function will(rng: Rng): WillTopicFields | null {
  return rng.int(4) === 0 ? null : { qos: qos(rng), retain: rng.bool(), topic: topicName(rng) };
}

function randomInner(rng: Rng): InnerPacket {
  // PUBLISH is what a serial line mostly carries: weight it like that.
  if (rng.int(5) < 2) {
    const q = (rng.int(4) - 1) as -1 | Qos;
    return {
      type: 'PUBLISH',
      dup: rng.bool(),
      qos: q,
      retain: rng.bool(),
      topic: publishTopic(rng, q !== -1),
      msgId: u16(rng),
      payload: rng.bytes(payloadSize(rng)),
    };
  }
  switch (rng.int(25)) {
    case 0:
      return { type: 'ADVERTISE', gwId: rng.int(256), duration: u16(rng) };
    case 1:
      return { type: 'SEARCHGW', radius: rng.int(256) };
    case 2:
      return rng.bool()
        ? { type: 'GWINFO', gwId: rng.int(256) }
        : { type: 'GWINFO', gwId: rng.int(256), gwAdd: rng.bytes(rng.range(1, 8)) };
    case 3:
      return {
        type: 'CONNECT',
        will: rng.bool(),
        cleanSession: rng.bool(),
        protocolId: rng.int(8) === 0 ? rng.int(256) : 1,
        duration: u16(rng),
        clientId: asciiText(rng, 1, 23),
      };
    case 4:
      return { type: 'CONNACK', returnCode: returnCode(rng) };
    case 5:
      return { type: 'WILLTOPICREQ' };
    case 6:
      return { type: 'WILLTOPIC', will: will(rng) };
    case 7:
      return { type: 'WILLMSGREQ' };
    case 8:
      return { type: 'WILLMSG', willMsg: rng.bytes(payloadSize(rng)) };
    case 9:
      return { type: 'REGISTER', topicId: rng.int(0xffff), msgId: u16(rng), topicName: topicName(rng) };
    case 10: {
      const rc = returnCode(rng);
      return { type: 'REGACK', topicId: rc === 0 ? realId(rng) : u16(rng), msgId: u16(rng), returnCode: rc };
    }
    case 11:
      return { type: 'PUBACK', topicId: u16(rng), msgId: u16(rng), returnCode: returnCode(rng) };
    case 12:
      return { type: rng.pick(['PUBCOMP', 'PUBREC', 'PUBREL'] as const), msgId: u16(rng) };
    case 13:
      return {
        type: 'SUBSCRIBE',
        dup: rng.bool(),
        qos: qos(rng),
        msgId: u16(rng),
        topic: subscribeTopic(rng),
      };
    case 14: {
      const rc = returnCode(rng);
      const topicId = rc === 0 ? rng.int(0xffff) : u16(rng);
      return { type: 'SUBACK', qos: qos(rng), topicId, msgId: u16(rng), returnCode: rc };
    }
    case 15:
      return { type: 'UNSUBSCRIBE', msgId: u16(rng), topic: subscribeTopic(rng) };
    case 16:
      return { type: 'UNSUBACK', msgId: u16(rng) };
    case 17:
      return rng.bool() ? { type: 'PINGREQ' } : { type: 'PINGREQ', clientId: asciiText(rng, 1, 23) };
    case 18:
      return { type: 'PINGRESP' };
    case 19:
      return rng.bool() ? { type: 'DISCONNECT' } : { type: 'DISCONNECT', duration: u16(rng) };
    case 20:
      return { type: 'WILLTOPICUPD', will: will(rng) };
    case 21:
      return { type: 'WILLTOPICRESP', returnCode: returnCode(rng) };
    case 22:
      return { type: 'WILLMSGUPD', willMsg: rng.bytes(payloadSize(rng)) };
    case 23:
      return { type: 'WILLMSGRESP', returnCode: returnCode(rng) };
    default:
      return { type: 'PINGRESP' };
  }
}

function randomPacket(rng: Rng): MqttSnPacket {
  if (rng.int(10) > 0) return randomInner(rng);
  return {
    type: 'ENCAPSULATED',
    radius: rng.int(4) as 0 | 1 | 2 | 3,
    wirelessNodeId: rng.bytes(rng.range(0, 16)),
    packet: randomInner(rng),
  };
}

/** Encoded valid packets; checked once to read back, so the pool itself is sound. */
function buildPool(rng: Rng): Buffer[] {
  const pool: Buffer[] = [];
  while (pool.length < POOL_SIZE) {
    const wire = encodePacket(randomPacket(rng));
    if (wire.length > MAX_PACKET) continue; // an encapsulated long PUBLISH: too big for the line
    const back = decodePacket(wire);
    assert.ok(back.ok, back.ok ? '' : `${back.reason}: ${back.detail}`);
    pool.push(wire);
  }
  return pool;
}

const KNOWN_TYPES = Object.values(MsgType);

// ---- mutations ------------------------------------------------------------------------------

const SCRATCH_SIZE = 4096;
const SCRATCH_ROOM = 1600; // longest frame the generators write, with room for the edits

/** Octets each framing treats specially: delimiters, escapes, padding, the long-Length marker. */
const SPECIAL: Record<PacketFraming, readonly number[]> = {
  raw: [0x00, 0x01, 0xff],
  slip: [0xc0, 0xc0, 0xdb, 0xdc, 0xdd],
  cobs: [0x00, 0x00, 0x01, 0xff],
};

function insert(buf: Buffer, len: number, at: number, octet: number): number {
  if (len >= SCRATCH_ROOM) return len;
  buf.copyWithin(at + 1, at, len);
  buf[at] = octet;
  return len + 1;
}

/**
 * One to three edits of buf[0, len) in place; returns the new length. `special` octets are
 * inserted (duplicated delimiters, stray escapes); the Length edits matter at packet level.
 */
function mutate(rng: Rng, buf: Buffer, len: number, special: readonly number[]): number {
  const edits = 1 + rng.int(3);
  for (let e = 0; e < edits; e++) {
    switch (rng.int(10)) {
      case 0:
      case 1: // bit flip
        if (len > 0) buf[rng.int(len)]! ^= 1 << rng.int(8);
        break;
      case 2: // truncation
        len = rng.int(len + 1);
        break;
      case 3: // inserted octet
        len = insert(buf, len, rng.int(len + 1), rng.int(256));
        break;
      case 4: // deleted octet (at either end: a lost delimiter)
        if (len > 0) {
          const at = rng.bool() ? rng.int(len) : rng.bool() ? 0 : len - 1;
          buf.copyWithin(at, at + 1, len);
          len--;
        }
        break;
      case 5: {
        // duplicated delimiter / stray escape / padding
        const octet = rng.pick(special);
        const at = rng.bool() ? rng.int(len + 1) : rng.bool() ? 0 : len;
        len = insert(buf, len, at, octet);
        if (rng.bool()) len = insert(buf, len, at, octet);
        break;
      }
      case 6: // random Length octet
        if (len > 0) buf[0] = rng.int(4) === 0 ? rng.int(4) : rng.int(256);
        break;
      case 7: {
        // 0x01 3-octet Length form: honest, or any 16-bit total (also < 4, or huge)
        if (len === 0 || len + 2 >= SCRATCH_ROOM || buf[0] === 0x01) break;
        buf.copyWithin(3, 1, len);
        len += 2;
        const total = rng.int(3) === 0 ? (rng.bool() ? rng.int(8) : rng.int(0x10000)) : len;
        buf[0] = 0x01;
        buf.writeUInt16BE(total & 0xffff, 1);
        break;
      }
      case 8: // a run of octets overwritten
        if (len > 0) {
          const at = rng.int(len);
          rng.fill(buf, at, Math.min(len, at + 1 + rng.int(8)));
        }
        break;
      default: // wrong MsgType
        if (len > 1)
          buf[buf[0] === 0x01 && len > 3 ? 3 : 1] = rng.bool() ? rng.pick(KNOWN_TYPES) : rng.int(256);
    }
  }
  return len;
}

/** MQTT-SN shaped: honest Length (either form), a known or random MsgType, random body. */
function shaped(rng: Rng, buf: Buffer): number {
  const body = rng.int(4) === 0 ? rng.int(300) : rng.int(24);
  const long = body + 2 > 0xff || rng.int(8) === 0;
  const total = body + (long ? 4 : 2);
  let at = 0;
  if (long) {
    buf[at++] = 0x01;
    buf.writeUInt16BE(total, 1);
    at = 3;
  } else buf[at++] = total;
  buf[at++] = rng.int(6) === 0 ? rng.int(256) : rng.pick(KNOWN_TYPES);
  rng.fill(buf, at, total);
  return total;
}

/** Pure random octets: mostly short, now and then a run past every bound. */
function randomOctets(rng: Rng, buf: Buffer): number {
  const r = rng.int(20);
  const len = r === 0 ? rng.range(600, 1500) : r < 8 ? rng.range(1, 16) : rng.range(1, 300);
  rng.fill(buf, 0, len);
  return len;
}

// ---- memory ---------------------------------------------------------------------------------

const gc = ((): (() => void) => {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

function settledHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function checkDecode(result: DecodeResult, input: Buffer, failures: Record<string, number>): boolean {
  if (result.ok) {
    if (result.length !== input.length)
      assert.fail(`ok with length ${result.length} for ${input.length} octets`);
    return true;
  }
  if (!CODEC_REASONS.has(result.reason)) assert.fail(`unknown decode reason ${String(result.reason)}`);
  if (typeof result.detail !== 'string' || result.detail.length === 0)
    assert.fail('decode failure without detail');
  bump(failures, result.reason);
  return false;
}

const fmt = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

// ---- the runs -------------------------------------------------------------------------------

const KINDS: PacketFraming[] = ['raw', 'slip', 'cobs'];

describe('MQTT-SN serial path: 1,000,000 frames per framer', () => {
  for (const kind of KINDS) {
    it(
      `${kind}: random and mutated frames never throw; buffers and heap stay bounded`,
      { timeout: TIMEOUT },
      () => {
        const rng = rngFor(kind);
        const pool = buildPool(rng);
        const framedPool = pool.map((p) => encodeFrame(kind, p));
        const special = SPECIAL[kind];
        const framer = createPacketFramer(kind, { maxPacket: MAX_PACKET, idleMs: IDLE_MS });
        const bound = kind === 'raw' ? MAX_PACKET : MAX_PACKET + 2;

        const scratch = Buffer.alloc(SCRATCH_SIZE);
        const stage = Buffer.alloc(1 << 17);
        const STAGE_FLUSH = 1 << 16;
        let fill = 0;
        let now = 0;
        let fed = 0;
        let accounted = 0; // raw: octets handed on or discarded
        let pushes = 0;
        let idleCalls = 0;
        let quietGaps = 0;
        let maxPending = 0;
        let packets = 0;
        let decodedOk = 0;
        const discards: Record<string, number> = {};
        const decodeFailures: Record<string, number> = {};
        const generated = { valid: 0, mutated: 0, shaped: 0, random: 0 };

        const handle = (events: PacketFramerEvent[]): void => {
          for (const e of events) {
            if (e.kind === 'packet') {
              const n = e.packet.length;
              if (n < 2 || n > MAX_PACKET) assert.fail(`${kind}: emitted a packet of ${n} octets`);
              packets++;
              accounted += n;
              if (checkDecode(decodePacket(e.packet), e.packet, decodeFailures)) decodedOk++;
            } else if (e.kind === 'discard') {
              if (!FRAMER_REASONS.has(e.reason)) assert.fail(`${kind}: unknown discard reason ${e.reason}`);
              if (!(e.bytes > 0)) assert.fail(`${kind}: discard ${e.reason} of ${e.bytes} octets`);
              accounted += e.bytes;
              bump(discards, e.reason);
            } else assert.fail(`${kind}: unknown event ${JSON.stringify(e)}`);
          }
        };

        /** Feeds the staged octets in reads of 1..256 octets, on an advancing clock. */
        const flush = (): void => {
          let off = 0;
          while (off < fill) {
            const n = Math.min(1 + rng.int(256), fill - off);
            now += rng.int(3);
            const r = rng.int(64);
            if (r === 0)
              now += IDLE_MS + 1 + rng.int(IDLE_MS); // silence mid-frame
            else if (r === 1) {
              now += rng.int(2 * IDLE_MS); // the I/O layer's idle timer fires
              idleCalls++;
              handle(framer.idle(now));
            }
            const events = framer.push(stage.subarray(off, off + n), now);
            pushes++;
            const pending = framer.pending();
            if (pending > bound) assert.fail(`${kind}: pending ${pending} > ${bound}`);
            if (pending > maxPending) maxPending = pending;
            handle(events);
            off += n;
          }
          fed += fill;
          fill = 0;
        };

        const append = (src: Uint8Array, len: number): void => {
          stage.set(src.subarray(0, len), fill);
          fill += len;
          if (fill >= STAGE_FLUSH) flush();
        };

        let baseline = 0;
        const started = performance.now();
        for (let i = 0; i < FRAMES; i++) {
          if (i === FRAMES / 10) {
            flush();
            baseline = settledHeap();
          }
          const r = rng.int(100);
          if (r < 50) {
            const frame = framedPool[rng.int(POOL_SIZE)]!;
            append(frame, frame.length);
            generated.valid++;
          } else if (r < 65) {
            // packet-level edit, then framed: slip/cobs carry it, CRC and all, to the codec
            const src = pool[rng.int(POOL_SIZE)]!;
            src.copy(scratch);
            const len = mutate(rng, scratch, src.length, SPECIAL.raw);
            const frame = encodeFrame(kind, scratch.subarray(0, len));
            append(frame, frame.length);
            generated.mutated++;
          } else if (r < 85) {
            // frame-level edit: broken escapes, codes, delimiters, CRCs
            const src = framedPool[rng.int(POOL_SIZE)]!;
            src.copy(scratch);
            append(scratch, mutate(rng, scratch, src.length, special));
            generated.mutated++;
          } else if (r < 92) {
            const len = shaped(rng, scratch);
            const frame =
              kind === 'raw' ? scratch.subarray(0, len) : encodeFrame(kind, scratch.subarray(0, len));
            append(frame, frame.length);
            generated.shaped++;
          } else {
            append(scratch, randomOctets(rng, scratch));
            generated.random++;
          }
          // A device going quiet after a frame: raw resynchronises here.
          if (rng.int(8) === 0) {
            flush();
            now += IDLE_MS + rng.int(IDLE_MS);
            quietGaps++;
          }
        }
        flush();
        handle(framer.idle(now + IDLE_MS));
        const seconds = (performance.now() - started) / 1000;
        const final = settledHeap();

        // raw hands on or throws away every octet exactly once.
        if (kind === 'raw') assert.equal(accounted + framer.pending(), fed);
        const total = generated.valid + generated.mutated + generated.shaped + generated.random;
        assert.equal(total, FRAMES);
        console.log(
          `${kind}: ${total} frames (${generated.valid} valid, ${generated.mutated} mutated, ` +
            `${generated.shaped} shaped, ${generated.random} random), ${mb(fed)} in ${pushes} reads, ` +
            `${quietGaps} quiet gaps, ${idleCalls} idle() calls, max pending ${maxPending}/${bound}; ` +
            `${packets} packets, ${decodedOk} decoded ok; decode failures: ${fmt(decodeFailures)}; ` +
            `framer discards: ${fmt(discards)}; ${Math.round(total / seconds)} frames/s (${seconds.toFixed(1)} s); ` +
            `heap ${mb(baseline)} at 10% → ${mb(final)} at 100%`,
        );
        // Not vacuous: most valid frames came through and decoded.
        assert.ok(decodedOk > generated.valid / 4, `only ${decodedOk} packets decoded`);
        assert.ok(
          final - baseline < MAX_HEAP_GROWTH,
          `${kind}: heap grew ${mb(final - baseline)} between 10% and 100% of the run`,
        );
      },
    );
  }
});

describe('MQTT-SN codec: 1,000,000 buffers', () => {
  it(
    'random and mutated buffers never make decodePacket throw; heap stays bounded',
    { timeout: TIMEOUT },
    () => {
      const rng = rngFor('codec');
      const pool = buildPool(rng);
      const scratch = Buffer.alloc(SCRATCH_SIZE);
      const failures: Record<string, number> = {};
      const generated = { valid: 0, mutated: 0, shaped: 0, random: 0 };
      let ok = 0;
      let baseline = 0;
      const started = performance.now();
      for (let i = 0; i < FRAMES; i++) {
        if (i === FRAMES / 10) baseline = settledHeap();
        const r = rng.int(100);
        let input: Buffer;
        if (r < 30) {
          input = pool[rng.int(POOL_SIZE)]!;
          generated.valid++;
        } else if (r < 75) {
          const src = pool[rng.int(POOL_SIZE)]!;
          src.copy(scratch);
          input = scratch.subarray(0, mutate(rng, scratch, src.length, SPECIAL.raw));
          generated.mutated++;
        } else if (r < 90) {
          input = scratch.subarray(0, shaped(rng, scratch));
          generated.shaped++;
        } else {
          const len = rng.int(4) === 0 ? 0 : randomOctets(rng, scratch);
          input = scratch.subarray(0, len);
          generated.random++;
        }
        if (checkDecode(decodePacket(input), input, failures)) ok++;
      }
      const seconds = (performance.now() - started) / 1000;
      const final = settledHeap();
      console.log(
        `codec: ${FRAMES} buffers (${generated.valid} valid, ${generated.mutated} mutated, ` +
          `${generated.shaped} shaped, ${generated.random} random); ${ok} ok; failures: ${fmt(failures)}; ` +
          `${Math.round(FRAMES / seconds)} buffers/s (${seconds.toFixed(1)} s); ` +
          `heap ${mb(baseline)} at 10% → ${mb(final)} at 100%`,
      );
      assert.ok(ok >= generated.valid, `only ${ok} buffers decoded`);
      assert.ok(final - baseline < MAX_HEAP_GROWTH, `codec: heap grew ${mb(final - baseline)}`);
    },
  );
});
