import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { BindingPortInterface } from '@serialport/bindings-interface' with {
  'resolution-mode': 'require',
};
import { profileSchema } from '../../../src/config/schema.ts';
import {
  createDemoBinding,
  createDemoPorts,
  resetDemoPorts,
  startDemoDevices,
  type DemoPortHandle,
} from '../../../src/demo/binding.ts';
import { until } from '../../helpers/until.ts';

const OPEN = { baudRate: 115200, hupcl: false } as const;

/** Reads from the binding until `done(text)` holds (generous timeout: never a speed test). */
async function readUntil(
  port: BindingPortInterface,
  done: (text: string) => boolean,
  timeoutMs = 10_000,
): Promise<string> {
  let text = '';
  const deadline = Date.now() + timeoutMs;
  const buffer = Buffer.alloc(1024);
  while (!done(text)) {
    const read = port.read(buffer, 0, buffer.length);
    const timer = new Promise<never>((_, reject) => {
      const t = setTimeout(
        () => reject(new Error(`timed out; read so far: ${JSON.stringify(text)}`)),
        deadline - Date.now(),
      );
      void read.finally(() => clearTimeout(t));
    });
    const { bytesRead } = await Promise.race([read, timer]);
    text += buffer.toString('utf8', 0, bytesRead);
  }
  return text;
}

void describe('demo binding', () => {
  afterEach(() => resetDemoPorts());

  void it('lists the demo ports and hands every open() to attach; bytes flow both ways', async () => {
    createDemoPorts(['/dev/demo-a', '/dev/demo-b']);
    const attached: [string, DemoPortHandle][] = [];
    const binding = createDemoBinding((path, handle) => attached.push([path, handle]));
    assert.deepEqual(
      (await binding.list()).map((p) => p.path),
      ['/dev/demo-a', '/dev/demo-b'],
    );

    const port = await binding.open({ path: '/dev/demo-a', ...OPEN });
    assert.equal(attached.length, 1);
    const [path, handle] = attached[0]!;
    assert.equal(path, '/dev/demo-a');

    handle.emitData(Buffer.from('temp=21.5\n'));
    assert.equal(await readUntil(port, (t) => t.endsWith('\n')), 'temp=21.5\n');

    const heard: string[] = [];
    handle.onWrite((data) => heard.push(data.toString()));
    await port.write(Buffer.from('LED on\n'));
    assert.deepEqual(heard, ['LED on\n']);

    await port.close();
    handle.emitData(Buffer.from('lost\n')); // after close: dropped, not thrown
    await assert.rejects(binding.open({ path: '/dev/nope', ...OPEN }), /does not exist/);
  });

  void it('startDemoDevices: simulated lines arrive, commands reach the device, reopen gets a warm-up', async () => {
    const climate = profileSchema.parse({
      id: 'climate',
      line: { format: 'kv', checksum: 'optional' },
      fields: { temperature: { key: 'temp', type: 'number', min: -40, max: 85 } },
    });
    const demo = startDemoDevices(new Map([['/dev/demo-climate', climate]]), { intervalMs: 20 });
    try {
      let port = await demo.binding.open({ path: '/dev/demo-climate', ...OPEN });
      const text = await readUntil(port, (t) => /\ntemp=[-\d.]+\*[0-9A-F]{2}\n/.test(t));
      assert.ok(text.startsWith('# tty2mqtt simulator climate\n'), text);

      await port.write(Buffer.from('LED on\n'));
      const device = demo.devices.get('/dev/demo-climate')!;
      await until('the LED command at the device', () => device.lastCommand === 'LED on');

      await port.close();
      port = await demo.binding.open({ path: '/dev/demo-climate', ...OPEN });
      const again = await readUntil(port, (t) => t.includes('\n'));
      assert.ok(again.startsWith('# tty2mqtt simulator climate\n'), again);
      await port.close();
    } finally {
      await demo.stop();
    }
  });

  void it('startDemoDevices with an ack profile: the gateway side ACKs and the device moves on', async () => {
    const meter = profileSchema.parse({
      id: 'meter',
      line: { format: 'json', checksum: 'required', ack: true },
      fields: { power: { type: 'number', min: 0, max: 4000 } },
    });
    const demo = startDemoDevices(new Map([['/dev/demo-meter', meter]]), { intervalMs: 20 });
    try {
      const port = await demo.binding.open({ path: '/dev/demo-meter', ...OPEN });
      // The seq 0 line went out before the port was open (lost); it is resent every 2 s.
      const text = await readUntil(port, (t) => /^#0 \{.*\}\*[0-9A-F]{2}$/m.test(t));
      assert.ok(text.startsWith('# tty2mqtt simulator meter\n'), text);
      await port.write(Buffer.from('ACK 0\n'));
      await readUntil(port, (t) => /^#1 \{/m.test(t));
      assert.equal(demo.devices.get('/dev/demo-meter')!.stats.acked, 1);
      await port.close();
    } finally {
      await demo.stop();
    }
  });
});
