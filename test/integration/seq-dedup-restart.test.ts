// The `#seq` de-duplication window is committed with the line's messages: a
// device that resends a line because the gateway crashed before its ACK got out is
// acknowledged again after the restart, and the reading is not published twice.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDevice, withChecksum } from '../helpers/device.ts';
import { startGateway } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { subscribe } from '../helpers/mqtt-sub.ts';
import { createPtyPair } from '../helpers/socat.ts';

test('a line resent after a gateway crash is ACKed again and not republished', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-dedup-'));
  const broker = await startMosquitto();
  const pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
  const file = join(dir, 'gateway.yaml');
  writeFileSync(
    file,
    [
      'gateway: { id: dd, base_topic: dd }',
      `mqtt: { broker: external, url: "${broker.url}" }`,
      'ports:',
      `  - { name: meter, path: "${pty.gatewayPath}", device: power-meter, idle_timeout: 0 }`,
    ].join('\n'),
  );
  const sub = await subscribe({ host: broker.host, port: broker.port, topics: ['dd/meter'], qos: 1 });
  const device = await openDevice(pty.devicePath);
  const line = (seq: number, power: number): string =>
    `${withChecksum(`#${seq} {"power":${power},"voltage":230,"current":1,"energy":${power}}`)}\n`;
  let gw = startGateway(['run', '-c', file]);
  try {
    await gw.waitForOutput(`opened ${pty.gatewayPath}`);
    await device.write('# warm-up\n');
    await device.write(line(0, 100));
    await device.waitForReceived('ACK 0\n');
    await device.write(line(1, 101));
    await device.waitForReceived('ACK 1\n');
    await sub.waitFor((m) => m.payload.includes('"power":101'));
    // Let the broker's PUBACK reach the gateway (loopback: well under a millisecond), so
    // what follows tests the #seq window and not the (legitimate) QoS 1 session replay.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await gw.kill('SIGKILL'); // ACK 1 "lost": the device will resend #1
    gw = startGateway(['run', '-c', file]);
    await gw.waitForOutput(`opened ${pty.gatewayPath}`);
    await device.write('# warm-up after the gateway restarted\n');
    await device.write(line(1, 101));
    await device.waitForReceived(/ACK 1\n[^]*ACK 1\n/);
    await device.write(line(2, 102));
    await device.waitForReceived('ACK 2\n');
    await sub.waitFor((m) => m.payload.includes('"power":102'));
    const powers = sub.messages.map((m) => (JSON.parse(m.payload) as { power: number }).power);
    assert.deepEqual(powers, [100, 101, 102]);
    assert.equal(await gw.kill('SIGTERM'), 0);
    const stopped =
      gw
        .stdout()
        .split('\n')
        .find((l) => l.includes('"tty2mqtt stopped"')) ?? '{}';
    const counters = (JSON.parse(stopped) as { ports?: Record<string, { duplicates: number }> }).ports;
    assert.equal(counters?.['meter']?.duplicates, 1, stopped);
  } finally {
    await gw.kill('SIGKILL');
    await device.close();
    await sub.stop();
    await pty.kill();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
