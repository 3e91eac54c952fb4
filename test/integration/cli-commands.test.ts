// The commands a newcomer types, run as child processes: demo, simulate, ports, run with
// the repository's gateway.yaml on a machine with no Arduino, and usage errors.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDevice } from '../helpers/device.ts';
import { REPO_ROOT, runCli, startGateway } from '../helpers/gateway-process.ts';
import { subscribe } from '../helpers/mqtt-sub.ts';
import { freePort } from '../helpers/ports.ts';
import { createPtyPair } from '../helpers/socat.ts';

describe('tty2mqtt commands', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('demo: embedded broker and simulated devices; prints the live stream; an outside client sees it; Ctrl-C stops cleanly', async () => {
    const port = await freePort();
    const demo = startGateway(['demo', '--listen', `127.0.0.1:${port}`, '--interval', '200ms']);
    try {
      await demo.waitForOutput(/demo\/home\/livingroom\/temperature\s+-?\d/, 20_000);
      await demo.waitForOutput(/demo\/home\/garage\s+\{"power"/, 20_000);
      await demo.waitForOutput(/demo\/home\/garden\/12\/1\/V_TEMP\s+-?\d/, 20_000);
      const sub = await subscribe({ host: '127.0.0.1', port, topics: ['demo/home/#'], qos: 1 });
      try {
        await sub.waitFor((m) => m.topic === 'demo/home/livingroom/humidity');
      } finally {
        await sub.stop();
      }
      assert.equal(await demo.kill('SIGINT'), 0);
    } finally {
      await demo.kill('SIGKILL');
    }
  });

  it('simulate: plays the climate device on a real tty', async () => {
    const pty = await createPtyPair(dir, { device: 'sim-dev', gateway: 'sim-gw' });
    const reader = await openDevice(pty.gatewayPath);
    try {
      const result = await runCli([
        'simulate',
        '--device',
        'climate',
        '--path',
        pty.devicePath,
        '--interval',
        '100ms',
        '--count',
        '3',
      ]);
      assert.equal(result.code, 0, result.stderr);
      await reader.waitForReceived(/temp=-?\d+(\.\d+)?,hum=\d+(\.\d+)?\*[0-9A-F]{2}\n[^]*temp=/);
      assert.match(result.stdout, /^> temp=/m);
    } finally {
      await reader.close();
      await pty.kill();
    }
  });

  it('simulate: an unknown device names the available ones and exits 78', async () => {
    const result = await runCli(['simulate', '--device', 'nope', '--path', '/dev/null']);
    assert.equal(result.code, 78);
    assert.match(result.stderr, /no device profile "nope".*available: .*climate/);
  });

  it('run with the repository gateway.yaml starts with no Arduino attached and reports the missing port', async () => {
    const gw = startGateway(['run', '-c', join(REPO_ROOT, 'gateway.yaml')]);
    try {
      await gw.waitForOutput('tty2mqtt running', 20_000);
      await gw.waitForOutput(/usb-Arduino_LLC_Arduino_Uno_85734323231351F0A1E1-if00/);
      const sub = await subscribe({
        host: '127.0.0.1',
        port: 1883,
        topics: ['iot/home1/gateway/state'],
        qos: 1,
      });
      try {
        await sub.waitFor((m) => m.payload === 'online');
      } finally {
        await sub.stop();
      }
      assert.equal(await gw.kill('SIGTERM'), 0);
    } finally {
      await gw.kill('SIGKILL');
    }
  });

  it('ports lists serial ports (sysfs, no udevadm needed) and exits 0', async () => {
    const result = await runCli(['ports']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.trim().length > 0);
  });

  it('check refuses a profile pattern with a nested quantifier (catastrophic backtracking): exit 78, FILE:LINE:COL and why', async () => {
    const profileDir = join(dir, 'slow-devices', 'slow');
    mkdirSync(profileDir, { recursive: true });
    writeFileSync(
      join(profileDir, 'profile.yaml'),
      "id: slow\nline: { format: kv }\nfields:\n  name: { type: string, pattern: '^([A-Za-z0-9]+_?)*$' }\n",
    );
    const config = join(dir, 'slow.yaml');
    writeFileSync(
      config,
      'devices_dir: slow-devices\nports:\n  - name: a\n    path: /dev/ttyUSB0\n    device: slow\n',
    );
    const result = await runCli(['check', '-c', config]);
    console.log(`check exit ${String(result.code)}: ${result.stderr.trim()}`);
    assert.equal(result.code, 78, result.stderr);
    assert.match(
      result.stderr,
      /slow-devices\/slow\/profile\.yaml:4:34: fields\.name\.pattern: "\^\(\[A-Za-z0-9\]\+_\?\)\*\$" is refused: nested quantifier: catastrophic backtracking in \(\[A-Za-z0-9\]\+_\?\)\*/,
    );
  });

  it('usage errors exit 1 with a hint; --help exits 0', async () => {
    const bad = await runCli(['frobnicate']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown command "frobnicate".*--help/);
    const badOption = await runCli(['run', '--bogus']);
    assert.equal(badOption.code, 1);
    assert.match(badOption.stderr, /bogus/);
    const help = await runCli(['run', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /tty2mqtt run \[-c FILE\]/);
  });
});
