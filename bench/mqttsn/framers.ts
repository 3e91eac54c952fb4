// Part 1 of bench/mqttsn.ts: frames per second each MQTT-SN serial framer (raw, slip, cobs)
// sustains in-process, alone and with decodePacket on every frame, against the line framer
// on equivalent newline-terminated lines (the same payload bytes) measured in the same run.
//
// The stream is what a busy sensor port carries: PUBLISH QoS 1 on predefined topic ids
// with 4–30 byte payloads, every 20th frame a PINGREQ and every 20th a PUBACK. It is cut
// into 64-byte reads (roughly what a USB-serial adapter delivers per read at 115200 baud)
// and pushed through a fresh framer over and over for ~1 s per measurement. The contenders
// run in rotated order within each repetition so that drift of a noisy machine spreads
// evenly; the table shows the median of the repetitions with min–max.
import { createLineFramer } from '../../src/framing/line.ts';
import { createPacketFramer, encodeFrame } from '../../src/framing/packet-framers.ts';
import type { PacketFraming } from '../../src/framing/packet-framers.ts';
import { decodeKv } from '../../src/line/kv.ts';
import { decodePacket } from '../../src/mqttsn/decode.ts';
import { encodePacket } from '../../src/mqttsn/encode.ts';
import type { MqttSnPacket } from '../../src/mqttsn/packet-types.ts';
import { fmt, median } from './stats.ts';
import { seededRandom } from '../../test/helpers/seeded-random.ts';

export type FramerId = 'line' | PacketFraming;
export type Mode = 'framing' | 'decode';

export interface FramerOptions {
  reps: number;
  /** Length of one measurement. */
  measureMs: number;
  frames?: number;
  chunkBytes?: number;
}

export interface FramerCell {
  framer: FramerId;
  mode: Mode;
  runs: number[];
  median: number;
  min: number;
  max: number;
  /** median ÷ the line framer's median in the same mode. */
  ratio: number;
}

export interface FramerResult {
  frames: number;
  chunkBytes: number;
  streamBytes: Record<FramerId, number>;
  payloadBytes: { min: number; max: number; mean: number };
  cells: FramerCell[];
}

const FRAMERS: FramerId[] = ['line', 'raw', 'slip', 'cobs'];
const MODES: Mode[] = ['framing', 'decode'];

const FIELDS = ['t=21.5', 'h=40.2', 'p=1013.25', 'b=3.91', 'r=-67', 'l=512', 'on=1', 'co2=412', 'v=230.1'];

/** A key=value payload of 4–30 bytes, like a sensor node would send. */
function payload(random: () => number): string {
  for (;;) {
    const count = 1 + Math.floor(random() * 4);
    const parts: string[] = [];
    const first = Math.floor(random() * FIELDS.length);
    for (let i = 0; i < count; i += 1) parts.push(FIELDS[(first + i) % FIELDS.length] ?? 't=1'); // distinct keys
    const text = parts.join(',');
    if (text.length >= 4 && text.length <= 30) return text;
  }
}

interface Streams {
  /** Per framer: the stream cut into chunkBytes-long reads. */
  chunks: Record<FramerId, Buffer[]>;
  bytes: Record<FramerId, number>;
  payloadBytes: { min: number; max: number; mean: number };
}

function buildStreams(frames: number, chunkBytes: number): Streams {
  const random = seededRandom(0x5eed);
  const packets: Buffer[] = [];
  const lines: string[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < frames; i += 1) {
    let packet: MqttSnPacket;
    let line: string;
    const msgId = (i % 65535) + 1;
    if (i % 20 === 0) {
      packet = { type: 'PINGREQ' };
      line = 's=1';
    } else if (i % 20 === 10) {
      packet = { type: 'PUBACK', topicId: 1, msgId, returnCode: 0 };
      line = 'ack=12'; // a line of the PUBACK's 7 octets with its newline
    } else {
      const text = payload(random);
      sizes.push(text.length);
      packet = {
        type: 'PUBLISH',
        dup: false,
        qos: 1,
        retain: false,
        topic: { kind: 'predefined', id: 1 + (i % 2) },
        msgId,
        payload: Buffer.from(text),
      };
      line = text;
    }
    packets.push(encodePacket(packet));
    lines.push(`${line}\n`);
  }
  const streams: Record<FramerId, Buffer> = {
    // The line framer discards the first line after a (re)open: a lone newline takes that.
    line: Buffer.from(`\n${lines.join('')}`),
    raw: Buffer.concat(packets.map((p) => encodeFrame('raw', p))),
    slip: Buffer.concat(packets.map((p) => encodeFrame('slip', p))),
    cobs: Buffer.concat(packets.map((p) => encodeFrame('cobs', p))),
  };
  const cut = (b: Buffer): Buffer[] => {
    const out: Buffer[] = [];
    for (let i = 0; i < b.length; i += chunkBytes) out.push(b.subarray(i, i + chunkBytes));
    return out;
  };
  return {
    chunks: {
      line: cut(streams.line),
      raw: cut(streams.raw),
      slip: cut(streams.slip),
      cobs: cut(streams.cobs),
    },
    bytes: {
      line: streams.line.length,
      raw: streams.raw.length,
      slip: streams.slip.length,
      cobs: streams.cobs.length,
    },
    payloadBytes: {
      min: Math.min(...sizes),
      max: Math.max(...sizes),
      mean: sizes.reduce((a, b) => a + b, 0) / sizes.length,
    },
  };
}

/** Pushes the stream through fresh framers for `ms`; returns frames/s (and checks the count). */
function measure(framer: FramerId, mode: Mode, chunks: Buffer[], frames: number, ms: number): number {
  const decode = mode === 'decode';
  let delivered = 0;
  let failures = 0;
  let passes = 0;
  const start = performance.now();
  let elapsed = 0;
  if (framer === 'line') {
    while (elapsed < ms) {
      const f = createLineFramer({ maxBytes: 256 });
      for (const chunk of chunks)
        for (const event of f.push(chunk)) {
          if (event.kind !== 'line') continue;
          delivered += 1;
          if (decode && decodeKv(event.text).ok !== true) failures += 1;
        }
      passes += 1;
      elapsed = performance.now() - start;
    }
  } else {
    while (elapsed < ms) {
      const f = createPacketFramer(framer);
      for (const chunk of chunks)
        for (const event of f.push(chunk, 0)) {
          if (event.kind !== 'packet') continue;
          delivered += 1;
          if (decode && !decodePacket(event.packet).ok) failures += 1;
        }
      passes += 1;
      elapsed = performance.now() - start;
    }
  }
  if (delivered !== passes * frames || failures > 0)
    throw new Error(
      `${framer} ${mode}: ${delivered} frames delivered, ${passes * frames} expected, ${failures} failed to decode`,
    );
  return (delivered / elapsed) * 1000;
}

export function runFramers(options: FramerOptions, progress: (text: string) => void): FramerResult {
  const frames = options.frames ?? 2000;
  const chunkBytes = options.chunkBytes ?? 64;
  const streams = buildStreams(frames, chunkBytes);
  // Warm-up: let the JIT settle every path before anything is timed.
  for (const framer of FRAMERS)
    for (const mode of MODES) measure(framer, mode, streams.chunks[framer], frames, 150);
  const runs = new Map<string, number[]>();
  const key = (f: FramerId, m: Mode): string => `${f}/${m}`;
  for (let rep = 0; rep < options.reps; rep += 1) {
    const order = FRAMERS.map((_, i) => FRAMERS[(i + rep) % FRAMERS.length] as FramerId);
    const parts: string[] = [];
    for (const mode of rep % 2 === 0 ? MODES : [...MODES].reverse())
      for (const framer of order) {
        const perS = measure(framer, mode, streams.chunks[framer], frames, options.measureMs);
        runs.set(key(framer, mode), [...(runs.get(key(framer, mode)) ?? []), perS]);
        parts.push(`${framer}${mode === 'decode' ? '+dec' : ''}=${fmt(perS)}`);
      }
    progress(`  framers #${rep + 1}: ${parts.join(' ')}`);
  }
  const cells: FramerCell[] = [];
  for (const mode of MODES) {
    const base = median(runs.get(key('line', mode)) ?? []);
    for (const framer of FRAMERS) {
      const list = runs.get(key(framer, mode)) ?? [];
      const m = median(list);
      cells.push({
        framer,
        mode,
        runs: list,
        median: m,
        min: Math.min(...list),
        max: Math.max(...list),
        ratio: m / base,
      });
    }
  }
  return {
    frames,
    chunkBytes,
    streamBytes: streams.bytes,
    payloadBytes: streams.payloadBytes,
    cells,
  };
}

export function printFramers(result: FramerResult, reps: number): void {
  const p = result.payloadBytes;
  console.log(
    `\nFramer throughput, in-process: a ${result.frames.toLocaleString('en-US')}-frame stream ` +
      `(PUBLISH QoS 1, payloads ${p.min}–${p.max} B, mean ${p.mean.toFixed(1)}; 5% PINGREQ, 5% PUBACK) ` +
      `in ${result.chunkBytes}-byte reads; median of ${reps}, (min–max); ratio = framer ÷ line framer`,
  );
  console.log(
    `  stream bytes: ${Object.entries(result.streamBytes)
      .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
      .join(', ')}`,
  );
  const header =
    '  framer  ' +
    'framing frames/s'.padStart(34) +
    '  ratio  ' +
    'framing+decode frames/s'.padStart(34) +
    '  ratio';
  console.log(header);
  for (const framer of FRAMERS) {
    const cols = MODES.map((mode) => {
      const c = result.cells.find((x) => x.framer === framer && x.mode === mode);
      if (c === undefined) return ''.padStart(43);
      const text = `${fmt(c.median)} (${fmt(c.min)}–${fmt(c.max)})`;
      const r = framer === 'line' ? 'base' : `${c.ratio.toFixed(2)}×`;
      return `${text.padStart(34)}  ${r.padStart(5)}`;
    });
    console.log(`  ${framer.padEnd(6)}  ${cols.join('  ')}`);
  }
  console.log('  (line framer+decode = createLineFramer + decodeKv on each line; MQTT-SN = decodePacket)');
}
