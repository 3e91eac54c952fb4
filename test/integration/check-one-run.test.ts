// The real `tty2mqtt check` says everything in one run (docs/contract.md §1): a broken profile's
// type error, min > max, wrong id, misspelt placeholder and Home Assistant class typo, gateway.yaml's
// own problems, two ports on one device (a socat pty reached through its link and through
// /dev/pts/N), and a port path that is not there — by file and position, then one summary line,
// exit 78; `run` refuses with the same list. A valid configuration with a path that is not there warns and exits 0; a pty that is
// there is not warned about.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/gateway-process.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';
import { BROKEN_METER_PROFILE } from '../helpers/broken-profile.ts';

const MISSING = '/dev/ttyUSB9-tty2mqtt-check';

describe('check: every problem in one run', () => {
  let dir: string;
  let pty: PtyPair;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-check-one-run-'));
    pty = await createPtyPair(dir, { device: 'board', gateway: 'tty' });
    mkdirSync(join(dir, 'devices', 'meter'), { recursive: true });
    writeFileSync(join(dir, 'devices', 'meter', 'profile.yaml'), BROKEN_METER_PROFILE);
    mkdirSync(join(dir, 'devices', 'plain'), { recursive: true });
    writeFileSync(
      join(dir, 'devices', 'plain', 'profile.yaml'),
      'id: plain\nline: { format: kv }\nfields: { t: { type: number, device_class: temperature, unit: "°C" } }\n',
    );
  });
  after(async () => {
    await pty.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the problems of gateway.yaml and of the profile together, by file and position, then one summary line; exit 78', async () => {
    const pts = realpathSync(pty.gatewayPath);
    writeFileSync(
      join(dir, 'broken.yaml'),
      [
        'version: 1',
        'devices_dir: ./devices',
        'mqtt: { keepalive: fast }',
        'ports:',
        `  - { name: a, device: meter, path: ${pty.gatewayPath} }`,
        `  - { name: b, device: plain, path: ${pts} }`,
        `  - { name: c, device: plain, path: ${MISSING} }`,
        '',
      ].join('\n'),
    );
    const result = await runCli(['check', '-c', join(dir, 'broken.yaml')]);
    console.log(`check exit ${String(result.code)}:\n${result.stderr.trim()}`);
    assert.equal(result.code, 78, result.stderr);
    assert.doesNotMatch(result.stdout, /configuration OK/);
    assert.deepEqual(result.stderr.trimEnd().split('\n'), [
      `${dir}/broken.yaml:3:20: mqtt.keepalive: "fast" is not a duration (e.g. 250ms, 30s, 5m, 2h, 7d)`,
      `${dir}/broken.yaml:6:37: ports[1].path: port "b": ${pts} is the same device as ${pty.gatewayPath} of port "a" (ports[0].path at ${dir}/broken.yaml:5:37); two ports cannot share one serial device`,
      `warning: ${dir}/broken.yaml:7:37: ports[2].path: port "c": ${MISSING} does not exist (a board may be unplugged)`,
      `${dir}/devices/meter/profile.yaml:1:5: id: "metre" must equal the profile's folder name "meter"`,
      `${dir}/devices/meter/profile.yaml:4:17: fields.temp.type: expected one of "number", "integer", "boolean", "string", "enum", got "numbr" (did you mean "number"?)`,
      `${dir}/devices/meter/profile.yaml:5:29: fields.hum.min: 100 must not exceed max (0)`,
      `${dir}/devices/meter/profile.yaml:6:40: fields.power.device_class: "powr" is not a Home Assistant device class (did you mean "power"?)`,
      `${dir}/devices/meter/profile.yaml:8:10: publish.topic: "{port}/{feild}" must contain {field} with mode per_field (one topic per field)`,
      `${dir}/devices/meter/profile.yaml:8:10: publish.topic: {feild} is not a placeholder (did you mean {field}?); the gateway fills in {port} {field} {gateway}, any other name must be in the vars of every port using the profile`,
      'tty2mqtt: configuration invalid: 8 problems in 2 files, 1 warning',
    ]);
    // `run` loads the same way and refuses with the same complete list, before opening anything.
    const run = await runCli(['run', '-c', join(dir, 'broken.yaml')]);
    assert.equal(run.code, 78, run.stderr);
    assert.equal(run.stderr, result.stderr);
  });

  it('a valid configuration: a port path that is not there is a warning with its position, a pty that is there is not; exit 0', async () => {
    writeFileSync(
      join(dir, 'ok.yaml'),
      [
        'version: 1',
        'devices_dir: ./devices',
        'ports:',
        `  - { name: here, device: plain, path: ${pty.gatewayPath} }`,
        `  - { name: gone, device: plain, path: ${MISSING} }`,
        '',
      ].join('\n'),
    );
    const result = await runCli(['check', '-c', join(dir, 'ok.yaml')]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /configuration OK/);
    assert.deepEqual(result.stderr.trimEnd().split('\n'), [
      `warning: ${dir}/ok.yaml:5:40: ports[1].path: port "gone": ${MISSING} does not exist (a board may be unplugged)`,
    ]);
  });
});
