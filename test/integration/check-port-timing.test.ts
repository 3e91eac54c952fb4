// `tty2mqtt check` warns when a port's timing contradicts its profile: an
// idle_timeout shorter than the device's interval reopens the port between readings, an
// availability_timeout shorter than it reports the device offline between readings. Warnings
// go to stderr and the exit code stays 0: the configuration is valid. The ports' paths are
// files that exist, so the only warnings are about timing (a missing path is warned about too:
// check-one-run.test.ts).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/gateway-process.ts';

describe('check: port timing against the profile', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-check-timing-'));
    const profile = (id: string, extra: string[]): void => {
      mkdirSync(join(dir, 'devices', id), { recursive: true });
      writeFileSync(
        join(dir, 'devices', id, 'profile.yaml'),
        [`id: ${id}`, 'line: { format: kv }', 'fields: { temp: { type: number } }', ...extra].join('\n'),
      );
    };
    profile('every3s', ['interval: 3s']);
    profile('flappy', ['interval: 10s', 'availability_timeout: 5s']);
    profile('door', []);
    for (const tty of ['ttyA', 'ttyB', 'ttyC', 'ttyD']) writeFileSync(join(dir, tty), '');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function gatewayYaml(name: string, ports: string[]): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, ['version: 1', 'devices_dir: ./devices', 'ports:', ...ports].join('\n'));
    return file;
  }

  it('warns about an idle_timeout shorter than the interval and an availability_timeout shorter than it; exit 0', async () => {
    const file = gatewayYaml('contradicting', [
      `  - { name: meter, path: ${dir}/ttyA, device: every3s, idle_timeout: 2s }`,
      `  - { name: hall, path: ${dir}/ttyB, device: flappy }`,
    ]);
    const result = await runCli(['check', '-c', file]);
    console.log(`check exit ${String(result.code)}:\n${result.stderr.trim()}`);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /configuration OK/);
    const warnings = result.stderr.split('\n').filter((l) => l.startsWith('warning: '));
    assert.equal(warnings.length, 2, result.stderr);
    assert.match(
      warnings[0] ?? '',
      /ports "meter": idle_timeout 2 s is shorter than the interval of profile "every3s" \(3 s\): the port is reopened between readings; remove idle_timeout \(default for this profile: 60 s\)/,
    );
    assert.match(
      warnings[1] ?? '',
      /profile "flappy": availability_timeout 5 s is shorter than its interval \(10 s\): the device is reported offline between readings/,
    );
  });

  it('says nothing when the timing fits: defaults, idle_timeout longer than the interval, 0, an event-driven profile', async () => {
    const file = gatewayYaml('fitting', [
      `  - { name: a, path: ${dir}/ttyA, device: every3s }`,
      `  - { name: b, path: ${dir}/ttyB, device: every3s, idle_timeout: 10s }`,
      `  - { name: c, path: ${dir}/ttyC, device: every3s, idle_timeout: 0 }`,
      `  - { name: d, path: ${dir}/ttyD, device: door }`,
    ]);
    const result = await runCli(['check', '-c', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /warning/, result.stderr);
  });
});
