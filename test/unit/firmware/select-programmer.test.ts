import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, isGatewayError } from '../../../src/errors.ts';
import { selectProgrammer } from '../../../src/firmware/select-programmer.ts';

const openLink = (): Promise<never> => Promise.reject(new Error('not opened in this test'));

async function withAvrdude(version: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tty2mqtt-select-'));
  try {
    const path = join(dir, 'avrdude');
    await writeFile(path, `#!/bin/sh\necho 'avrdude version ${version}, URL: x' >&2\n`);
    await chmod(path, 0o755);
    await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void describe('selectProgrammer', () => {
  void it('builtin: the STK500v1 programmer, whatever avrdude there is', async () => {
    const { programmer, fallbackReason } = await selectProgrammer('builtin', { openLink });
    assert.equal(programmer.name, 'builtin stk500v1');
    assert.equal(fallbackReason, undefined);
  });

  void it('auto: avrdude when it is new enough', async () => {
    await withAvrdude('7.1', async (path) => {
      const { programmer, fallbackReason } = await selectProgrammer('auto', { openLink, avrdude: { path } });
      assert.equal(programmer.name, 'avrdude 7.1');
      assert.equal(fallbackReason, undefined);
    });
  });

  void it('auto: the builtin programmer, saying why, when avrdude is too old or missing', async () => {
    await withAvrdude('6.2', async (path) => {
      const old = await selectProgrammer('auto', { openLink, avrdude: { path } });
      assert.equal(old.programmer.name, 'builtin stk500v1');
      assert.equal(old.fallbackReason, `${path} is avrdude 6.2; tty2mqtt needs 6.3 or newer`);
      const missing = await selectProgrammer('auto', { openLink, avrdude: { path: `${path}-not-there` } });
      assert.equal(missing.programmer.name, 'builtin stk500v1');
      assert.match(missing.fallbackReason ?? '', /^cannot run /);
    });
  });

  void it('avrdude: refuses a too old one instead of falling back', async () => {
    await withAvrdude('5.11', async (path) => {
      await assert.rejects(selectProgrammer('avrdude', { openLink, avrdude: { path } }), (error: unknown) => {
        assert.ok(isGatewayError(error, ErrorCodes.FIRMWARE_FLASH_FAILED));
        assert.equal(error.message, `${path} is avrdude 5.11; tty2mqtt needs 6.3 or newer`);
        return true;
      });
    });
  });
});
