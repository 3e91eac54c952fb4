// Firmware in the loop, firmware updates through the running daemon (docs/firmware.md): two
// emulated Unos on one gateway — `shed` runs climate.ino over optiboot (hil/harness.c
// --bootloader), `cellar` runs power-meter.ino (a reading a second, `#seq` numbered) with no
// bootloader at all. The real daemon, the real CLI, a real Mosquitto; the programmer is
// avrdude, then (a second gateway on the same boards) the built-in STK500v1 one.
//
// What must hold: the board on `shed` is flashed with a -D variant while the daemon runs and
// the variant's readings arrive; a corrupted image is refused before any byte reaches the
// board; a board that never syncs is reported and keeps running its firmware; the readings of
// the other port never stop and none is lost (its `#seq` numbers have no gap).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseIntelHex } from '../../src/firmware/intel-hex.ts';
import { formatIntelHex } from '../../src/firmware/intel-hex-write.ts';
import { runCli, startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { HIL_GATEWAY_ID, buildFirmware, hexFromElf, startEmulatedBoard } from '../helpers/hil.ts';
import type { EmulatedBoard } from '../helpers/hil.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { ReceivedMessage, Subscription } from '../helpers/mqtt-sub.ts';

const BASE = 'hil/flash';
const VARIANT = { READ_INTERVAL_MS: 2000, FIRMWARE_VERSION: '2.1' };
const VARIANT_BANNER = '# climate 2.1 booting (fake sensors)';
const ORIGINAL_BANNER = '# climate booting (fake sensors)';
/** The size the issue asks the flash time for: the variant padded with data no code reads. */
const IMAGE_BYTES = 10 * 1024;
/** avrdude's ten sync attempts against a board that does not answer take ~50 s. */
const NO_SYNC_TIMEOUT_MS = 120_000;

/** The `#seq` of a power-meter reading, from the gateway's stable message id `hilgw/cellar/<seq>`. */
function cellarSeq(m: ReceivedMessage): number | undefined {
  const id = /(?:^|\s)id:(\S+)/.exec(m.userProperties ?? '')?.[1];
  const match = id === undefined ? null : new RegExp(`^${HIL_GATEWAY_ID}/cellar/(\\d+)$`).exec(id);
  return match === null ? undefined : Number(match[1]);
}

/** Sorted distinct seqs of the cellar's power readings so far (from message `from` on). */
function cellarSeqs(sub: Subscription, from = 0): number[] {
  const seqs = sub.messages
    .slice(from)
    .filter((m) => m.topic === `${BASE}/cellar`)
    .map(cellarSeq)
    .filter((s): s is number => s !== undefined);
  return [...new Set(seqs)].sort((a, b) => a - b);
}

function gaps(seqs: number[]): number[] {
  const missing: number[] = [];
  for (let i = 1; i < seqs.length; i++)
    for (let s = (seqs[i - 1] ?? 0) + 1; s < (seqs[i] ?? 0); s++) missing.push(s);
  return missing;
}

interface Answer {
  id: string;
  ok?: boolean;
  error?: string;
  result?: Record<string, unknown>;
  progress?: { stage: string; bytes?: number; of?: number };
}

void describe('firmware updates through the running daemon (emulated Unos)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-hil-flash-'));
  const config = join(dir, 'gateway.yaml');
  let shed: EmulatedBoard;
  let cellar: EmulatedBoard;
  let broker: Mosquitto;
  let sub: Subscription;
  let gateway: GatewayProcess;
  let climateHex = '';
  let paddedHex = '';
  let requests = 0;

  function writeConfig(programmer: 'avrdude' | 'builtin'): void {
    writeFileSync(
      config,
      [
        'version: 1',
        `gateway: { id: ${HIL_GATEWAY_ID}, base_topic: ${BASE} }`,
        `mqtt: { broker: external, url: "${broker.url}", keepalive: 5s }`,
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        `flash: { allow: true, programmer: ${programmer} }`,
        'ports:',
        `  - { name: shed, path: "${shed.path}", device: climate, idle_timeout: 0 }`,
        `  - { name: cellar, path: "${cellar.path}", device: power-meter, idle_timeout: 0 }`,
        'log: { level: debug }',
        '',
      ].join('\n'),
    );
  }

  async function startDaemon(programmer: 'avrdude' | 'builtin'): Promise<void> {
    writeConfig(programmer);
    gateway = startGateway(['run', '-c', config]);
    await gateway.waitForOutput('tty2mqtt running', 20_000);
  }

  /** gateway/request/flash over MQTT 3.1.1 JSON; resolves with the answer (progress collected). */
  async function requestFlash(
    body: Record<string, unknown>,
    timeoutMs = 60_000,
  ): Promise<{ answer: Answer; progress: Answer['progress'][] }> {
    const id = `flash-${++requests}`;
    const from = sub.messages.length;
    await publish({
      host: broker.host,
      port: broker.port,
      topic: `${BASE}/gateway/request/flash`,
      payload: JSON.stringify({ ...body, id }),
      qos: 1,
    });
    const final = await sub.waitFor(
      (m) =>
        m.topic === `${BASE}/gateway/response/flash` &&
        m.payload.includes(`"id":"${id}"`) &&
        m.payload.includes('"ok":'),
      timeoutMs,
    );
    const progress = sub.messages
      .slice(from)
      .filter((m) => m.topic === `${BASE}/gateway/response/flash` && m.payload.includes(`"id":"${id}"`))
      .map((m) => JSON.parse(m.payload) as Answer)
      .filter((a) => a.progress !== undefined)
      .map((a) => a.progress);
    return { answer: JSON.parse(final.payload) as Answer, progress };
  }

  async function readingsAfter(port: string, count: number, timeoutMs: number): Promise<ReceivedMessage[]> {
    const from = sub.messages.length;
    const topic = port === 'shed' ? `${BASE}/shed/temperature` : `${BASE}/cellar`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = sub.messages.slice(from).filter((m) => m.topic === topic);
      if (got.length >= count) return got;
      assert.ok(
        Date.now() < deadline,
        `${count} readings of ${port} within ${timeoutMs} ms; got ${got.length}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  before(async () => {
    const climate = await buildFirmware('climate', { fake: true });
    const variant = await buildFirmware('climate', { fake: true, defines: VARIANT });
    const meter = await buildFirmware('power-meter', {
      fake: true,
      defines: { REPORT_INTERVAL_MS: '1000UL' },
    });
    climateHex = hexFromElf(climate);
    // The variant, padded to 10 KiB with a block no code reads (above its last byte).
    const image = parseIntelHex(readFileSync(hexFromElf(variant)));
    const pad = IMAGE_BYTES - image.size;
    paddedHex = join(dir, 'climate-2.1-padded.hex');
    writeFileSync(
      paddedHex,
      formatIntelHex({
        segments: [...image.segments, { address: 0x4000, bytes: new Uint8Array(pad).fill(0x5a) }],
        size: IMAGE_BYTES,
        highestAddress: 0x4000 + pad - 1,
      }),
    );
    shed = await startEmulatedBoard(climate, { bootloader: true, resetOnOpen: true });
    cellar = await startEmulatedBoard(meter, { resetOnOpen: true });
    broker = await startMosquitto();
    sub = await subscribe({
      host: broker.host,
      port: broker.port,
      topics: [`${BASE}/#`],
      qos: 2,
      protocolV5: true,
    });
    await startDaemon('avrdude');
  });

  after(async () => {
    await gateway?.kill('SIGKILL');
    await sub?.stop();
    await shed?.stop();
    await cellar?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('reads both boards', { timeout: 60_000 }, async () => {
    await readingsAfter('shed', 1, 30_000);
    await readingsAfter('cellar', 3, 30_000);
  });

  void it(
    'tty2mqtt flash: the shed board takes a 10 KiB variant while the daemon runs; the cellar loses nothing',
    { timeout: 180_000 },
    async (t) => {
      const before = cellarSeqs(sub);
      const result = await runCli(['flash', 'shed', paddedHex, '-c', config], { timeoutMs: 150_000 });
      for (const line of result.stdout.trim().split('\n')) t.diagnostic(line);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}\n${gateway.stdout()}`);
      assert.match(
        result.stdout,
        new RegExp(
          `flashed ${IMAGE_BYTES} bytes to port shed \\(atmega328p, signature 1E 95 0F\\) in [\\d.]+ s with avrdude 7\\.\\d+, verified`,
        ),
      );
      assert.match(result.stdout, /^writing +100 % \(10240\/10240 bytes\)$/m);
      assert.match(result.stdout, /^verifying +100 % \(10240\/10240 bytes\)$/m);
      assert.match(
        result.stdout,
        new RegExp(`new firmware says: ${VARIANT_BANNER.replace(/[.()]/g, '\\$&')}`),
      );
      // The variant reads every 2 s (the original every 10 s).
      const readings = await readingsAfter('shed', 3, 20_000);
      const apart = readings.slice(1).map((m, i) => m.receivedAt - (readings[i]?.receivedAt ?? 0));
      t.diagnostic(`shed readings after the flash, ms apart: ${apart.join(', ')}`);
      for (const ms of apart) assert.ok(ms > 1000 && ms < 8000, `${ms} ms apart`);
      // The other port read on throughout: its readings kept coming and no seq is missing.
      await readingsAfter('cellar', 2, 10_000);
      const seqs = cellarSeqs(sub);
      const during = seqs.filter((s) => s > (before.at(-1) ?? 0));
      t.diagnostic(
        `cellar readings before ${before.length}, during and after ${during.length}; missing seqs: ${gaps(seqs).length}`,
      );
      assert.deepEqual(gaps(seqs), [], 'cellar readings lost during the flash');
      assert.ok(during.length >= 5, `cellar went on publishing: ${during.length} readings`);
      await gateway.waitForOutput(/"msg":"port shed: flashed 10240 bytes in [\d.]+ s, verified; banner: /);
    },
  );

  void it('a corrupted image is refused before the board is touched', { timeout: 60_000 }, async () => {
    const opensBefore = (shed.output().match(/opened|reset/g) ?? []).length;
    const hex = readFileSync(paddedHex, 'utf8').split('\n');
    // One flipped data digit in record 3: its checksum no longer holds.
    hex[3] = `${hex[3]?.slice(0, 11)}${hex[3]?.[11] === '0' ? '1' : '0'}${hex[3]?.slice(12)}`;
    const { answer, progress } = await requestFlash({
      port: 'shed',
      image: Buffer.from(hex.join('\n')).toString('base64'),
    });
    assert.equal(answer.ok, false);
    assert.match(answer.error ?? '', /^line 4: checksum 0x[0-9A-F]{2}, expected 0x[0-9A-F]{2}$/);
    assert.deepEqual(progress, [], 'nothing was started');
    // The board was neither reset nor reopened, and its readings go on.
    await readingsAfter('shed', 1, 10_000);
    assert.equal((shed.output().match(/opened|reset/g) ?? []).length, opensBefore, shed.output());
  });

  void it(
    'a board without a bootloader never syncs: reported, and its firmware runs on',
    { timeout: NO_SYNC_TIMEOUT_MS + 60_000 },
    async (t) => {
      const started = Date.now();
      const { answer } = await requestFlash({ port: 'cellar', path: climateHex }, NO_SYNC_TIMEOUT_MS);
      t.diagnostic(`answered after ${Date.now() - started} ms: ${answer.error}`);
      assert.equal(answer.ok, false);
      assert.match(answer.error ?? '', /sync/i);
      // The port is read again: the power meter's readings (its own firmware) come back.
      await readingsAfter('cellar', 2, 20_000);
      await gateway.waitForOutput(/"msg":"port cellar: flash failed: [^"]*sync[^"]*; [^"]* reopened"/);
    },
  );

  void it(
    'the built-in programmer flashes the original firmware back, by MQTT request',
    { timeout: 120_000 },
    async (t) => {
      await gateway.kill('SIGTERM');
      await startDaemon('builtin');
      await readingsAfter('shed', 1, 20_000);
      // The new daemon's open restarted the power meter (seq 0): count from here.
      await readingsAfter('cellar', 1, 20_000);
      const from = sub.messages.length;
      const { answer, progress } = await requestFlash({ port: 'shed', path: climateHex });
      t.diagnostic(JSON.stringify(answer.result));
      assert.equal(answer.ok, true, answer.error);
      assert.match(String(answer.result?.['programmer']), /^builtin/);
      assert.equal(answer.result?.['verified'], true);
      assert.equal(answer.result?.['signature'], '1E 95 0F');
      assert.equal(answer.result?.['banner'], ORIGINAL_BANNER);
      assert.deepEqual(
        [...new Set(progress.map((p) => p?.stage))],
        ['reset', 'sync', 'signature', 'writing', 'verifying'],
      );
      await readingsAfter('cellar', 2, 10_000);
      const seqs = cellarSeqs(sub, from);
      t.diagnostic(`cellar readings during and after: ${seqs.length}; missing seqs: ${gaps(seqs).length}`);
      assert.deepEqual(gaps(seqs), [], 'cellar readings lost during the flash');
      assert.ok(seqs.length >= 4, `cellar went on publishing: ${seqs.length} readings`);
    },
  );
});
