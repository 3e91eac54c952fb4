// The port host (src/ports/port-host.ts) on serialport's MockBinding, with a protocol part
// that records what the host asks of it: the order of the hooks around an open, a restart and
// a stop (the same order the line and MQTT-SN ports had before they shared one host), the
// writes it passes on, and the common part of the view.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, test } from 'node:test';
import { loadProfileById } from '../../../src/config/profiles.ts';
import { portSchema } from '../../../src/config/schema.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { createLinePortCounters } from '../../../src/ports/port-counters.ts';
import { PortHost } from '../../../src/ports/port-host.ts';
import type { LineSection } from '../../../src/ports/port-view.ts';
import type { PortIo, ProtocolPart } from '../../../src/ports/protocol-part.ts';
import { REPO_ROOT } from '../../helpers/gateway-process.ts';
import { MockBinding, spyOnMock } from '../../helpers/mock-binding.ts';
import { until } from '../../helpers/until.ts';

afterEach(() => MockBinding.reset());

/** A protocol part that records every call, and whether its device is present. */
function recordingPart(events: string[]): {
  part: (io: PortIo) => ProtocolPart<LineSection>;
  io: () => PortIo;
  present: { value: boolean };
} {
  let given: PortIo | undefined;
  const present = { value: false };
  const counters = createLinePortCounters();
  const part = (io: PortIo): ProtocolPart<LineSection> => {
    given = io;
    return {
      format: 'test-format',
      counters,
      start: () => events.push('start'),
      stop: () => events.push('stop'),
      finish: () => {
        events.push('finish');
        return Promise.resolve();
      },
      opened: () => events.push('opened'),
      resumed: () => events.push('resumed'),
      received: (chunk) => events.push(`received ${chunk.toString()}`),
      closed: (kind) => events.push(`closed ${kind}`),
      present: () => present.value,
      lastSeen: () => 1234,
      section: () => ({ protocol: 'line', counters }),
    };
  };
  return {
    part,
    io: () => {
      assert.ok(given !== undefined);
      return given;
    },
    present,
  };
}

void test('the host calls its part in order around open, restart and stop, and builds the view', async (t) => {
  MockBinding.createPort('/dev/mock0', { echo: false, record: true });
  const { binding, opened } = spyOnMock();
  const events: string[] = [];
  const recorder = recordingPart(events);
  const host = new PortHost(
    {
      port: portSchema.parse({ name: 'livingroom', path: '/dev/mock0', device: 'climate', idle_timeout: 0 }),
      profile: await loadProfileById('climate', [join(REPO_ROOT, 'devices')], REPO_ROOT),
      log: createLogger({ level: 'error', destination: new Writable({ write: (_c, _e, done) => done() }) }),
      binding,
      onChange: () => events.push('change'),
    },
    recorder.part,
  );
  t.after(() => host.stop()); // also when an assertion fails: an open port keeps the test alive
  assert.equal(host.name, 'port livingroom');
  await host.start(new AbortController().signal);
  await until('the open', () => events.includes('resumed'));
  // The part resets its framing before the gateway looks again; held commands go out after.
  assert.deepEqual(events.splice(0), ['start', 'opened', 'change', 'resumed']);
  assert.equal(recorder.io().isOpen(), true);

  opened[0]?.emitData('t=21.5\n');
  await until('the data', () => events.length > 0);
  assert.deepEqual(events.splice(0), ['received t=21.5\n']);
  recorder.io().send('ACK 1\n', 'reply not written');
  await recorder.io().write('LED 1\n');
  assert.equal(opened[0]?.recording.toString(), 'ACK 1\nLED 1\n');

  const view = host.view();
  assert.equal(view.protocol, 'line');
  assert.equal(view.counters, host.counters, 'the live counters, not a copy');
  assert.deepEqual(
    { ...view, counters: undefined },
    {
      name: 'livingroom',
      path: '/dev/mock0',
      device: 'climate',
      description: view.description,
      format: 'test-format',
      state: 'open',
      available: false,
      lastSeen: 1234,
      opens: 1,
      losses: 0,
      fields: ['temperature', 'humidity'],
      commands: ['led'],
      protocol: 'line',
      counters: undefined,
    },
  );
  recorder.present.value = true;
  assert.equal(host.view().available, true, 'open, not lost, and the part says the device is there');

  // restart_port: our own reopen — closed as a reopen, then opened again.
  assert.equal(host.restart(), true);
  await until('the reopen', () => host.view().opens === 2 && events.includes('resumed'));
  assert.deepEqual(events.splice(0), ['closed reopen', 'change', 'opened', 'change', 'resumed']);
  assert.equal(host.view().available, true);

  // A hold for the firmware programmer: closed as our own reopen (the part drops what it had
  // half-read), nothing read while held, an observer sees the bytes after the release, and the
  // part's framing starts afresh (opened) before them.
  const release = await host.hold('flashing firmware');
  assert.equal(host.view().state, 'held');
  assert.equal(host.restart(), false, 'restart_port waits for the flash');
  const seen: string[] = [];
  const stopObserving = host.observe((chunk) => seen.push(chunk.toString()));
  release();
  await until('the reopen after the hold', () => host.view().opens === 3 && events.includes('resumed'));
  opened[2]?.emitData('# climate 2.1 booting\n');
  await until('the observer', () => seen.length === 1);
  stopObserving();
  opened[2]?.emitData('t=1\n');
  await until('the next chunk', () => events.includes('received t=1\n'));
  assert.deepEqual(seen, ['# climate 2.1 booting\n'], 'an unsubscribed observer sees nothing more');
  assert.deepEqual(events.splice(0), [
    'closed reopen',
    'change',
    'opened',
    'change',
    'resumed',
    'received # climate 2.1 booting\n',
    'received t=1\n',
  ]);

  await host.stop();
  assert.deepEqual(events.slice(0, 1), ['stop']);
  assert.equal(events.at(-1), 'finish', 'the part finishes after the serial port closed');
  assert.equal(host.view().state, 'stopped');
  assert.equal(host.view().available, false, 'a stopped port is not available');
  assert.equal(host.restart(), false);
});
