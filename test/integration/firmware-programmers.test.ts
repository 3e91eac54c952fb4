// Both programmers (docs/firmware.md) against the optiboot model (test/helpers/fake-optiboot.ts)
// on the far end of a real socat pty pair: tty2mqtt's own STK500v1 programmer over the real
// serialport bindings, and the real avrdude. Each programs and verifies a 10 KiB image, and
// reports a silent board, another MCU and a bad flash cell as the same GatewayErrors.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'node:test';
import { ErrorCodes } from '../../src/errors.ts';

import { avrdudeArguments, avrdudeProgrammer } from '../../src/firmware/avrdude.ts';
import { AvrdudeOutput } from '../../src/firmware/avrdude-output.ts';
import type { HexImage } from '../../src/firmware/intel-hex.ts';
import { formatIntelHex } from '../../src/firmware/intel-hex-write.ts';
import { MCUS } from '../../src/firmware/mcu.ts';
import type { FlashProgress, Programmer, ProgramRequest } from '../../src/firmware/programmer.ts';
import { stk500v1Programmer } from '../../src/firmware/stk500v1.ts';
import { platformBinding } from '../../src/serial/binding.ts';
import { openProgrammingLink } from '../../src/serial/programming-link.ts';
import { serveFakeOptiboot } from '../helpers/fake-optiboot.ts';
import type { FakeOnPty, FakeOptibootOptions } from '../helpers/fake-optiboot.ts';
import { createPtyPair } from '../helpers/socat.ts';
import { rejectionOf } from '../helpers/refusal.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'avrdude');
/** avrdude waits 5 s per silent sync try; two tries keep the no-sync case short. */
const AVRDUDE_SYNC_ATTEMPTS = 2;

/** 10 KiB from address 0, every byte position distinct enough to catch a shifted page. */
const IMAGE: HexImage = (() => {
  const bytes = Uint8Array.from({ length: 10 * 1024 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
  return { segments: [{ address: 0, bytes }], size: bytes.length, highestAddress: bytes.length - 1 };
})();

let dir = '';
let pairs = 0;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tty2mqtt-programmers-'));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh pty pair with the optiboot model on its device end; the gateway end's path. */
async function board(options: FakeOptibootOptions = {}): Promise<{ path: string; served: FakeOnPty }> {
  pairs += 1;
  const pair = await createPtyPair(dir, { device: `board${pairs}`, gateway: `port${pairs}` });
  cleanups.push(() => pair.kill());
  const served = serveFakeOptiboot(pair.devicePath, options);
  cleanups.push(() => served.close());
  return { path: pair.gatewayPath, served };
}

function request(port: string, extra: Partial<ProgramRequest> = {}): ProgramRequest {
  return { path: port, baudRate: 115200, image: IMAGE, mcu: MCUS.atmega328p, verify: true, ...extra };
}

const binding = platformBinding();
const programmers: [string, () => Promise<Programmer>][] = [
  ['builtin', () => Promise.resolve(stk500v1Programmer((p, baud) => openProgrammingLink(binding, p, baud)))],
  ['avrdude', () => avrdudeProgrammer({ syncAttempts: AVRDUDE_SYNC_ATTEMPTS })],
];

for (const [kind, make] of programmers)
  void describe(`the ${kind} programmer over a pty to the optiboot model`, { timeout: 120_000 }, () => {
    void it('programs and verifies 10 KiB: the board holds the image, progress reaches the end', async (t) => {
      const programmer = await make();
      const { path: port, served } = await board();
      const progress: FlashProgress[] = [];
      const result = await programmer.program(request(port, { onProgress: (p) => progress.push(p) }));
      t.diagnostic(`${programmer.name}: ${IMAGE.size} bytes written and verified in ${result.ms} ms`);
      assert.deepEqual(served.fake.flash.subarray(0, IMAGE.size), IMAGE.segments[0]?.bytes);
      assert.ok(
        served.fake.flash.subarray(IMAGE.size).every((b) => b === 0xff),
        'nothing written past the image',
      );
      assert.equal(served.fake.pagesWritten, 80);
      assert.deepEqual(
        { ...result, ms: 0 },
        {
          bytesWritten: IMAGE.size,
          verified: true,
          signature: '1E 95 0F',
          programmer: programmer.name,
          ms: 0,
        },
      );
      assert.deepEqual(progress.at(-1), { stage: 'verifying', bytes: IMAGE.size, of: IMAGE.size });
      assert.ok(progress.some((p) => p.stage === 'writing' && p.bytes === IMAGE.size));
    });

    void it('programs without reading back when verify is off', async () => {
      const programmer = await make();
      const { path: port, served } = await board();
      const result = await programmer.program(request(port, { verify: false }));
      assert.equal(result.verified, false);
      assert.ok(!served.fake.commands.includes(0x74), 'READ_PAGE was sent');
      assert.deepEqual(served.fake.flash.subarray(0, IMAGE.size), IMAGE.segments[0]?.bytes);
    });

    void it('reports a board that never answers as FIRMWARE_NO_SYNC', async () => {
      const programmer = await make();
      const { path: port } = await board({ mode: 'silent' });
      const tries = kind === 'avrdude' ? AVRDUDE_SYNC_ATTEMPTS : 10;
      assert.match(
        await rejectionOf(programmer.program(request(port)), ErrorCodes.FIRMWARE_NO_SYNC),
        new RegExp(`^the board did not answer the bootloader's sync after ${tries} tries`),
      );
    });

    void it('reports another MCU as FIRMWARE_WRONG_BOARD and writes nothing', async () => {
      const programmer = await make();
      const { path: port, served } = await board({ mode: 'wrongSignature' });
      assert.equal(
        await rejectionOf(programmer.program(request(port)), ErrorCodes.FIRMWARE_WRONG_BOARD),
        'the board answered 1E 95 16 (atmega328pb), the profile says atmega328p (1E 95 0F)',
      );
      assert.equal(served.fake.pagesWritten, 0);
    });

    void it('reports a byte that reads back wrong as FIRMWARE_VERIFY_FAILED at its address', async () => {
      const programmer = await make();
      const { path: port } = await board({ mode: 'corruptWrite', corruptAt: 0x1234 });
      const good = IMAGE.segments[0]?.bytes[0x1234] ?? 0;
      const hex = (b: number): string => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`;
      assert.equal(
        await rejectionOf(programmer.program(request(port)), ErrorCodes.FIRMWARE_VERIFY_FAILED),
        `flash at 0x1234 reads ${hex(good ^ 1)}, the image has ${hex(good)}: the board holds a broken image; flash it again`,
      );
    });

    void it('stops when aborted and rejects with FIRMWARE_FLASH_FAILED', async () => {
      const programmer = await make();
      const { path: port } = await board({ mode: 'silent' });
      const controller = new AbortController();
      const programming = programmer.program(request(port, { signal: controller.signal }));
      setTimeout(() => controller.abort(new Error('the gateway is stopping')), 300);
      assert.equal(
        await rejectionOf(programming, ErrorCodes.FIRMWARE_FLASH_FAILED),
        'programming was aborted; the board may hold part of the image: flash it again',
      );
    });
  });

void describe('avrdude 7.1 output', { timeout: 60_000 }, () => {
  void it('as the installed avrdude prints it now reads as the fixture captured from it does', async () => {
    const { path: port } = await board();
    const hexPath = path.join(dir, 'image.hex');
    await writeFile(hexPath, formatIntelHex(IMAGE));
    const args = avrdudeArguments(request(port), hexPath);
    const child = spawn('avrdude', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let live = '';
    child.stderr.setEncoding('latin1');
    child.stderr.on('data', (text: string) => {
      if (live.length < 1024 * 1024) live += text;
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 0, live);
    const facts = (text: string): AvrdudeOutput['facts'] => {
      const output = new AvrdudeOutput(IMAGE.size);
      output.push(text);
      output.end();
      return output.facts;
    };
    const fixture = await readFile(path.join(FIXTURES, '7.1-written-verified.txt'), 'latin1');
    assert.deepEqual(facts(live), facts(fixture));
    // What avrdude says on a pty, which has no modem lines (reported in docs/firmware.md).
    assert.equal(
      facts(live).modemLinesProblem,
      'avrdude ser_set_dtr_rts() OS error: ioctl("TIOCMGET"): Inappropriate ioctl for device',
    );
  });
});
