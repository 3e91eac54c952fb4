// ManagedPort without hardware: MockBinding (what the demo runs on) and small scripted
// bindings for the failure cases a mock cannot produce (0-byte reads, read errors, slow writes).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, test } from 'node:test';
import type { BindingInterface, BindingPortInterface, OpenOptions } from '@serialport/bindings-cpp';
import { ErrorCodes, isGatewayError } from '../../../src/errors.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { ManagedPort } from '../../../src/serial/port.ts';
import type { ManagedPortOptions, PortHandlers } from '../../../src/serial/port.ts';
import { MockBinding, spyOnMock } from '../../helpers/mock-binding.ts';
import { until } from '../../helpers/until.ts';

const running: ManagedPort[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
  MockBinding.reset();
});

interface Recorder extends PortHandlers {
  events: string[];
  data: Buffer[];
  text(): string;
}

function recorder(): Recorder {
  const events: string[] = [];
  const data: Buffer[] = [];
  return {
    events,
    data,
    text: () => Buffer.concat(data).toString(),
    onOpen: () => events.push('open'),
    onData: (chunk) => data.push(chunk),
    onClose: (reason) => events.push(`close: ${reason}`),
  };
}

function collectingLogger(): {
  log: ManagedPortOptions['log'];
  lines: () => { level: string; msg: string }[];
} {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination });
  return {
    log,
    lines: () =>
      raw
        .join('')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: string; msg: string }),
  };
}

function managed(
  options: Partial<ManagedPortOptions> & { binding: BindingInterface },
  handlers: PortHandlers,
): ManagedPort {
  const port = new ManagedPort(
    {
      name: 'test',
      path: '/dev/mock0',
      baudRate: 115200,
      resetOnOpen: false,
      idleTimeoutMs: 0,
      log: collectingLogger().log,
      backoff: { initialMs: 20, maxMs: 80 },
      ...options,
    },
    handlers,
  );
  running.push(port);
  return port;
}

void test('with MockBinding: opens, delivers chunks, writes, reports status', async () => {
  MockBinding.createPort('/dev/mock0', { echo: false, record: true });
  const { binding, opened } = spyOnMock();
  const r = recorder();
  const port = managed({ binding }, r);
  assert.equal(port.status().state, 'closed');
  await port.start(new AbortController().signal);
  await until('open', () => r.events.includes('open'));
  assert.equal(port.status().state, 'open');
  opened[0]?.emitData('t=21.5\n');
  opened[0]?.emitData('h=40\n');
  await until('data', () => r.text() === 't=21.5\nh=40\n');
  await port.write('PING\n');
  await port.write(Buffer.from('LED 1\n'));
  assert.equal(opened[0]?.recording.toString(), 'PING\nLED 1\n');
  const s = port.status();
  assert.equal(s.opens, 1);
  assert.equal(s.losses, 0);
  assert.equal(s.bytesRead, 12);
  assert.ok(s.lastDataAt !== null && Math.abs(s.lastDataAt - Date.now()) < 60_000);
  await port.stop();
  assert.equal(port.status().state, 'stopped');
  await port.stop(); // idempotent
});

void test('a missing port is reported once, retried, and opened when it appears', async () => {
  const { log, lines } = collectingLogger();
  const r = recorder();
  const port = managed({ binding: MockBinding, log }, r);
  await port.start(new AbortController().signal);
  await new Promise((resolve) => setTimeout(resolve, 300)); // several retries at 20–80 ms
  const warnings = lines().filter((l) => l.level === 'warn');
  assert.equal(warnings.length, 1, JSON.stringify(warnings));
  assert.match(warnings[0]?.msg ?? '', /^port test: \/dev\/mock0 does not exist .*; retrying every/);
  assert.ok(lines().filter((l) => l.msg.includes('open failed again')).length >= 2);
  assert.match(port.status().lastError ?? '', /does not exist/);
  assert.equal(r.events.length, 0);
  MockBinding.createPort('/dev/mock0');
  await until('open after the port appeared', () => r.events.includes('open'));
  assert.equal(port.status().lastError, null);
});

void test('start() does not wait for the device, and an aborted start does nothing', async () => {
  const port = managed({ binding: MockBinding }, recorder());
  const aborted = new AbortController();
  aborted.abort();
  await port.start(aborted.signal);
  assert.equal(port.status().state, 'closed');
});

/** A binding whose ports answer reads from a script: bytes, 0-byte reads, or errors. */
function scriptedBinding(
  script: (opening: number) => (() => Promise<Buffer | Error>)[],
  writesHangOnOpening = 0,
): {
  binding: BindingInterface;
  opens: () => number;
  writes: string[];
} {
  let opens = 0;
  const writes: string[] = [];
  const binding: BindingInterface = {
    list: () => Promise.resolve([]),
    open(options: OpenOptions) {
      opens += 1;
      const steps = script(opens);
      let isOpen = true;
      let writing = false;
      const port: BindingPortInterface = {
        openOptions: {
          dataBits: 8,
          lock: true,
          stopBits: 1,
          parity: 'none',
          rtscts: false,
          xon: false,
          xoff: false,
          xany: false,
          hupcl: true,
          ...options,
        },
        get isOpen() {
          return isOpen;
        },
        close() {
          isOpen = false;
          return Promise.resolve();
        },
        async read(buffer: Buffer, offset: number) {
          const step = steps.shift();
          const result = step === undefined ? await new Promise<Buffer>(() => undefined) : await step();
          if (result instanceof Error) throw result;
          result.copy(buffer, offset);
          return { buffer, bytesRead: result.length };
        },
        async write(buffer: Buffer) {
          assert.equal(writing, false, 'writes overlapped');
          writing = true;
          if (writesHangOnOpening === opens) await new Promise(() => undefined); // a wedged device
          await new Promise((resolve) => setTimeout(resolve, 10));
          writes.push(buffer.toString());
          writing = false;
        },
        update: () => Promise.resolve(),
        set: () => Promise.resolve(),
        get: () => Promise.resolve({ cts: false, dsr: false, dcd: false }),
        getBaudRate: () => Promise.resolve({ baudRate: options.baudRate }),
        flush: () => Promise.resolve(),
        drain: () => Promise.resolve(),
      };
      return Promise.resolve(port);
    },
  };
  return { binding, opens: () => opens, writes };
}

const bytes = (text: string) => () => Promise.resolve(Buffer.from(text));

void test('a 0-byte read (hung-up device) is a loss: reported, then the port is reopened', async () => {
  const { binding, opens } = scriptedBinding((n) => (n === 1 ? [bytes('a\n'), bytes('')] : [bytes('b\n')]));
  const r = recorder();
  const port = managed({ binding }, r);
  await port.start(new AbortController().signal);
  await until('data after the reopen', () => r.text() === 'a\nb\n');
  assert.equal(opens(), 2);
  assert.deepEqual(r.events, ['open', 'close: end of stream (0-byte read: the device hung up)', 'open']);
  assert.equal(port.status().losses, 1);
  assert.equal(port.status().opens, 2);
});

void test('a read error is a loss; a throwing handler does not break the port', async () => {
  const { binding } = scriptedBinding((n) =>
    n === 1
      ? [bytes('x'), () => Promise.resolve(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }))]
      : [bytes('y'), bytes('z')],
  );
  const seen: string[] = [];
  const r = recorder();
  const port = managed(
    { binding },
    {
      ...r,
      onData: (chunk) => {
        seen.push(chunk.toString());
        if (chunk.toString() === 'y') throw new Error('handler bug');
      },
    },
  );
  await port.start(new AbortController().signal);
  await until('all chunks despite the throwing handler', () => seen.join('') === 'xyz');
  assert.match(r.events[1] ?? '', /^close: read error: EIO/);
  assert.equal(port.status().losses, 1);
});

void test('writes are serialised, and fail with PORT_LOST when the port is not open', async () => {
  const { binding, writes } = scriptedBinding(() => []);
  const r = recorder();
  const port = managed({ binding }, r);
  await assert.rejects(port.write('early\n'), (e: unknown) => isGatewayError(e, ErrorCodes.PORT_LOST));
  await port.start(new AbortController().signal);
  await until('open', () => r.events.includes('open'));
  await Promise.all(['1\n', '2\n', '3\n', '4\n'].map((w) => port.write(w)));
  assert.deepEqual(writes, ['1\n', '2\n', '3\n', '4\n']);
  await port.stop();
  await assert.rejects(port.write('late\n'), (e: unknown) => isGatewayError(e, ErrorCodes.PORT_LOST));
});

void test('idle timeout closes and reopens a silent port without counting a loss', async () => {
  const { binding, opens } = scriptedBinding(() => []);
  const { log, lines } = collectingLogger();
  const r = recorder();
  const port = managed({ binding, idleTimeoutMs: 300, log }, r);
  await port.start(new AbortController().signal);
  await until('reopen after idle', () => opens() >= 2 && port.status().state === 'open');
  assert.equal(r.events[1], 'close: no data for 300 ms');
  assert.equal(port.status().losses, 0);
  assert.ok(lines().some((l) => l.level === 'info' && /no data for 300 ms; reopening/.test(l.msg)));
  assert.equal(lines().filter((l) => ['warn', 'error', 'fatal'].includes(l.level)).length, 0);
});

void test('stop() during backoff cancels the retry; stop() is prompt and final', async () => {
  const { binding, opens } = scriptedBinding(() => [bytes('')]); // every open is lost at once
  const port = managed({ binding, backoff: { initialMs: 200, maxMs: 200 } }, recorder());
  await port.start(new AbortController().signal);
  await until('the first loss', () => opens() === 1 && port.status().state === 'closed');
  const t0 = Date.now();
  await port.stop();
  assert.ok(Date.now() - t0 < 1500);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(opens(), 1);
  assert.equal(port.status().state, 'stopped');
});

void test('two ports are independent: one losing its device does not disturb the other', async () => {
  const flaky = scriptedBinding(() => [bytes('')]);
  MockBinding.createPort('/dev/mock0');
  const { binding, opened } = spyOnMock();
  const a = recorder();
  const b = recorder();
  const portA = managed({ name: 'a', binding: flaky.binding }, a);
  const portB = managed({ name: 'b', binding }, b);
  await portA.start(new AbortController().signal);
  await portB.start(new AbortController().signal);
  await until('b open while a flaps', () => b.events.includes('open') && flaky.opens() >= 3);
  opened[0]?.emitData('still here\n');
  await until('b data', () => b.text() === 'still here\n');
  assert.equal(portB.status().losses, 0);
  assert.ok(portA.status().losses >= 2);
});

void test('a write stuck on a device that goes away fails with PORT_LOST and does not block later writes', async () => {
  const later = () => new Promise<Buffer>((resolve) => setTimeout(() => resolve(Buffer.alloc(0)), 150));
  const { binding, writes } = scriptedBinding((n) => (n === 1 ? [later] : []), 1);
  const r = recorder();
  const port = managed({ binding }, r);
  await port.start(new AbortController().signal);
  await until('open', () => r.events.includes('open'));
  const stuck = port.write('STUCK\n');
  const queued = port.write('QUEUED\n');
  await assert.rejects(
    stuck,
    (e: unknown) => isGatewayError(e, ErrorCodes.PORT_LOST) && /lost during a write/.test(e.message),
  );
  await assert.rejects(queued, (e: unknown) => isGatewayError(e, ErrorCodes.PORT_LOST));
  await until('reopen', () => port.status().state === 'open');
  await port.write('AFTER\n');
  assert.deepEqual(writes, ['AFTER\n']);
});

void test('a device that keeps dropping right after each open is retried with growing delays', async () => {
  const { binding, opens } = scriptedBinding(() => [bytes('')]);
  const port = managed({ binding, backoff: { initialMs: 40, maxMs: 5000 }, random: () => 0.999 }, recorder());
  await port.start(new AbortController().signal);
  // Delays 40, 80, 160, 320 ms…: about 5 opens in 700 ms; without growth it would be ~15.
  await new Promise((resolve) => setTimeout(resolve, 700));
  assert.ok(opens() >= 2 && opens() <= 7, `${opens()} opens`);
});

void test('hold() closes the port, keeps it closed (also against restart and idle reopen) and release() reopens it', async () => {
  MockBinding.createPort('/dev/mock0', { echo: false, record: true });
  const { binding, opened } = spyOnMock();
  const r = recorder();
  const port = managed({ binding, idleTimeoutMs: 50 }, r);
  await port.start(new AbortController().signal);
  await until('open', () => r.events.includes('open'));
  const release = await port.hold('flashing firmware');
  assert.equal(port.status().state, 'held');
  assert.equal(opened[0]?.isOpen, false, 'the device is closed for the programmer');
  assert.deepEqual(r.events, ['open', 'close: flashing firmware']);
  assert.equal(port.restart('restart requested over MQTT'), false);
  await assert.rejects(port.write('x\n'), (e) => isGatewayError(e, ErrorCodes.PORT_LOST));
  await assert.rejects(port.hold('again'), /already held/);
  await new Promise((resolve) => setTimeout(resolve, 200)); // idle timeout and backoff would reopen by now
  assert.equal(opened.length, 1, 'nothing reopened while held');
  release();
  release(); // idempotent
  await until('reopen after release', () => r.events.filter((e) => e === 'open').length === 2);
  assert.equal(opened.length, 2);
  assert.equal(port.status().losses, 0, 'a hold is not a loss');
});

void test('hold() while the device is missing stops the retries until released; stop() while held is final', async () => {
  const r = recorder();
  const { binding, opened } = spyOnMock();
  const port = managed({ binding }, r);
  await port.start(new AbortController().signal);
  await new Promise((resolve) => setTimeout(resolve, 50)); // a retry or two at 20–80 ms
  const release = await port.hold('flashing firmware');
  MockBinding.createPort('/dev/mock0');
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(opened.length, 0, 'no retry opened the device while held');
  assert.equal(port.status().state, 'held');
  await port.stop();
  release();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(opened.length, 0);
  assert.equal(port.status().state, 'stopped');
  await assert.rejects(port.hold('after stop'), /is stopped/);
});
