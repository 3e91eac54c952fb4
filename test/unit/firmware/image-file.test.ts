import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes } from '../../../src/errors.ts';
import { readFirmwareFile } from '../../../src/firmware/image-file.ts';
import { parseIntelHex } from '../../../src/firmware/intel-hex.ts';
import { rejectionOf } from '../../helpers/refusal.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'firmware');

function refusal(path: string): Promise<string> {
  return rejectionOf(readFirmwareFile(path), ErrorCodes.FIRMWARE_INVALID);
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tty2mqtt-hex-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void describe('readFirmwareFile', () => {
  void it('reads the compiled sketch as HEX', async () => {
    const { format, image } = await readFirmwareFile(join(FIXTURES, 'soil-csv.hex'));
    assert.equal(format, 'hex');
    assert.equal(image.size, 5402);
  });

  void it('reads the ELF the HEX was made from (by content, whatever its name) to the same image', async () => {
    await withTempDir(async (dir) => {
      // The fixture's HEX is `avr-objcopy -O ihex -R .eeprom` of this ELF, byte for byte.
      const misnamed = join(dir, 'soil-csv.hex');
      await writeFile(misnamed, await readFile(join(FIXTURES, 'soil-csv.elf')));
      const { format, image } = await readFirmwareFile(misnamed);
      assert.equal(format, 'elf');
      assert.deepEqual(image, parseIntelHex(await readFile(join(FIXTURES, 'soil-csv.hex'))));
    });
  });

  void it('names the file in front of what is wrong inside an ELF', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'cut.elf');
      await writeFile(path, (await readFile(join(FIXTURES, 'soil-csv.elf'))).subarray(0, 200));
      assert.equal(
        await refusal(path),
        `${path}: program header 0: its 5364 bytes at offset 148 run past the end of the file (200 bytes)`,
      );
    });
  });

  void it('refuses a file over the size bound without reading it', async () => {
    await withTempDir(async (dir) => {
      // 3 GiB, sparse: reading it whole would fail with a RangeError (over Buffer's 2 GiB
      // limit) or exhaust memory, so a FIRMWARE_INVALID about its size proves it was not read.
      const path = join(dir, 'disk.img');
      await writeFile(path, '');
      await truncate(path, 3 * 1024 ** 3);
      assert.equal(
        await refusal(path),
        `${path}: ${3 * 1024 ** 3} bytes, more than a firmware file may be (8388608)`,
      );
    });
  });

  void it('names the file in front of what is wrong inside it', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'cut.hex');
      await writeFile(path, ':0100000055AA\r\n');
      assert.equal(
        await refusal(path),
        `${path}: no end-of-file record (:00000001FF) after line 1: the file is cut off or not Intel HEX`,
      );
    });
  });

  void it('refuses a missing file, a directory and a FIFO, without waiting on the FIFO', async () => {
    await withTempDir(async (dir) => {
      assert.match(await refusal(join(dir, 'nope.hex')), /nope\.hex: cannot be opened: ENOENT/);
      assert.equal(await refusal(dir), `${dir}: is not a regular file`);
      const fifo = join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      assert.equal(await refusal(fifo), `${fifo}: is not a regular file`);
    });
  });
});
