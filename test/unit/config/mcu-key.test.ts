// The profile key `mcu` (docs/firmware.md): one of the firmware MCU table's names, checked by
// the config loader like any enum.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../src/config/load.ts';
import { ConfigError } from '../../../src/errors.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const SHIPPED = readdirSync(join(ROOT, 'devices'));

/** A config with a port on devices/uno (its profile has `mcuLine`) and one on each shipped profile. */
async function load(mcuLine: string): Promise<Awaited<ReturnType<typeof loadConfig>>> {
  const dir = await mkdtemp(join(tmpdir(), 'tty2mqtt-mcu-'));
  try {
    await mkdir(join(dir, 'devices', 'uno'), { recursive: true });
    await writeFile(
      join(dir, 'devices', 'uno', 'profile.yaml'),
      `id: uno\n${mcuLine}line: { format: kv }\nfields:\n  t: { type: number }\n`,
    );
    const ports = ['uno', ...SHIPPED].map(
      (id, i) => `  - { name: p${i}, path: /dev/x${i}, device: ${id} }\n`,
    );
    await writeFile(join(dir, 'gateway.yaml'), `ports:\n${ports.join('')}`);
    return await loadConfig({
      file: 'gateway.yaml',
      cwd: dir,
      env: {},
      shippedDevicesDir: join(ROOT, 'devices'),
      hostname: 'test-host',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void describe('profile key mcu', () => {
  void it('is optional and takes a name of the MCU table', async () => {
    assert.equal((await load('')).profiles.get('uno')?.mcu, undefined);
    assert.equal((await load('mcu: atmega328p\n')).profiles.get('uno')?.mcu, 'atmega328p');
  });

  void it('refuses an unknown part, pointing at the line and suggesting the near name', async () => {
    await assert.rejects(load('mcu: atmega328\n'), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.message.split('\n'), [
        'devices/uno/profile.yaml:2:6: mcu: expected one of "atmega328p", "atmega328pb", "atmega168", "atmega2560", "atmega32u4", got "atmega328" (did you mean "atmega328p"?)',
      ]);
      return true;
    });
    await assert.rejects(load('mcu: atmega9999\n'), /mcu: expected one of .*got "atmega9999"/);
  });

  void it('is set to atmega328p in every shipped profile (all reference sketches are Uno sketches)', async () => {
    const { profiles } = await load('');
    assert.ok(SHIPPED.length >= 6, `only ${SHIPPED.length} shipped profiles found`);
    for (const id of SHIPPED) assert.equal(profiles.get(id)?.mcu, 'atmega328p', id);
  });
});
