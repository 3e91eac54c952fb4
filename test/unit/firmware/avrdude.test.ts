import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes } from '../../../src/errors.ts';
import {
  avrdudeArguments,
  avrdudeProgrammer,
  findAvrdudeOnPath,
  isSupportedAvrdude,
  parseAvrdudeVersion,
} from '../../../src/firmware/avrdude.ts';
import { MCUS } from '../../../src/firmware/mcu.ts';
import { rejectionOf } from '../../helpers/refusal.ts';

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tty2mqtt-avrdude-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An executable `avrdude` that prints `usage` on stderr, as `avrdude -?` does. */
async function fakeAvrdude(dir: string, usage: string): Promise<string> {
  const path = join(dir, 'avrdude');
  await writeFile(path, `#!/bin/sh\nprintf '%s\\n' '${usage}' >&2\nexit 0\n`);
  await chmod(path, 0o755);
  return path;
}

function refusal(promise: Promise<unknown>): Promise<string> {
  return rejectionOf(promise, ErrorCodes.FIRMWARE_FLASH_FAILED);
}

void describe('avrdude versions', () => {
  void it("reads 7.1's and 6.3's usage lines", () => {
    assert.deepEqual(
      parseAvrdudeVersion(
        '  -?    Display this usage\n\navrdude version 7.1, URL: <https://github.com/avrdudes/avrdude>\n',
      ),
      {
        major: 7,
        minor: 1,
        text: '7.1',
      },
    );
    assert.deepEqual(
      parseAvrdudeVersion(
        'avrdude version 6.3-20171130, URL: <http://savannah.nongnu.org/projects/avrdude/>',
      ),
      {
        major: 6,
        minor: 3,
        text: '6.3-20171130',
      },
    );
    assert.equal(parseAvrdudeVersion('Usage: something else'), undefined);
  });

  void it('accepts 6.3 and newer only', () => {
    const v = (major: number, minor: number) => ({ major, minor, text: '' });
    assert.deepEqual([v(5, 10), v(6, 2), v(6, 3), v(6, 4), v(7, 0), v(8, 0)].map(isSupportedAvrdude), [
      false,
      false,
      true,
      true,
      true,
      true,
    ]);
  });
});

void describe('avrdudeArguments', () => {
  const request = { path: '/dev/ttyACM0', baudRate: 115200, mcu: MCUS.atmega328p, verify: true };

  void it("is the Arduino IDE's upload command line", () => {
    assert.deepEqual(avrdudeArguments(request, '/tmp/x/image.hex'), [
      ...['-v', '-p', 'm328p', '-c', 'arduino', '-P', '/dev/ttyACM0', '-b', '115200', '-D'],
      ...['-U', 'flash:w:/tmp/x/image.hex:i'],
    ]);
  });

  void it('adds -C, -x attempts= and -V when asked', () => {
    const args = avrdudeArguments({ ...request, mcu: MCUS.atmega168, verify: false }, 'i.hex', {
      configPath: '/etc/avrdude.conf',
      syncAttempts: 2,
    });
    assert.deepEqual(args, [
      ...[
        '-C',
        '/etc/avrdude.conf',
        '-v',
        '-p',
        'm168',
        '-c',
        'arduino',
        '-P',
        '/dev/ttyACM0',
        '-b',
        '115200',
      ],
      ...['-x', 'attempts=2', '-D', '-U', 'flash:w:i.hex:i', '-V'],
    ]);
  });
});

void describe('finding avrdude', () => {
  void it('takes the first executable avrdude on PATH', async () => {
    await withTempDir(async (dir) => {
      const path = await fakeAvrdude(dir, 'avrdude version 7.1, URL: x');
      assert.equal(await findAvrdudeOnPath(['/nonexistent', dir, '/usr/bin'].join(':')), path);
      assert.equal(await findAvrdudeOnPath('/nonexistent'), undefined);
    });
  });

  void it('refuses an avrdude older than 6.3, one without a version and a missing one, saying which', async () => {
    await withTempDir(async (dir) => {
      const old = await fakeAvrdude(
        dir,
        'avrdude version 6.2, URL: <http://savannah.nongnu.org/projects/avrdude/>',
      );
      assert.equal(
        await refusal(avrdudeProgrammer({ path: old })),
        `${old} is avrdude 6.2; tty2mqtt needs 6.3 or newer`,
      );
      const mute = await fakeAvrdude(dir, 'hello');
      assert.equal(
        await refusal(avrdudeProgrammer({ path: mute })),
        `${mute} -? did not say which avrdude version it is`,
      );
      assert.match(
        await refusal(avrdudeProgrammer({ path: join(dir, 'nope') })),
        /^cannot run .*nope: spawn .*ENOENT/,
      );
    });
  });
});
