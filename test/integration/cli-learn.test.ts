// `tty2mqtt learn` as a child process: a capture from every shipped line firmware's simulator
// is learned into a draft that `check` accepts (used by a gateway.yaml) and with which `try`
// accepts every line learn took as a reading; the lines it did not take are named. A live
// socat pty with the simulator writing into it is learned the same way, interval included.
// MQTT-SN bytes are refused as binary; an existing --out file is not overwritten.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { encodePacket } from '../../src/mqttsn/encode.ts';
import { runSimulate } from '../../src/sim/simulate-command.ts';
import { runCli } from '../helpers/gateway-process.ts';
import { captureSimulator, shippedProfile } from '../helpers/sim-capture.ts';
import { createPtyPair } from '../helpers/socat.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-learn-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** learn → check (through a gateway.yaml using the draft) → try with the accepted lines. */
async function learnCheckTry(
  id: string,
  source: string,
  extra: string[] = [],
): Promise<{ stderr: string; profile: string }> {
  const out = join(dir, 'devices', id, 'profile.yaml');
  const learned = await runCli(['learn', source, '--out', out, ...extra], { timeoutMs: 60_000 });
  assert.equal(learned.code, 0, learned.stderr);
  const profile = readFileSync(out, 'utf8');
  assert.match(profile, /^# yaml-language-server: \$schema=\.\.\/\.\.\/.*schema\/profile\.schema\.json\n/);

  const config = join(dir, `${id}.yaml`);
  writeFileSync(
    config,
    `devices_dir: devices\nports:\n  - name: dev\n    path: /dev/ttyUSB9\n    device: ${id}\n`,
  );
  const checked = await runCli(['check', '-c', config]);
  assert.equal(checked.code, 0, `${checked.stderr}\n${profile}`);
  assert.match(checked.stdout, /configuration OK/);

  const accepted = profile.match(/^# tty2mqtt try .*$/m);
  assert.ok(accepted !== null, 'the draft says how to try it');
  return { stderr: learned.stderr, profile };
}

async function tryLines(id: string, lines: readonly string[]): Promise<void> {
  const tried = await runCli(['try', join(dir, 'devices', id, 'profile.yaml'), '--json'], {
    stdin: lines.map((l) => `${l}\n`).join(''),
  });
  const verdicts = tried.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { line: string; accepted: boolean; reason: string | null });
  assert.equal(verdicts.length, lines.length);
  assert.deepEqual(
    verdicts.filter((v) => !v.accepted),
    [],
  );
  assert.equal(tried.code, 0, tried.stderr);
}

describe('tty2mqtt learn', { timeout: 240_000 }, () => {
  for (const [firmware, expected] of [
    ['climate', { format: 'kv', fields: ['temp', 'hum'], checksum: 'required', ack: false }],
    [
      'power-meter',
      { format: 'json', fields: ['power', 'voltage', 'current', 'energy'], checksum: 'required', ack: true },
    ],
    ['soil-csv', { format: 'csv', fields: ['col1', 'col2', 'col3'], checksum: 'none', ack: false }],
    ['mysensors-gateway', { format: 'mysensors', fields: [], checksum: 'none', ack: false }],
  ] as const)
    it(`${firmware}: the simulator's capture → learn → check → try accepts every reading`, async () => {
      const lines = await captureSimulator(await shippedProfile(firmware), { readings: 25 });
      const file = join(dir, `${firmware}.txt`);
      writeFileSync(file, lines.map((l) => `${l.text}\n`).join(''));
      const id = `learned-${firmware}`;
      const { stderr, profile } = await learnCheckTry(id, file);
      assert.match(profile, new RegExp(`\\n  format: ${expected.format}\\n`));
      assert.match(profile, new RegExp(`\\n  checksum: ${expected.checksum}\\n`));
      assert.match(profile, new RegExp(`\\n  ack: ${String(expected.ack)}\\n`));
      for (const field of expected.fields)
        assert.match(profile, new RegExp(`\\n  ${field}: \\{ (key: [^,]+, )?type: `));
      const warmup = `# tty2mqtt simulator ${firmware}`;
      if (firmware === 'mysensors-gateway') {
        assert.match(profile, /\nmysensors:\n {2}controller: true\n/);
        assert.doesNotMatch(stderr, /fit no format/);
        await tryLines(
          id,
          lines.map((l) => l.text),
        );
      } else {
        // The warm-up line (never a reading, the gateway discards it) is the one line named.
        assert.match(stderr, new RegExp(`1 of ${lines.length} lines fit no format: "${warmup}"`));
        await tryLines(
          id,
          lines.map((l) => l.text).filter((t) => t !== warmup),
        );
      }
    });

  it('a live port: socat pty with the climate simulator writing into it, interval measured', async () => {
    const pair = await createPtyPair(dir);
    const stop = new AbortController();
    const profile = await shippedProfile('climate');
    const sent: string[] = [];
    const simulating = runSimulate({
      profile,
      path: pair.devicePath,
      baudRate: 115200,
      intervalMs: 200,
      signal: stop.signal,
      out: (line) => sent.push(line.slice(2)),
    });
    try {
      const { stderr, profile: draft } = await learnCheckTry('live-climate', pair.gatewayPath, [
        '--seconds',
        '3',
      ]);
      assert.match(stderr, /listening to .* at 115200 baud for 3 s/);
      assert.match(draft, /\ninterval: 200ms\n/);
      assert.match(draft, /\n {2}format: kv\n/);
      assert.match(
        draft,
        /\n {2}temp: \{ type: number, min: -?\d+, max: \d+, unit: "°C", device_class: temperature/,
      );
      const readings = sent.filter((l) => l.startsWith('temp='));
      assert.ok(readings.length >= 5, `${readings.length} readings sent`);
      await tryLines('live-climate', readings);
    } finally {
      stop.abort();
      await simulating;
      await pair.kill();
    }
  });

  it('MQTT-SN bytes are refused as binary data, naming protocol: mqttsn; exit 1', async () => {
    const connect = encodePacket({
      type: 'CONNECT',
      will: false,
      cleanSession: true,
      protocolId: 1,
      duration: 300,
      clientId: 'sn-weather',
    });
    const file = join(dir, 'sn.bin');
    writeFileSync(file, Buffer.concat([connect, connect, connect]));
    const result = await runCli(['learn', file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /TTY2MQTT_NOTHING_LEARNED: .*binary data.*protocol: mqttsn/);
  });

  it('--out refuses to overwrite an existing file unless --force; stdout otherwise', async () => {
    const capture = join(dir, 'kv.txt');
    writeFileSync(capture, 'a=1,b=x\na=2,b=y\n');
    const out = join(dir, 'devices', 'kv', 'profile.yaml');
    mkdirSync(join(dir, 'devices', 'kv'), { recursive: true });
    writeFileSync(out, 'keep me\n');
    const refused = await runCli(['learn', capture, '--out', out]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /exists; pass --force to overwrite it/);
    assert.equal(readFileSync(out, 'utf8'), 'keep me\n');
    const forced = await runCli(['learn', capture, '--out', out, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(readFileSync(out, 'utf8'), /^id: kv$/m);
    const printed = await runCli(['learn', capture]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /^id: my-device$/m);
  });
});
