// The effective ports[].idle_timeout: explicit values kept, else several of the
// profile's intervals, off for a profile that states none (an event-driven device).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultIdleTimeoutMs, portIdleTimeoutMs } from '../../../src/config/idle-timeout.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

void describe('idle_timeout defaults', () => {
  void it('is 5 intervals, at least 60 s, for a profile that states an interval; off without one', () => {
    assert.equal(defaultIdleTimeoutMs(10_000), 60_000);
    assert.equal(defaultIdleTimeoutMs(30_000), 150_000);
    assert.equal(defaultIdleTimeoutMs(60_000), 300_000);
    assert.equal(defaultIdleTimeoutMs(1_000), 60_000);
    assert.equal(defaultIdleTimeoutMs(null), 0);
  });

  void it('keeps an explicit value, 0 included', () => {
    assert.equal(portIdleTimeoutMs({ idle_timeout: 2_000 }, { statedIntervalMs: 10_000 }), 2_000);
    assert.equal(portIdleTimeoutMs({ idle_timeout: 0 }, { statedIntervalMs: 10_000 }), 0);
    assert.equal(portIdleTimeoutMs({}, { statedIntervalMs: 10_000 }), 60_000);
  });

  void it('follows the profiles as loaded: shipped climate and soil-csv, and an event-driven door contact', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tty2mqtt-idle-default-'));
    try {
      await mkdir(join(dir, 'devices', 'door'), { recursive: true });
      await writeFile(
        join(dir, 'devices', 'door', 'profile.yaml'),
        ['id: door', 'line: { format: kv }', 'fields: { open: { type: boolean } }'].join('\n'),
      );
      await writeFile(
        join(dir, 'gateway.yaml'),
        [
          'version: 1',
          'ports:',
          '  - { name: a, path: /dev/ttyA, device: climate }',
          '  - { name: b, path: /dev/ttyB, device: soil-csv }',
          '  - { name: c, path: /dev/ttyC, device: door }',
          '  - { name: d, path: /dev/ttyD, device: door, idle_timeout: 10m }',
        ].join('\n'),
      );
      const loaded = await loadConfig({ cwd: dir, env: {}, shippedDevicesDir: join(ROOT, 'devices') });
      const effective = loaded.config.ports.map((p) => portIdleTimeoutMs(p, loaded.profiles.get(p.device)!));
      console.log(`effective idle_timeout (ms): ${effective.join(', ')}`);
      assert.deepEqual(effective, [60_000, 300_000, 0, 600_000]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
