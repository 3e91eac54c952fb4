// ManagedPort on real pseudo-terminals (socat) with the real serialport bindings:
// unplug = kill socat, replug = a new pair at the same link paths.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, afterEach, before, test } from 'node:test';
import { createLogger } from '../../src/log/logger.ts';
import { ManagedPort } from '../../src/serial/port.ts';
import type { ChunkInfo, ManagedPortOptions } from '../../src/serial/port.ts';
import { IN_FLIGHT_WINDOW_MS } from '../../src/serial/in-flight.ts';
import { STREAM_READ_SIZE } from '../../src/serial/reader.ts';
import { createPtyPair, openDeviceEnd } from '../helpers/socat.ts';
import type { DeviceEnd, PtyPair } from '../helpers/socat.ts';
import { until } from '../helpers/until.ts';

let dir = '';
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tty2mqtt-serial-'));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function pair(name: string): Promise<PtyPair> {
  const p = await createPtyPair(dir, { device: `${name}-dev`, gateway: `${name}-gw` });
  cleanups.push(() => p.kill());
  return p;
}

async function device(p: PtyPair): Promise<DeviceEnd> {
  const d = await openDeviceEnd(p.devicePath);
  cleanups.push(() => d.close());
  return d;
}

interface Harness {
  port: ManagedPort;
  events: { what: string; at: number }[];
  text(): string;
  chunks: Buffer[];
  /** What the port said about each chunk (in-flight.ts). */
  infos: (ChunkInfo & { text: string })[];
  logs(): { level: string; msg: string; reader?: string }[];
}

function harness(options: Partial<ManagedPortOptions> & { path: string }): Harness {
  const raw: string[] = [];
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _e, done) {
        raw.push(chunk.toString());
        done();
      },
    }),
  });
  const events: { what: string; at: number }[] = [];
  const chunks: Buffer[] = [];
  const infos: (ChunkInfo & { text: string })[] = [];
  const port = new ManagedPort(
    { name: 'test', baudRate: 115200, resetOnOpen: false, idleTimeoutMs: 0, log, ...options },
    {
      onOpen: () => events.push({ what: 'open', at: Date.now() }),
      onData: (chunk, info) => {
        chunks.push(chunk);
        infos.push({ ...info, text: chunk.toString() });
      },
      onClose: (reason) => events.push({ what: `close: ${reason}`, at: Date.now() }),
    },
  );
  cleanups.push(() => port.stop());
  return {
    port,
    events,
    chunks,
    infos,
    text: () => Buffer.concat(chunks).toString(),
    logs: () =>
      raw
        .join('')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: string; msg: string }),
  };
}

const opens = (h: Harness): number => h.events.filter((e) => e.what === 'open').length;
const closes = (h: Harness): string[] =>
  h.events.filter((e) => e.what.startsWith('close')).map((e) => e.what);
const start = (h: Harness): Promise<void> => h.port.start(new AbortController().signal);

function stty(ttyPath: string): string {
  return execFileSync('stty', ['-F', ttyPath, '-a'], { encoding: 'utf8' });
}

/** Descriptors of this process that point at `ttyPath`'s device. */
async function openDescriptors(ttyPath: string, target: string): Promise<number> {
  let count = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const to = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (to === target) count += 1;
  }
  return count;
}

void test('bytes written on the device end arrive as chunks, through the polled fd reader', async () => {
  const p = await pair('a');
  const h = harness({ path: p.gatewayPath });
  await start(h);
  await until('open', () => opens(h) === 1);
  const opened = h.logs().find((l) => l.msg.includes('opened'));
  assert.equal(opened?.reader, 'fd');
  const d = await device(p);
  await d.write('t=21.5\n');
  await d.write('h=40\n');
  await until('both lines', () => h.text() === 't=21.5\nh=40\n');
  assert.ok(h.chunks.every((c) => c.length > 0));
  assert.equal(h.port.status().bytesRead, 12);
});

void test('write() reaches the device end, in order', async () => {
  const p = await pair('w');
  const h = harness({ path: p.gatewayPath });
  const d = await device(p);
  await start(h);
  await until('open', () => opens(h) === 1);
  await Promise.all(['LED 1\n', 'LED 0\n', 'PING\n'].map((c) => h.port.write(c)));
  await d.waitFor('LED 1\nLED 0\nPING\n');
});

void test('a port that does not exist yet is reported once, then opened when it appears', async () => {
  const gatewayPath = path.join(dir, 'late-gw');
  const h = harness({ path: gatewayPath, backoff: { initialMs: 50, maxMs: 200 } });
  await start(h);
  await new Promise((resolve) => setTimeout(resolve, 400));
  const warnings = h.logs().filter((l) => l.level === 'warn');
  assert.equal(warnings.length, 1);
  assert.equal(
    warnings[0]?.msg.startsWith(`port test: ${gatewayPath} does not exist`),
    true,
    warnings[0]?.msg,
  );
  assert.equal(h.port.status().state === 'closed' || h.port.status().state === 'opening', true);
  const p = await pair('late');
  await until('open once the pty exists', () => opens(h) === 1);
  const d = await device(p);
  await d.write('hello\n');
  await until('data', () => h.text() === 'hello\n');
});

void test('unplug (socat killed) is seen within a second; replug at the same path resumes the same port', async () => {
  let p = await pair('u');
  const h = harness({ path: p.gatewayPath });
  await start(h);
  await until('open', () => opens(h) === 1);
  let d = await device(p);
  await d.write('before\n');
  await until('data before the unplug', () => h.text() === 'before\n');
  await d.close();
  const killedAt = Date.now();
  await p.kill('SIGTERM');
  // The contract: a vanished port is detected within a second.
  await until('onClose after the unplug', () => closes(h).length === 1, 1000);
  const closedAt = h.events.find((e) => e.what.startsWith('close'))?.at ?? Infinity;
  assert.ok(closedAt - killedAt <= 1000, `loss seen after ${closedAt - killedAt} ms`);
  assert.equal(h.port.status().losses, 1);
  assert.ok(h.logs().some((l) => l.level === 'warn' && /lost/.test(l.msg)));
  await new Promise((resolve) => setTimeout(resolve, 300)); // stays unplugged for a moment
  p = await pair('u'); // same link paths
  await until('reopen after the replug', () => opens(h) === 2);
  d = await device(p);
  await d.write('after\n');
  await until('data after the replug', () => h.text() === 'before\nafter\n');
  assert.equal(h.port.status().state, 'open');
});

void test('a hang-up that shows up as a 0-byte read (EOF) is a loss, detected by the reader itself', async () => {
  const p = await pair('h');
  // The pty's own node, not the link: /dev/pts/N lives on while we hold it open, so the path
  // check cannot see this loss — only the read path can.
  const ptsPath = await readlink(p.gatewayPath);
  const h = harness({ path: ptsPath });
  await start(h);
  await until('open', () => opens(h) === 1);
  await p.kill('SIGKILL');
  await until('onClose after the hang-up', () => closes(h).length === 1, 1000);
  // Linux hangs up the slave when the master closes: reads return 0 bytes, not an error
  // (EIO only if the read races the hang-up).
  assert.match(closes(h)[0] ?? '', /0-byte read|read error EIO/);
  assert.equal(h.port.status().losses, 1);
  // (No assertion about reopening: another process may be handed the same /dev/pts number.)
});

void test('the configured symlink moving to another device is a loss; the port follows it', async () => {
  const first = await pair('m');
  const h = harness({ path: first.gatewayPath });
  await start(h);
  await until('open', () => opens(h) === 1);
  // A new pair at the same links while the first is still alive (its pty does not hang up).
  const second = await createPtyPair(dir, { device: 'm-dev', gateway: 'm-gw' });
  cleanups.push(() => second.kill());
  await until('loss via the path check', () => closes(h).length === 1, 1000);
  assert.match(closes(h)[0] ?? '', /now leads to/);
  await until('reopen on the new device', () => opens(h) === 2);
  const d = await device(second);
  await d.write('new\n');
  await until('data from the new device', () => h.text() === 'new\n');
});

void test('two ports: unplugging one does not disturb the other', async () => {
  const pa = await pair('two-a');
  const pb = await pair('two-b');
  const a = harness({ path: pa.gatewayPath, name: 'a' });
  const b = harness({ path: pb.gatewayPath, name: 'b' });
  await start(a);
  await start(b);
  await until('both open', () => opens(a) === 1 && opens(b) === 1);
  const db = await device(pb);
  await pa.kill();
  await until('a lost', () => closes(a).length === 1);
  for (let i = 0; i < 5; i += 1) await db.write(`b${i}\n`);
  await until('b keeps delivering', () => b.text() === 'b0\nb1\nb2\nb3\nb4\n');
  assert.deepEqual(closes(b), []);
  assert.equal(b.port.status().state, 'open');
});

void test('idle timeout closes and reopens a silent port (info, not a loss)', async () => {
  const p = await pair('idle');
  const h = harness({ path: p.gatewayPath, idleTimeoutMs: 400 });
  await start(h);
  await until('reopen after idling', () => opens(h) === 2);
  assert.equal(closes(h)[0], 'close: no data for 400 ms');
  assert.equal(h.port.status().losses, 0);
  const d = await device(p);
  await d.write('awake\n');
  await until('data after the idle reopen', () => h.text().includes('awake\n'));
});

void test('bytes arriving mid-line at the open are in flight; after an idle reopen a later line is whole', async () => {
  const p = await pair('flight');
  const d = await device(p);
  const h = harness({ path: p.gatewayPath, idleTimeoutMs: 1000 });
  // The device is mid-line when the port opens: one byte every 5 ms, on after the open.
  let sending = true;
  const dribble = (async (): Promise<void> => {
    while (sending) {
      await d.write('.');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  await start(h);
  await until('bytes after the open', () => h.infos.length >= 3);
  sending = false;
  await dribble;
  await d.write('\n');
  assert.deepEqual(
    { ...h.infos[0], text: undefined },
    { first: true, inFlightAtOpen: true, text: undefined },
  );
  assert.ok(h.infos.slice(1).every((i) => !i.first && !i.inFlightAtOpen));
  // Silence: the idle reopen, then a line that starts after a quiet gap.
  await until('the idle reopen', () => opens(h) === 2);
  const closedAt = h.events.find((e) => e.what.startsWith('close'))?.at ?? 0;
  const reopenedAt = h.events.filter((e) => e.what === 'open')[1]?.at ?? 0;
  const seen = h.infos.length;
  await new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_WINDOW_MS + 200));
  await d.write('whole\n');
  await until('the line after the reopen', () => h.infos.length > seen);
  console.log(
    `idle reopen: closed → open in ${reopenedAt - closedAt} ms; then ${JSON.stringify(h.infos[seen])}`,
  );
  assert.deepEqual(h.infos[seen], { first: true, inFlightAtOpen: false, text: 'whole\n' });
  assert.equal(h.port.status().losses, 0);
});

void test('reset_on_open: false clears HUPCL (a reopen will not reset the board); true sets it', async () => {
  const p = await pair('hup');
  execFileSync('stty', ['-F', p.gatewayPath, 'hupcl']); // as Linux leaves a USB serial port
  assert.match(stty(p.gatewayPath), /(^|\s)hupcl(\s|$)/m);
  const keep = harness({ path: p.gatewayPath, resetOnOpen: false });
  await start(keep);
  await until('open', () => opens(keep) === 1);
  assert.match(stty(p.gatewayPath), /(^|\s)-hupcl(\s|$)/m);
  await keep.port.stop();
  const reset = harness({ path: p.gatewayPath, resetOnOpen: true });
  await start(reset);
  await until('open with reset_on_open: true', () => opens(reset) === 1);
  assert.match(stty(p.gatewayPath), /(^|\s)hupcl(\s|$)/m);
  // A pty has no DTR line: the pulse fails, which is one warning, not a failure.
  assert.ok(reset.logs().some((l) => l.level === 'warn' && /could not pulse DTR/.test(l.msg)));
  assert.equal(reset.port.status().state, 'open');
});

void test('the port is locked while open; a second opener waits, reporting "in use" once', async () => {
  const p = await pair('lock');
  const first = harness({ path: p.gatewayPath });
  await start(first);
  await until('first open', () => opens(first) === 1);
  assert.match(stty(p.gatewayPath), /(^|\s)-hupcl(\s|$)/m);
  // reset_on_open: true would set HUPCL if the second opener's termios reached the port:
  // bindings-cpp applies termios before its flock, so the lock is looked up first.
  const second = harness({
    path: p.gatewayPath,
    name: 'second',
    resetOnOpen: true,
    backoff: { initialMs: 50, maxMs: 100 },
  });
  await start(second);
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal(opens(second), 0);
  const inUse = second.logs().filter((l) => l.level === 'warn' && /in use by another program/.test(l.msg));
  assert.equal(inUse.length, 1);
  assert.match(inUse[0]?.msg ?? '', new RegExp(`\\(pid ${process.pid}: `), 'names the holder');
  assert.match(stty(p.gatewayPath), /(^|\s)-hupcl(\s|$)/m, "the holder's termios were left alone");
  await first.port.stop();
  await until('second open after the first stopped', () => opens(second) === 1);
});

void test('stop() is prompt, releases every descriptor, and nothing reopens afterwards', async () => {
  const p = await pair('stop');
  const target = await readlink(p.gatewayPath);
  const h = harness({ path: p.gatewayPath, idleTimeoutMs: 300 });
  await start(h);
  await until('a couple of idle reopens', () => opens(h) >= 2);
  assert.ok((await openDescriptors(p.gatewayPath, target)) >= 1);
  const t0 = Date.now();
  await h.port.stop();
  assert.ok(Date.now() - t0 < 2000, 'stop took too long');
  assert.equal(await openDescriptors(p.gatewayPath, target), 0, 'descriptors leaked');
  const count = opens(h);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(opens(h), count);
  assert.equal(h.port.status().state, 'stopped');
});

void test('pauseReading() holds the bytes in the kernel until resumeReading(), also across a reopen', async () => {
  const p = await pair('fc');
  const h = harness({ path: p.gatewayPath });
  await start(h);
  await until('open', () => opens(h) === 1);
  const d = await device(p);
  h.port.pauseReading();
  await d.write('t=1\n');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(h.text(), '', 'nothing is read while paused');
  h.port.resumeReading();
  await until('the line held while paused', () => h.text() === 't=1\n');
  // A reader started by a reopen while paused starts paused.
  h.port.pauseReading();
  assert.equal(h.port.restart('test'), true);
  await until('reopen', () => opens(h) === 2);
  await d.write('t=2\n');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(h.text(), 't=1\n');
  h.port.resumeReading();
  await until('the line written while paused after the reopen', () => h.text().endsWith('t=2\n'));
});

void test(`a read takes at most ${STREAM_READ_SIZE} bytes: a 200 KiB burst arrives whole, in bounded chunks`, async () => {
  const p = await pair('big');
  const h = harness({ path: p.gatewayPath });
  await start(h);
  await until('open', () => opens(h) === 1);
  const d = await device(p);
  const line = 'temp=23.5,hum=40.2\n';
  const burst = line.repeat(Math.ceil((200 * 1024) / line.length));
  h.port.pauseReading(); // let it pile up in the kernel, so reads come as full as they can
  const written = d.write(burst);
  await new Promise((resolve) => setTimeout(resolve, 200));
  h.port.resumeReading();
  await written;
  await until('the whole burst', () => h.port.status().bytesRead === burst.length, 15_000);
  assert.equal(h.text(), burst);
  const largest = Math.max(...h.chunks.map((c) => c.length));
  assert.ok(largest <= STREAM_READ_SIZE, `largest chunk ${largest} bytes`);
});
