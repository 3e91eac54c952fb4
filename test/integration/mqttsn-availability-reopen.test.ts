// An MQTT-SN port's availability across the gateway's own reopen: with a client
// connected, restart_port (the same close-and-reopen as idle_timeout) leaves the port
// available at every change it reports, while an unplug makes it unavailable. Real serial
// bindings on a socat pty, the real port, gateway and codec (src/ports/mqttsn-part.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
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

describe('MQTT-SN port availability across a reopen', () => {
  let dir: string;
  let pty: PtyPair;
  let device: DeviceEnd;
  let port: PortHost<MqttSnSection>;
  const abort = new AbortController();
  /** view().available at every onChange the port reported. */
  const changes: boolean[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-sn-reopen-'));
    pty = await createPtyPair(dir);
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
      log: createLogger({ level: 'error', destination: new Writable({ write: (_c, _e, done) => done() }) }),
      onChange: () => changes.push(port.view().available),
    });
    void port.start(abort.signal);
    device = await openDeviceEnd(pty.devicePath);
    await until('the port open', () => port.view().state === 'open');
  });

  after(async () => {
    abort.abort();
    await port?.stop();
    await device?.close();
    await pty?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays available through restart_port, and is unavailable once unplugged', async () => {
    await sleep(400); // past the open: the CONNECT is not taken for bytes in flight
    const connect = {
      type: 'CONNECT',
      will: false,
      cleanSession: true,
      protocolId: 1,
      duration: 60,
    } as const;
    await device.write(encodePacket({ ...connect, clientId: 'node1' }));
    await device.waitFor(encodePacket({ type: 'CONNACK', returnCode: 0 }).toString('latin1'), 5000);
    await until('available once a client is connected', () => port.view().available);
    const opensBefore = port.view().opens;
    const from = changes.length;
    const sampled: boolean[] = [];
    assert.equal(port.restart(), true);
    while (port.view().opens === opensBefore) {
      sampled.push(port.view().available);
      await sleep(1);
    }
    sampled.push(port.view().available);
    console.log(
      `restart_port: ${changes.length - from} change(s) reported, available at each: ${changes.slice(from).join(', ')}; ${sampled.length} samples, unavailable in ${sampled.filter((a) => !a).length}`,
    );
    assert.ok(changes.length - from >= 2, 'the close and the open were reported');
    assert.deepEqual(
      changes.slice(from),
      changes.slice(from).map(() => true),
    );
    assert.deepEqual(
      sampled,
      sampled.map(() => true),
    );
    await pty.kill(); // unplugged
    await until('unavailable after the unplug', () => !port.view().available, 5000);
    assert.ok(port.view().losses >= 1);
  });
});
