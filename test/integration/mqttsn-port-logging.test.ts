// What an MQTT-SN port logs about what its devices send, with the real serial bindings on a
// socat pty and the real port, gateway and codec (src/ports/mqttsn-part.ts): refusals are
// counted every time but logged at a limited rate (rate-limited-log.ts), like bad device
// input on line ports; and a device-chosen ClientId never reaches the log message text with
// its control characters raw (pretty mode prints the message as it is, to a terminal).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createMqttSnPort } from '../../src/ports/mqttsn-part.ts';
import type { MqttSnSection } from '../../src/ports/port-view.ts';
import type { PortHost } from '../../src/ports/port-host.ts';
import { loadProfileById } from '../../src/config/profiles.ts';
import { portSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log/logger.ts';
import { encodePacket } from '../../src/mqttsn/encode.ts';
import { MemoryOutbox } from '../../src/queue/memory-outbox.ts';
import { REPO_ROOT } from '../helpers/gateway-process.ts';
import { createPtyPair, openDeviceEnd } from '../helpers/socat.ts';
import type { DeviceEnd, PtyPair } from '../helpers/socat.ts';
import { until } from '../helpers/until.ts';

interface Line {
  level: string;
  msg: string;
  reason?: string;
  suppressed?: number;
}

describe('MQTT-SN port logging', () => {
  let dir: string;
  let pty: PtyPair;
  let device: DeviceEnd;
  let port: PortHost<MqttSnSection>;
  const raw: string[] = [];
  const abort = new AbortController();
  /** The port's clock: real time plus what a test adds (the rate limit's window). */
  let skew = 0;
  const lines = (): Line[] =>
    raw
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-sn-log-'));
    pty = await createPtyPair(dir);
    const log = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          raw.push(chunk.toString());
          done();
        },
      }),
    });
    port = createMqttSnPort({
      port: portSchema.parse({
        name: 'weather',
        path: pty.gatewayPath,
        device: 'sn-weather',
        idle_timeout: 0,
      }),
      profile: await loadProfileById('sn-weather', [join(REPO_ROOT, 'devices')], REPO_ROOT),
      base: 'test',
      outbox: new MemoryOutbox({ maxMessages: 1000, maxBytes: 1e6, maxAgeMs: 1e9, whenFull: 'reject_new' }),
      subscribe: () => () => undefined,
      log,
      now: () => Date.now() + skew,
      onChange: () => undefined,
    });
    void port.start(abort.signal);
    device = await openDeviceEnd(pty.devicePath);
    const deadline = Date.now() + 10_000;
    while (port.view().state !== 'open') {
      if (Date.now() > deadline) throw new Error('the port did not open');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  after(async () => {
    abort.abort();
    await port?.stop();
    await device?.close();
    await pty?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('2,000 CONNECTs with an unsupported ProtocolId: each answered and counted, a handful of warnings', async () => {
    const refused = encodePacket({
      type: 'CONNECT',
      will: false,
      cleanSession: true,
      protocolId: 0x02, // §5.3.8: reserved
      duration: 60,
      clientId: 'dev',
    });
    for (let i = 0; i < 2000; i++) await device.write(refused);
    const connack = encodePacket({ type: 'CONNACK', returnCode: 3 });
    const deadline = Date.now() + 30_000;
    while ((port.counters.drops.unsupported_protocol ?? 0) < 2000) {
      if (Date.now() > deadline)
        throw new Error(`counted ${port.counters.drops.unsupported_protocol ?? 0} of 2000 refusals`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await device.waitFor(connack.toString('latin1'), 5000);
    const warnings = lines().filter((l) => l.level === 'warn' && l.reason === 'unsupported_protocol');
    console.log(
      `# 2000 refused CONNECTs: counted ${port.counters.drops.unsupported_protocol}, ` +
        `${warnings.length} warnings logged`,
    );
    assert.ok(warnings.length <= 5, `${warnings.length} warnings`);
    assert.ok(warnings.length >= 1, 'the first refusals are logged');
    // A minute later the next refusal closes the window: one line says how many were not logged.
    skew += 61_000;
    await device.write(refused);
    await until('the summary line', () =>
      lines().some((l) => l.suppressed !== undefined && l.reason === 'unsupported_protocol'),
    );
    const summary = lines().find((l) => l.suppressed !== undefined && l.reason === 'unsupported_protocol');
    console.log(`# summary: ${summary?.msg}`);
    assert.equal(summary?.suppressed, 2000 - warnings.length);
  });

  it('a ClientId holding ESC [2J, BEL and a C1 CSI is escaped in log message text', async () => {
    const clientId = 'a\u001b[2J\u0007\u009bz';
    await device.write(
      encodePacket({
        type: 'CONNECT',
        will: false,
        cleanSession: true,
        protocolId: 1,
        duration: 60,
        clientId,
      }),
    );
    await device.waitFor(encodePacket({ type: 'CONNACK', returnCode: 0 }).toString('latin1'), 5000);
    const deadline = Date.now() + 5000;
    while (!lines().some((l) => l.msg.startsWith('MQTT-SN client'))) {
      if (Date.now() > deadline) throw new Error('no client log line');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const messages = lines()
      .map((l) => l.msg)
      .filter((m) => m.startsWith('MQTT-SN client'));
    console.log(`# client log message: ${JSON.stringify(messages[0])}`);
    const control = (c: string): boolean => /\p{Cc}/u.test(c);
    for (const m of messages) assert.ok(![...m].some(control), m);
    assert.ok(
      messages.some((m) => m.includes('a\\u{1b}[2J\\u{7}\\u{9b}z')),
      messages.join('\n'),
    );
  });
});
