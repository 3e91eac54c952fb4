// The builtin STK500v1 programmer against a model of optiboot (test/helpers/fake-optiboot.ts)
// over an in-memory link: what it sends, what it writes, how each failure is reported, and
// that nothing a board can answer makes it throw anything but a GatewayError or run unbounded.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCodes, GatewayError } from '../../../src/errors.ts';
import type { ByteLink } from '../../../src/firmware/byte-link.ts';
import type { HexImage } from '../../../src/firmware/intel-hex.ts';
import { MCUS } from '../../../src/firmware/mcu.ts';
import type { FlashProgress, ProgramRequest } from '../../../src/firmware/programmer.ts';
import { pagesOf, programOverLink, stk500v1Programmer } from '../../../src/firmware/stk500v1.ts';
import type { Stk500v1Timing } from '../../../src/firmware/stk500v1.ts';
import { memoryLink } from '../../helpers/fake-optiboot.ts';
import type { MemoryLinkOptions } from '../../helpers/fake-optiboot.ts';
import { rejectionOf } from '../../helpers/refusal.ts';

/** Short waits: the model answers at once, so only a missing answer ever waits. */
const FAST: Stk500v1Timing = {
  resetLowMs: 1,
  settleMs: 1,
  syncAttempts: 10,
  syncTimeoutMs: 5,
  answerTimeoutMs: 5,
};

function imageOf(...runs: [number, number[]][]): HexImage {
  const segments = runs.map(([address, bytes]) => ({ address, bytes: Uint8Array.from(bytes) }));
  const last = segments[segments.length - 1];
  return {
    segments,
    size: segments.reduce((n, s) => n + s.bytes.length, 0),
    highestAddress: last === undefined ? undefined : last.address + last.bytes.length - 1,
  };
}

/** 300 bytes from 0 (three pages, the last one partly) and 4 bytes in page 0x1000. */
const IMAGE = imageOf(
  [0, Array.from({ length: 300 }, (_, i) => (i * 13 + 1) & 0xff)],
  [0x1000, [1, 2, 3, 4]],
);

function request(image: HexImage = IMAGE, extra: Partial<ProgramRequest> = {}): ProgramRequest {
  return { path: '/dev/memory', baudRate: 115200, image, mcu: MCUS.atmega328p, verify: true, ...extra };
}

/** What flash must hold after writing `image`: its bytes, 0xFF elsewhere. */
function flashWith(image: HexImage, size = 32 * 1024): Uint8Array {
  const flash = new Uint8Array(size).fill(0xff);
  for (const s of image.segments) flash.set(s.bytes, s.address);
  return flash;
}

function program(options: MemoryLinkOptions, extra: Partial<ProgramRequest> = {}) {
  const link = memoryLink(options);
  const promise = programOverLink(link, request(IMAGE, extra), FAST);
  return { link, promise };
}

void describe('pagesOf', () => {
  void it('gives every page the image touches, padded with 0xFF, and how many image bytes each holds', () => {
    const pages = pagesOf(imageOf([0x7e, [1, 2, 3, 4]], [0x200, [9]]), 128);
    assert.deepEqual(
      pages.map((p) => [p.address, p.imageBytes]),
      [
        [0, 2],
        [0x80, 2],
        [0x200, 1],
      ],
    );
    assert.deepEqual(pages[0]?.bytes.subarray(0x7e), Uint8Array.of(1, 2));
    assert.deepEqual(pages[1]?.bytes.subarray(0, 3), Uint8Array.of(3, 4, 0xff));
    assert.equal(pages[2]?.bytes.filter((b) => b !== 0xff).length, 1);
  });
});

void describe('programOverLink (builtin STK500v1) with an optiboot model', () => {
  void it('resets, syncs, checks the signature, writes the touched pages, verifies and leaves', async () => {
    const progress: FlashProgress[] = [];
    const { link, promise } = program({}, { onProgress: (p) => progress.push(p) });
    const result = await promise;
    assert.deepEqual(link.fake.flash, flashWith(IMAGE));
    assert.equal(link.fake.pagesWritten, 4); // 0x000, 0x080, 0x100, 0x1000
    assert.equal(link.closed, true);
    assert.deepEqual(
      { ...result, ms: 0 },
      { bytesWritten: 304, verified: true, signature: '1E 95 0F', programmer: 'builtin stk500v1', ms: 0 },
    );
    // GET_SYNC, READ_SIGN, ENTER_PROGMODE, (LOAD_ADDRESS PROG_PAGE) × 4, (LOAD_ADDRESS READ_PAGE) × 4, LEAVE.
    const x = (n: number, pair: number[]): number[] => Array.from({ length: n }, () => pair).flat();
    assert.deepEqual(link.fake.commands, [
      0x30,
      0x75,
      0x50,
      ...x(4, [0x55, 0x64]),
      ...x(4, [0x55, 0x74]),
      0x51,
    ]);
    assert.deepEqual(progress.slice(0, 3), [{ stage: 'reset' }, { stage: 'sync' }, { stage: 'signature' }]);
    assert.deepEqual(
      progress.filter((p) => p.stage === 'writing').map((p) => p.bytes),
      [0, 128, 256, 300, 304],
    );
    assert.deepEqual(progress.at(-1), { stage: 'verifying', bytes: 304, of: 304 });
  });

  void it('does not read flash back when verify is off', async () => {
    const { link, promise } = program({}, { verify: false });
    assert.equal((await promise).verified, false);
    assert.ok(!link.fake.commands.includes(0x74));
    assert.deepEqual(link.fake.flash, flashWith(IMAGE));
  });

  void it('programs over a port without modem lines (a pty): the reset is skipped, not fatal', async () => {
    const { link, promise } = program({ modemLines: false });
    await promise;
    assert.deepEqual(link.fake.flash, flashWith(IMAGE));
  });

  void it('syncs with a bootloader that a sketch left noise in front of', async () => {
    let first = true;
    const { link, promise } = program({
      tamper: (command, answer) => {
        if (!first || command !== 0x30) return answer;
        first = false;
        return Uint8Array.of(0x41, 0x42, ...answer.subarray(0, 1)); // garbage, then a cut answer
      },
    });
    await promise;
    assert.deepEqual(link.fake.flash, flashWith(IMAGE));
    assert.equal(link.fake.commands.filter((c) => c === 0x30).length, 2);
  });

  void it('reports a silent board as FIRMWARE_NO_SYNC after 10 tries, and closes the port', async () => {
    const { link, promise } = program({ mode: 'silent' });
    assert.equal(
      await rejectionOf(promise, ErrorCodes.FIRMWARE_NO_SYNC),
      "the board did not answer the bootloader's sync after 10 tries (last answer: nothing): is its bootloader there, is this the right port and baud rate (115200)?",
    );
    assert.equal(link.closed, true);
  });

  void it('says when the board could not be reset because the port has no DTR/RTS', async () => {
    const { promise } = program({ mode: 'silent', modemLines: false });
    assert.match(
      await rejectionOf(promise, ErrorCodes.FIRMWARE_NO_SYNC),
      /\(DTR\/RTS could not be set, so the board was not reset: Inappropriate ioctl for device, cannot set\)$/,
    );
  });

  void it('reports garbage answers to sync as FIRMWARE_NO_SYNC quoting the last one', async () => {
    const { link, promise } = program({ mode: 'garbage' });
    assert.match(
      await rejectionOf(promise, ErrorCodes.FIRMWARE_NO_SYNC),
      /after 10 tries \(last answer: [0-9A-F]{2}( [0-9A-F]{2})?\)/,
    );
    assert.deepEqual(
      link.fake.commands,
      Array.from({ length: 10 }, () => 0x30),
    );
  });

  void it('refuses another MCU as FIRMWARE_WRONG_BOARD before writing anything', async () => {
    const { link, promise } = program({ mode: 'wrongSignature' });
    assert.equal(
      await rejectionOf(promise, ErrorCodes.FIRMWARE_WRONG_BOARD),
      'the board answered 1E 95 16 (atmega328pb), the profile says atmega328p (1E 95 0F)',
    );
    assert.equal(link.fake.pagesWritten, 0);
  });

  void it('reports a byte that reads back wrong as FIRMWARE_VERIFY_FAILED with its address and both bytes', async () => {
    const { promise } = program({ mode: 'corruptWrite', corruptAt: 0x123 });
    const expected = (0x123 * 13 + 1) & 0xff;
    assert.equal(
      await rejectionOf(promise, ErrorCodes.FIRMWARE_VERIFY_FAILED),
      `flash at 0x0123 reads 0x${(expected ^ 1).toString(16).toUpperCase()}, the image has 0x${expected.toString(16).toUpperCase()}: the board holds a broken image; flash it again`,
    );
  });

  void it('reports a refused command as FIRMWARE_FLASH_FAILED naming it, its address and the bytes', async () => {
    const { promise } = program({
      tamper: (command, answer) => (command === 0x64 ? Uint8Array.of(0x14, 0x11) : answer),
    });
    assert.equal(
      await rejectionOf(promise, ErrorCodes.FIRMWARE_FLASH_FAILED),
      'the bootloader answered PROG_PAGE (64) for 0x0000 with 14 11; expected 14 … 10',
    );
  });

  void it('reports a missing answer as FIRMWARE_FLASH_FAILED with what came within the timeout', async () => {
    const { promise } = program({
      tamper: (command, answer) => (command === 0x74 ? answer.subarray(0, 10) : answer),
    });
    assert.equal(
      await rejectionOf(promise, ErrorCodes.FIRMWARE_FLASH_FAILED),
      `the bootloader answered READ_PAGE (74) for 0x0000 with 14 ${Array.from({ length: 9 }, (_, i) => ((i * 13 + 1) & 0xff).toString(16).toUpperCase().padStart(2, '0')).join(' ')} within 5 ms (10 of 130 bytes); expected 14 … 10`,
    );
  });

  void it('stops when aborted, rejecting with FIRMWARE_FLASH_FAILED, and closes the port', async () => {
    const controller = new AbortController();
    const { link, promise } = program(
      {},
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.stage === 'writing' && p.bytes === 128)
            controller.abort(new Error('the gateway is stopping'));
        },
      },
    );
    assert.equal(
      await rejectionOf(promise, ErrorCodes.FIRMWARE_FLASH_FAILED),
      'programming was aborted; the board may hold part of the image: flash it again',
    );
    assert.equal(link.fake.pagesWritten, 1);
    assert.equal(link.closed, true);
  });

  void it('turns a port that cannot be opened into FIRMWARE_FLASH_FAILED', async () => {
    const programmer = stk500v1Programmer(() => Promise.reject(new Error('No such file or directory')), FAST);
    assert.equal(
      await rejectionOf(programmer.program(request()), ErrorCodes.FIRMWARE_FLASH_FAILED),
      'cannot open /dev/memory: No such file or directory',
    );
  });

  void it('never throws anything but a GatewayError, whatever bytes the board sends, in bounded steps', async () => {
    // A link whose every answer is the next arbitrary chunk: no bootloader at all.
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 140 }), { maxLength: 40 }), async (chunks) => {
        let operations = 0;
        let next = 0;
        let unread: number[] = [];
        const link: ByteLink = {
          write: () => {
            operations += 1;
            unread.push(...(chunks[next++ % Math.max(chunks.length, 1)] ?? []));
            return Promise.resolve();
          },
          read: (count) => {
            operations += 1;
            const taken = unread.slice(0, count);
            unread = unread.slice(taken.length);
            return Promise.resolve(Uint8Array.from(taken));
          },
          drain: () => (unread = []),
          setModemLines: () => Promise.resolve(),
          close: () => Promise.resolve(),
        };
        await programOverLink(link, request(), FAST).catch((error: unknown) => {
          assert.ok(error instanceof GatewayError, String(error));
        });
        // 10 sync tries, then at most 4 commands per page (two to write, two to verify) and 2 more.
        assert.ok(operations <= 2 * (10 + 2 + 4 * 4 + 1), `${operations} link operations`);
      }),
      { numRuns: 200 },
    );
  });

  void it('with a real bootloader and arbitrary damage to its answers: a GatewayError, or flash holds the image', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: 30 }), fc.nat({ max: 140 }), fc.integer({ min: -1, max: 255 })), {
          maxLength: 4,
        }),
        async (damage) => {
          // Each (n, at, value): the n-th answer gets byte `at` replaced (value −1: removed).
          let answers = 0;
          const link = memoryLink({
            tamper: (_command, answer) => {
              const n = answers++;
              const bytes = [...answer];
              for (const [which, at, value] of damage)
                if (which === n && at < bytes.length) {
                  if (value === -1) bytes.splice(at, 1);
                  else bytes[at] = value;
                }
              return Uint8Array.from(bytes);
            },
          });
          try {
            await programOverLink(link, request(), FAST);
            assert.deepEqual(link.fake.flash, flashWith(IMAGE));
          } catch (error) {
            assert.ok(error instanceof GatewayError, String(error));
          }
          assert.ok(link.operations <= 2 * (10 + 2 + 4 * 4 + 1), `${link.operations} link operations`);
          assert.equal(link.closed, true);
        },
      ),
      { numRuns: 150 },
    );
  });
});
