// `tty2mqtt run` says at start-up what `tty2mqtt check` warns about: a configuration that
// loads but will likely not behave as meant (a port whose path is not there now, an
// idle_timeout shorter than the device's interval). Most daemons are started without a
// `check` first; the journal is where the user looks. Each is one `warn` line, the loader's
// with the file position `check` prints.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';

interface LogLine {
  level: string;
  msg: string;
  file?: string;
  line?: number;
  col?: number;
  path?: string;
}

describe('run: the configuration warnings check prints are logged at start-up', () => {
  let dir = '';
  let broker: Mosquitto | undefined;
  let gateway: GatewayProcess | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-run-warnings-'));
    mkdirSync(join(dir, 'devices', 'every3s'), { recursive: true });
    writeFileSync(
      join(dir, 'devices', 'every3s', 'profile.yaml'),
      ['id: every3s', 'interval: 3s', 'line: { format: kv }', 'fields: { temp: { type: number } }'].join(
        '\n',
      ),
    );
    broker = await startMosquitto();
  });

  after(async () => {
    await gateway?.kill('SIGKILL');
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs each warning once at warn, the loader’s with file, line and column', async () => {
    const config = join(dir, 'gateway.yaml');
    writeFileSync(
      config,
      [
        'version: 1',
        'gateway: { id: warngw, base_topic: warn }',
        `mqtt: { broker: external, url: "${(broker as Mosquitto).url}" }`,
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        'devices_dir: ./devices',
        'ports:',
        `  - { name: meter, path: ${join(dir, 'ttyMissing')}, device: every3s, idle_timeout: 2s }`,
        'log: { level: info }',
      ].join('\n'),
    );
    gateway = startGateway(['run', '-c', config]);
    await gateway.waitForOutput('connected to broker', 20_000);
    const lines = gateway
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
    const warnings = lines.filter((l) => l.level === 'warn' && l.msg.startsWith('configuration: '));
    assert.equal(warnings.length, 2, JSON.stringify(warnings));
    const missing = warnings.find((w) => w.msg.includes('does not exist'));
    assert.ok(missing !== undefined, JSON.stringify(warnings));
    assert.equal(missing.file, config);
    assert.equal(missing.line, 7);
    assert.ok((missing.col ?? 0) > 0);
    assert.match(missing.msg, /port "meter": .*ttyMissing does not exist \(a board may be unplugged\)/);
    const timing = warnings.find((w) => w.msg.includes('idle_timeout'));
    assert.match(timing?.msg ?? '', /idle_timeout 2 ?s is shorter than the interval of profile "every3s"/);
    // Said before the ports are opened: the warnings come first.
    const starting = lines.findIndex((l) => l.msg === 'starting tty2mqtt');
    assert.ok(starting >= 0 && lines.indexOf(missing) === starting + 1, 'right after "starting tty2mqtt"');
  });
});
