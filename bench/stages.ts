// Per-stage micro-benchmarks of the serial half (README "Architecture": framer → envelope →
// decoder → validate → mapper → outbox), each stage alone, so that a performance regression
// can be pinned to one stage. Every stage runs the project's real, exported functions on the
// climate profile (devices/climate/profile.yaml, loaded with the real profile loader) and
// realistic 19-byte readings (`temp=23.5,hum=40.2`, 64 different values in rotation).
//
// Next to each stage a baseline is measured in the same run — the least code that does the
// same job naively — and the ratio stage/baseline is printed (1.00 = as fast as the
// baseline, 0.25 = four times slower). The baselines:
//   framing      Buffer.indexOf(0x0a) splitting + toString('utf8') per line (Buffer.concat for
//                a line split across chunks); no CR, UTF-8, length or first-line checks
//   envelope     slice off `*HH`, parseInt(HH, 16), XOR of charCodeAt (ASCII only), and for
//                `#seq ` indexOf(' ') + Number()
//   decode kv    split(',') / split('=') into a Map
//   decode json  bare JSON.parse
//   validate     Number() + the climate profile's range check, written out by hand
//   topic        a template literal `${base}/${port}/${field}`
//   map          template-literal topics + Buffer.from(String(value)) message objects
//   line→msgs    the baselines above, chained
//   queue        the MemoryOutbox is the baseline of the SqliteOutbox (durability normal)
//
// "line→msgs" chains the exported functions exactly as ports/line-part.ts's LinePart.onLine/
// accept does (parseEnvelope → hashBody → decoder → validateValues → mapper); that path is a
// private method of LinePart (it also counts, logs and talks to the serial port), so there is
// no single exported function for it.
//
// Each case: a warm-up of WARMUP_MS, then REPS repetitions of REP_MS, stage and baseline
// alternating; reported are the median ops/s and the min–max over the repetitions. Results
// accumulate into a sink that is printed, so V8 cannot drop the work. Total about 40 s.
// The table goes to stdout, the same data as JSON to bench/results/stages.json.
//
// Run: npm run bench:stages   (or: node --import tsx bench/stages.ts)
// Only some stages: npm run bench:stages -- topic map   (stages whose name contains a word)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHIPPED_DEVICES_DIR } from '../src/cli/shipped.ts';
import { loadProfileById } from '../src/config/profiles.ts';
import { createLineFramer } from '../src/framing/line.ts';
import { createDecoder } from '../src/line/decoder.ts';
import { formatEnvelope, parseEnvelope } from '../src/line/envelope.ts';
import type { EnvelopeOptions } from '../src/line/envelope.ts';
import { decodeJson } from '../src/line/json.ts';
import { hashBody } from '../src/line/seq-window.ts';
import { gatewayOwnedNames } from '../src/topics/gateway-owned.ts';
import { createMapper } from '../src/pipeline/map.ts';
import { compileTemplate, renderTopic } from '../src/topics/template.ts';
import type { RawValue, Reading } from '../src/pipeline/types.ts';
import { compileFields, validateValues } from '../src/pipeline/validate.ts';
import { MemoryOutbox } from '../src/queue/memory-outbox.ts';
import type { OutMessage, Outbox } from '../src/queue/outbox.ts';
import { openSqliteOutbox } from '../src/queue/sqlite-outbox.ts';

const WARMUP_MS = 150;
const REP_MS = 300;
const REPS = 5;

/** Performs `n` iterations; returns how many operations (lines, readings, messages) they were. */
type Bench = (n: number) => number | Promise<number>;

interface Case {
  stage: string;
  unit: string;
  run: Bench;
  baselineName: string;
  baseline: Bench;
}

let sink = 0;

// ---------------------------------------------------------------------------------- inputs

const profile = await loadProfileById('climate', [SHIPPED_DEVICES_DIR], process.cwd());
const lineSpec = profile.line;
if (lineSpec === undefined) throw new Error('the climate profile has no line: section');
const BASE = 'iot/home1';
const PORT = 'livingroom';

const SAMPLES = 64; // a power of two: inputs are picked with `i & MASK`
const MASK = SAMPLES - 1;
const readings = Array.from({ length: SAMPLES }, (_, i) => ({
  temp: (10 + ((i * 37) % 300) / 10).toFixed(1), // 10.0–39.9
  hum: (10 + ((i * 131) % 900) / 10).toFixed(1), // 10.0–99.9
}));
const kvLines = readings.map((r) => `temp=${r.temp},hum=${r.hum}`); // 18 bytes + \n = 19
const jsonLines = readings.map((r) => `{"temp":${r.temp},"hum":${r.hum}}`);
const sumLines = kvLines.map((l) => formatEnvelope(l, { checksum: true })); // what climate.ino prints
const seqLines = kvLines.map((l, i) => formatEnvelope(l, { seq: i * 1000 + 7, checksum: true }));
const pick = <T>(list: readonly T[], i: number): T => list[i & MASK]!;
for (const [lines, ack] of [
  [sumLines, false],
  [seqLines, true],
] as const)
  for (const l of lines)
    if (!parseEnvelope(l, { checksum: 'required', ack }).ok || naiveEnvelope(l, ack) === null)
      throw new Error(`${l} is not a valid envelope`);

// Framing input: one 19-byte line per chunk (a read at real serial rates), and 64 KiB chunks
// of a continuous stream. 19 chunks of 64 KiB hold exactly 65,536 lines, so cycling through
// them wraps at a line boundary while lines inside straddle chunk boundaries.
const lineChunks = kvLines.map((l) => Buffer.from(`${l}\n`));
const stream = Buffer.from(Array.from({ length: 65_536 }, (_, i) => `${pick(kvLines, i)}\n`).join(''));
const bigChunks = Array.from({ length: 19 }, (_, i) => stream.subarray(i * 65_536, (i + 1) * 65_536));
if (stream.length !== 19 * 65_536) throw new Error(`stream is ${stream.length} bytes`);

const decoder = createDecoder(lineSpec); // decodeKv for the climate profile
const table = compileFields(profile.fields);
const decoded = kvLines.map((l) => {
  const d = decoder(l);
  if (d.ok !== true) throw new Error(`${l} does not decode`);
  return d.values;
});
const validated = decoded.map((values) => validateValues(table, values).values);
const templateResult = compileTemplate(profile.topicTemplate);
if (!templateResult.ok) throw new Error(templateResult.message);
const template = templateResult.template;
const fieldNames = Object.keys(profile.fields);
const mapper = createMapper({
  base: BASE,
  gatewayId: 'bench',
  port: PORT,
  portVars: {},
  profile: { publish: profile.publish, fieldOrder: fieldNames },
  template,
  owned: gatewayOwnedNames([]),
});
const topicVars = fieldNames.map((field) => {
  // As map.ts builds them: a null-prototype record.
  const vars = Object.create(null) as Record<string, string>;
  vars.port = PORT;
  vars.field = field;
  return vars;
});
const readingObjects: Reading[] = validated.map((values) => ({
  port: PORT,
  values,
  levels: {},
  receivedAt: Date.now(),
}));
const { qos, retain } = profile.publish;
/** The climate profile's fields by wire key (the baselines' hand-written knowledge of it). */
const naiveFields: Record<string, { name: string; min: number; max: number }> = {
  temp: { name: 'temperature', min: -40, max: 85 },
  hum: { name: 'humidity', min: 0, max: 100 },
};

// ------------------------------------------------------------------------------- baselines

/** indexOf splitting with a carried partial line; `onLine` gets each line's text. */
function naiveSplitter(onLine: (text: string) => void): (chunk: Buffer) => void {
  let rest: Buffer | null = null;
  return (chunk) => {
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, pos);
      if (nl === -1) {
        if (pos < chunk.length)
          rest = rest === null ? chunk.subarray(pos) : Buffer.concat([rest, chunk.subarray(pos)]);
        return;
      }
      if (rest === null) onLine(chunk.toString('utf8', pos, nl));
      else {
        onLine(Buffer.concat([rest, chunk.subarray(pos, nl)]).toString('utf8'));
        rest = null;
      }
      pos = nl + 1;
    }
  };
}

/** `[#seq ]body[*HH]` the short way; null when the checksum or seq is wrong. */
function naiveEnvelope(line: string, ack: boolean): string | null {
  let text = line;
  const n = line.length;
  if (n >= 3 && line.charCodeAt(n - 3) === 0x2a) {
    const claimed = parseInt(line.slice(n - 2), 16);
    text = line.slice(0, n - 3);
    let x = 0;
    for (let i = 0; i < text.length; i++) x ^= text.charCodeAt(i);
    if (x !== claimed) return null;
  }
  if (ack) {
    const space = text.indexOf(' ');
    const seq = Number(text.slice(1, space));
    if (text.charCodeAt(0) !== 0x23 || !(seq >= 0 && seq <= 65535)) return null;
    text = text.slice(space + 1);
  }
  return text;
}

function naiveKv(body: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const pair of body.split(',')) {
    const [key, value] = pair.split('=');
    if (key !== undefined && value !== undefined) values.set(key, value);
  }
  return values;
}

/** Number() + range check; field name → value. */
function naiveValidate(values: ReadonlyMap<string, RawValue>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, raw] of values) {
    const field = naiveFields[key];
    if (field === undefined) continue;
    const value = Number(raw);
    if (value >= field.min && value <= field.max) out.set(field.name, value);
  }
  return out;
}

function naiveMessages(
  values: ReadonlyMap<string, number | string | boolean>,
  createdAt: number,
): OutMessage[] {
  const out: OutMessage[] = [];
  for (const [name, value] of values)
    out.push({
      port: PORT,
      topic: `${BASE}/${PORT}/${name}`,
      payload: Buffer.from(String(value)),
      qos,
      retain,
      createdAt,
    });
  return out;
}

// ----------------------------------------------------------------------------------- cases

function framingCase(stage: string, chunks: readonly Buffer[]): Case {
  const framer = createLineFramer({ maxBytes: lineSpec!.max_bytes });
  framer.push(Buffer.from('partial first line\n')); // discarded by design (docs/contract.md §4.1)
  let next = 0;
  let naiveLines = 0;
  let naiveAcc = 0;
  const split = naiveSplitter((text) => {
    naiveLines += 1;
    naiveAcc += text.length;
  });
  let naiveNext = 0;
  return {
    stage,
    unit: 'lines',
    run(n) {
      let lines = 0;
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const chunk = chunks[next]!;
        next = next + 1 === chunks.length ? 0 : next + 1;
        for (const event of framer.push(chunk))
          if (event.kind === 'line') {
            lines += 1;
            acc += event.text.length;
          }
      }
      sink ^= acc;
      return lines;
    },
    baselineName: 'indexOf split',
    baseline(n) {
      const before = naiveLines;
      for (let i = 0; i < n; i++) {
        split(chunks[naiveNext]!);
        naiveNext = naiveNext + 1 === chunks.length ? 0 : naiveNext + 1;
      }
      sink ^= naiveAcc;
      return naiveLines - before;
    },
  };
}

function envelopeCase(stage: string, lines: readonly string[], opts: EnvelopeOptions): Case {
  return {
    stage,
    unit: 'lines',
    run(n) {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const result = parseEnvelope(pick(lines, i), opts);
        acc += result.ok ? result.body.length : -1;
      }
      sink ^= acc;
      return n;
    },
    baselineName: 'slice+parseInt+XOR',
    baseline(n) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += naiveEnvelope(pick(lines, i), opts.ack)?.length ?? -1;
      sink ^= acc;
      return n;
    },
  };
}

const cases: Case[] = [
  framingCase('framing 19 B/chunk', lineChunks),
  framingCase('framing 64 KiB chunks', bigChunks),
  envelopeCase('envelope *HH', sumLines, { checksum: 'optional', ack: false }),
  envelopeCase('envelope #seq + *HH', seqLines, { checksum: 'required', ack: true }),
  {
    stage: 'decode kv',
    unit: 'lines',
    run(n) {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const d = decoder(pick(kvLines, i));
        acc += d.ok === true ? d.values.size : -1;
      }
      sink ^= acc;
      return n;
    },
    baselineName: "split(',')/split('=')",
    baseline(n) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += naiveKv(pick(kvLines, i)).size;
      sink ^= acc;
      return n;
    },
  },
  {
    stage: 'decode json',
    unit: 'lines',
    run(n) {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const d = decodeJson(pick(jsonLines, i));
        acc += d.ok === true ? d.values.size : -1;
      }
      sink ^= acc;
      return n;
    },
    baselineName: 'JSON.parse',
    baseline(n) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += (JSON.parse(pick(jsonLines, i)) as { hum: number }).hum;
      sink ^= acc;
      return n;
    },
  },
  {
    stage: 'validate 2 fields',
    unit: 'readings',
    run(n) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += validateValues(table, pick(decoded, i)).values.size;
      sink ^= acc;
      return n;
    },
    baselineName: 'Number()+range',
    baseline(n) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += naiveValidate(pick(decoded, i)).size;
      sink ^= acc;
      return n;
    },
  },
  {
    stage: 'topic render',
    unit: 'topics',
    run(n) {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const r = renderTopic(BASE, template, topicVars[i & 1]!);
        acc += r.ok ? r.topic.length : -1;
      }
      sink ^= acc;
      return n;
    },
    baselineName: 'template literal',
    baseline(n) {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const vars = topicVars[i & 1]!;
        acc += `${BASE}/${vars.port}/${vars.field}`.length;
      }
      sink ^= acc;
      return n;
    },
  },
  {
    stage: 'map reading→2 msgs',
    unit: 'readings',
    run(n) {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const r = mapper(pick(readingObjects, i));
        acc += r.ok ? r.messages.length : -1;
      }
      sink ^= acc;
      return n;
    },
    baselineName: 'literal+Buffer.from',
    baseline(n) {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const reading = pick(readingObjects, i);
        acc += naiveMessages(reading.values, reading.receivedAt).length;
      }
      sink ^= acc;
      return n;
    },
  },
  {
    stage: 'line→msgs (*HH kv)',
    unit: 'lines',
    run(n) {
      const opts = { checksum: lineSpec.checksum, ack: lineSpec.ack };
      let acc = 0;
      let messages = 0;
      for (let i = 0; i < n; i++) {
        // LinePart.onLine + accept, without counters, logging, seq window and ACK/NAK.
        const envelope = parseEnvelope(pick(sumLines, i), opts);
        if (!envelope.ok) continue;
        acc += hashBody(envelope.body) & 1;
        const d = decoder(envelope.body);
        if (d.ok !== true) continue;
        const checked = validateValues(table, d.values);
        if (checked.values.size === 0) continue;
        const mapped = mapper({
          port: PORT,
          values: checked.values,
          levels: d.levels ?? {},
          receivedAt: Date.now(),
        });
        if (mapped.ok) messages += mapped.messages.length;
      }
      if (messages !== 2 * n) throw new Error(`${n} lines gave ${messages} messages, not ${2 * n}`);
      sink ^= acc;
      return n;
    },
    baselineName: 'naive chain',
    baseline(n) {
      let messages = 0;
      for (let i = 0; i < n; i++) {
        const body = naiveEnvelope(pick(sumLines, i), false);
        if (body === null) continue;
        const values = naiveValidate(naiveKv(body));
        if (values.size === 0) continue;
        messages += naiveMessages(values, Date.now()).length;
      }
      if (messages !== 2 * n) throw new Error(`${n} lines gave ${messages} messages, not ${2 * n}`);
      sink ^= messages;
      return n;
    },
  },
];

// ----------------------------------------------------------------------------------- queue

const ROUND = 64;
const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-bench-stages-'));
const limits = { maxMessages: 10_000_000, maxBytes: 1e12, maxAgeMs: 1e12, whenFull: 'drop_oldest' as const };
const boxes: Outbox[] = [];

function queueBench(box: Outbox): Bench {
  boxes.push(box);
  let n = 0;
  const payloads = readings.map((r) => Buffer.from(r.temp));
  return async (rounds) => {
    let done = 0;
    for (let r = 0; r < rounds; r++) {
      // ROUND lines of one QoS 1 message each, submitted together as a port's line runner
      // does at a high line rate, then the publisher's side: lease them and ack each.
      const submits: Promise<unknown>[] = [];
      for (let k = 0; k < ROUND; k++) {
        n += 1;
        const message: OutMessage = {
          port: PORT,
          topic: `${BASE}/${PORT}/temperature`,
          payload: pick(payloads, n),
          qos: 1,
          retain: true,
          createdAt: Date.now(),
        };
        submits.push(box.submit([message]));
      }
      await Promise.all(submits);
      const leased = box.lease(ROUND);
      for (const m of leased) box.ack(m.id);
      done += leased.length;
    }
    if (done !== rounds * ROUND) throw new Error(`acked ${done} of ${rounds * ROUND}`);
    return done;
  };
}

// -------------------------------------------------------------------------------- harness

const nowNs = (): bigint => process.hrtime.bigint();

/** Runs `bench` for about `ms`, in batches of ~5 ms; returns ops/s. */
async function measure(bench: Bench, ms: number): Promise<number> {
  const limit = BigInt(ms) * 1_000_000n;
  let batch = 1;
  let ops = 0;
  const start = nowNs();
  let elapsed = 0n;
  while (elapsed < limit) {
    const before = nowNs();
    const result = bench(batch);
    ops += typeof result === 'number' ? result : await result;
    const after = nowNs();
    elapsed = after - start;
    if (after - before < 5_000_000n && batch < 1 << 24) batch *= 2;
  }
  return ops / (Number(elapsed) / 1e9);
}

interface Stats {
  median: number;
  min: number;
  max: number;
}

function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[sorted.length >> 1]!, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

interface Row {
  stage: string;
  unit: string;
  opsPerSec: Stats;
  baseline: { name: string } & Stats;
  /** opsPerSec.median / baseline.median */
  ratio: number;
}

async function runCase(c: Case): Promise<Row> {
  await measure(c.run, WARMUP_MS);
  await measure(c.baseline, WARMUP_MS);
  const own: number[] = [];
  const base: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    own.push(await measure(c.run, REP_MS));
    base.push(await measure(c.baseline, REP_MS));
  }
  const s = stats(own);
  const b = stats(base);
  return {
    stage: c.stage,
    unit: c.unit,
    opsPerSec: s,
    baseline: { name: c.baselineName, ...b },
    ratio: s.median / b.median,
  };
}

/** `node --import tsx bench/stages.ts kv topic` runs only the stages whose name contains a word. */
const only = process.argv.slice(2);
const selected = (c: { stage: string }): boolean =>
  only.length === 0 || only.some((w) => c.stage.includes(w));
const rows: Row[] = [];
const started = Date.now();
try {
  for (const c of cases.filter(selected)) {
    rows.push(await runCase(c));
    process.stderr.write('.');
  }
  const queueStage = `queue sqlite normal ${ROUND}+ack`;
  if (selected({ stage: queueStage }))
    rows.push(
      await runCase({
        stage: queueStage,
        unit: 'messages',
        run: queueBench(
          await openSqliteOutbox({ ...limits, path: join(dir, 'stages.db'), durability: 'normal' }),
        ),
        baselineName: 'MemoryOutbox',
        baseline: queueBench(new MemoryOutbox(limits)),
      }),
    );
  process.stderr.write('\n');
} finally {
  for (const box of boxes) await box.close();
  rmSync(dir, { recursive: true, force: true });
}

// --------------------------------------------------------------------------------- report

const full = (n: number): string => Math.round(n).toLocaleString('en-US');
function short(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e8 ? 0 : n >= 1e7 ? 1 : 2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e5 ? 0 : n >= 1e4 ? 1 : 2)}k`;
  return n.toFixed(0);
}
const header = ['stage', 'unit', 'ops/s median', 'min–max', 'baseline', 'baseline ops/s', 'ratio'];
const cells = rows.map((r) => [
  r.stage,
  r.unit,
  full(r.opsPerSec.median),
  `${short(r.opsPerSec.min)}–${short(r.opsPerSec.max)}`,
  r.baseline.name,
  full(r.baseline.median),
  r.ratio.toFixed(2),
]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
const numeric = new Set([2, 3, 5, 6]);
const line = (row: readonly string[]): string =>
  row
    .map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
    .join('  ')
    .trimEnd();
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of cells) console.log(line(row));
console.log(
  `\nratio = stage / baseline (median ops/s); ${REPS} × ${REP_MS} ms per case after ${WARMUP_MS} ms warm-up; ` +
    `total ${((Date.now() - started) / 1000).toFixed(1)} s; sink ${sink}`,
);

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, 'stages.json');
const report = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  cpu: cpus()[0]?.model ?? 'unknown',
  warmupMs: WARMUP_MS,
  repMs: REP_MS,
  reps: REPS,
  rows,
  sink,
};
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
console.log(`written ${file}`);
