// app/firmware-flash.ts with a fake programmer and a fake port: the order that keeps the
// port's guarantees (image checked before the port is touched; the port released whatever
// happens), one flash at a time, `flash.allow`, and the banner read after the reopen.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { FirmwareFlasher } from '../../../src/app/firmware-flash.ts';
import type { FlashTarget } from '../../../src/app/firmware-flash.ts';
import { ErrorCodes, GatewayError, isGatewayError } from '../../../src/errors.ts';
import type { McuName } from '../../../src/firmware/mcu.ts';
import type { Programmer, ProgramRequest } from '../../../src/firmware/programmer.ts';

/** `:LLAAAA00…CC` records of `bytes` at 0, then EOF. */
function hexOf(bytes: number[]): Buffer {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const chunk = bytes.slice(at, at + 16);
    const record = [chunk.length, (at >> 8) & 0xff, at & 0xff, 0, ...chunk];
    const sum = (0x100 - (record.reduce((a, b) => a + b, 0) & 0xff)) & 0xff;
    lines.push(`:${[...record, sum].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('')}`);
  }
  lines.push(':00000001FF');
  return Buffer.from(`${lines.join('\n')}\n`);
}

const IMAGE = hexOf(Array.from({ length: 300 }, (_, i) => i & 0xff));

function fakePort(mcu: McuName | null = 'atmega328p') {
  const events: string[] = [];
  const listeners = new Set<(chunk: Buffer) => void>();
  const target: FlashTarget = {
    name: 'shed',
    path: '/dev/ttyACM9',
    mcu: mcu ?? undefined,
    device: 'climate',
    hold: (reason) => {
      events.push(`hold: ${reason}`);
      return Promise.resolve(() => {
        events.push('release');
        // The new sketch greets after the reopen.
        setTimeout(() => listeners.forEach((l) => l(Buffer.from('\u0000# climate v2 booting\r\nt=1\n'))), 5);
      });
    },
    observe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { target, events };
}

function programmer(
  events: string[],
  behave: (r: ProgramRequest) => Promise<void> = () => Promise.resolve(),
): Programmer {
  return {
    name: 'fake',
    async program(request) {
      events.push(
        `program ${request.path} at ${request.baudRate}, ${request.image.size} bytes, verify ${request.verify}`,
      );
      request.onProgress?.({ stage: 'writing', bytes: 128, of: 300 });
      await behave(request);
      return {
        bytesWritten: request.image.size,
        verified: request.verify,
        signature: '1E 95 0F',
        programmer: 'fake 1.0',
        ms: 1234,
      };
    },
  };
}

const log = pino({ level: 'silent' });

function flasherFor(
  target: FlashTarget,
  programmer: Programmer,
  options: { allow?: boolean; bannerWaitMs?: number } = {},
): FirmwareFlasher {
  return new FirmwareFlasher({
    allow: options.allow ?? true,
    targets: () => [target],
    programmer: () => Promise.resolve(programmer),
    log,
    ...(options.bannerWaitMs === undefined ? {} : { bannerWaitMs: options.bannerWaitMs }),
  });
}

void describe('FirmwareFlasher', () => {
  void it('holds the port, programs at the bootloader baud, releases it and reports the banner', async () => {
    const { target, events } = fakePort();
    const flasher = flasherFor(target, programmer(events));
    const progress: unknown[] = [];
    const outcome = await flasher.flash({ port: 'shed', image: IMAGE, verify: true }, (p) =>
      progress.push(p),
    );
    assert.deepEqual(events, [
      'hold: flashing firmware',
      'program /dev/ttyACM9 at 115200, 300 bytes, verify true',
      'release',
    ]);
    assert.deepEqual(progress, [{ stage: 'writing', bytes: 128, of: 300 }]);
    assert.equal(outcome.banner, '# climate v2 booting'); // the stray NUL of the reset dropped
    assert.equal(outcome.bytes, 300);
    assert.equal(outcome.verified, true);
    assert.equal(outcome.programmer, 'fake 1.0');
    assert.equal(flasher.busy(), null);
  });

  void it('refuses when flash.allow is false, touching nothing', async () => {
    const { target, events } = fakePort();
    const flasher = flasherFor(target, programmer(events), { allow: false });
    await assert.rejects(
      flasher.flash({ port: 'shed', image: IMAGE, verify: true }),
      (e) => isGatewayError(e, ErrorCodes.FIRMWARE_NOT_ALLOWED) && /flash\.allow: true/.test(e.message),
    );
    assert.deepEqual(events, []);
  });

  void it('refuses a damaged image and one too large for the MCU before the port is held', async () => {
    const { target, events } = fakePort();
    const flasher = flasherFor(target, programmer(events));
    const damaged = Buffer.from(IMAGE.toString().replace(':10000000', ':10000001'));
    await assert.rejects(flasher.flash({ port: 'shed', image: damaged, verify: true }), (e) =>
      isGatewayError(e, ErrorCodes.FIRMWARE_INVALID),
    );
    const big = hexOf(Array.from({ length: 32 * 1024 - 256 }, () => 0));
    await assert.rejects(
      flasher.flash({ port: 'shed', image: big, verify: true }),
      /past the application area/,
    );
    assert.deepEqual(events, []);
  });

  void it('refuses a port whose profile states no mcu, and an unknown port', async () => {
    const { target, events } = fakePort(null);
    const flasher = flasherFor(target, programmer(events));
    await assert.rejects(flasher.flash({ port: 'shed', image: IMAGE, verify: true }), /states no `mcu:`/);
    await assert.rejects(flasher.flash({ port: 'barn', image: IMAGE, verify: true }), /no port named "barn"/);
    assert.deepEqual(events, []);
  });

  void it('a failed programming releases the port and passes the error on', async () => {
    const { target, events } = fakePort();
    const failing = programmer(events, () =>
      Promise.reject(new GatewayError(ErrorCodes.FIRMWARE_NO_SYNC, 'the board did not answer')),
    );
    const flasher = flasherFor(target, failing);
    await assert.rejects(flasher.flash({ port: 'shed', image: IMAGE, verify: false }), (e) =>
      isGatewayError(e, ErrorCodes.FIRMWARE_NO_SYNC),
    );
    assert.deepEqual(events.at(-1), 'release');
    assert.equal(flasher.busy(), null);
  });

  void it('one flash at a time: a second request while one runs is refused', async () => {
    const { target, events } = fakePort();
    let finish: () => void = () => undefined;
    const slow = programmer(events, () => new Promise<void>((resolve) => (finish = resolve)));
    const flasher = flasherFor(target, slow, { bannerWaitMs: 50 });
    const first = flasher.flash({ port: 'shed', image: IMAGE, verify: true });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(flasher.busy(), 'shed');
    await assert.rejects(
      flasher.flash({ port: 'shed', image: IMAGE, verify: true }),
      /port shed is being flashed; one flash at a time/,
    );
    finish();
    await first;
    assert.equal(events.filter((e) => e.startsWith('hold')).length, 1);
  });

  void it('no banner within the wait gives null, not an error', async () => {
    const events: string[] = [];
    const target: FlashTarget = { ...fakePort().target, hold: () => Promise.resolve(() => undefined) };
    const flasher = flasherFor(target, programmer(events), { bannerWaitMs: 30 });
    const outcome = await flasher.flash({ port: 'shed', image: IMAGE, verify: true });
    assert.equal(outcome.banner, null);
  });
});
