// avrdude's output read from real avrdude 7.1 runs (test/fixtures/avrdude/, captured against
// the optiboot model over a pty: test/integration/firmware-programmers.test.ts checks that
// live runs still read the same), in whatever pieces it arrives.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ErrorCodes } from '../../../src/errors.ts';
import { AvrdudeOutput, avrdudeFailure, MAX_LINE_CHARS } from '../../../src/firmware/avrdude-output.ts';
import { MCUS } from '../../../src/firmware/mcu.ts';
import type { FlashProgress } from '../../../src/firmware/programmer.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'avrdude');
const PTY_WARNING = 'avrdude ser_set_dtr_rts() OS error: ioctl("TIOCMGET"): Inappropriate ioctl for device';

function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'latin1');
}

/** Reads `text` cut into pieces at `cuts` (offsets), as a pipe may deliver it. */
function read(
  text: string,
  imageBytes: number,
  cuts: number[] = [],
): { output: AvrdudeOutput; progress: FlashProgress[] } {
  const progress: FlashProgress[] = [];
  const output = new AvrdudeOutput(imageBytes, (p) => progress.push(p));
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    output.push(text.slice(from, cut));
    from = Math.max(from, cut);
  }
  output.push(text.slice(from));
  output.end();
  return { output, progress };
}

function failure(name: string) {
  const { output } = read(fixture(name), 5402);
  return avrdudeFailure(output.facts, 'exited with code 1', MCUS.atmega328p, 10);
}

void describe('AvrdudeOutput', () => {
  void it('reads a successful run: signature, bytes written and verified, the pty warning kept aside', () => {
    const { output, progress } = read(fixture('7.1-written-verified.txt'), 10240);
    assert.deepEqual(output.facts, {
      signature: [0x1e, 0x95, 0x0f],
      signatureRefused: false,
      noSync: false,
      initialized: true,
      bytesWritten: 10240,
      bytesVerified: 10240,
      modemLinesProblem: PTY_WARNING,
      problems: [],
    });
    assert.deepEqual(progress, [
      { stage: 'sync' },
      { stage: 'signature' },
      { stage: 'writing', bytes: 10240, of: 10240 },
      { stage: 'verifying', bytes: 10240, of: 10240 },
    ]);
  });

  void it('reads a run with -V: written, not verified', () => {
    const { output } = read(fixture('7.1-written-no-verify.txt'), 10240);
    assert.equal(output.facts.bytesWritten, 10240);
    assert.equal(output.facts.bytesVerified, undefined);
  });

  void it("follows a pipe's bar as it grows one # at a time, even cut mid-line", () => {
    const text = fixture('7.1-written-verified.txt');
    const bar = text.indexOf('Writing | ');
    // Cut after the header, then after every # of the writing bar.
    const cuts = [bar + 5, ...Array.from({ length: 51 }, (_, i) => bar + 10 + i)];
    const { progress, output } = read(text, 10240, cuts);
    const writing = progress.filter((p) => p.stage === 'writing').map((p) => p.bytes);
    assert.deepEqual(
      writing,
      Array.from({ length: 51 }, (_, i) => Math.round((10240 * i * 2) / 100)),
    );
    assert.equal(output.facts.bytesVerified, 10240);
  });

  void it("follows a terminal's \\r-redrawn bars for writing and verifying", () => {
    const { output, progress } = read(fixture('7.1-terminal-progress.txt'), 10240);
    const stages = (stage: string): number[] =>
      progress.filter((p) => p.stage === stage).map((p) => p.bytes ?? -1);
    for (const stage of ['writing', 'verifying']) {
      const bytes = stages(stage);
      assert.ok(bytes.length > 10, `${stage}: ${bytes.length} reports`);
      assert.equal(bytes[0], 0);
      assert.equal(bytes.at(-1), 10240);
      assert.ok(
        bytes.every((b, i) => i === 0 || b > (bytes[i - 1] ?? 0)),
        `${stage} not increasing: ${bytes.join()}`,
      );
    }
    assert.equal(output.facts.bytesVerified, 10240);
  });

  void it('reads the same facts however the output is cut', () => {
    const names = [
      '7.1-written-verified.txt',
      '7.1-terminal-progress.txt',
      '7.1-verify-mismatch.txt',
      '7.1-no-sync.txt',
    ];
    for (const name of names) {
      const text = fixture(name);
      const whole = read(text, 10240).output.facts;
      fc.assert(
        fc.property(fc.array(fc.nat({ max: text.length }), { maxLength: 30 }), (cuts) => {
          assert.deepEqual(read(text, 10240, cuts).output.facts, whole);
        }),
        { numRuns: 100 },
      );
    }
  });

  void it('keeps a line without an end bounded', () => {
    const output = new AvrdudeOutput(1);
    output.push('x'.repeat(10 * MAX_LINE_CHARS));
    output.push(' error: the end');
    output.end();
    assert.deepEqual(output.facts.problems, []); // the line was cut before its "error"
    output.push(`${'y'.repeat(10)} error: short\n`);
    assert.deepEqual(output.facts.problems, [`${'y'.repeat(10)} error: short`]);
  });

  void it('reads 6.3-style messages too (first mismatch at byte, then the two bytes)', () => {
    const output = new AvrdudeOutput(100);
    output.push('avrdude: Device signature = 0x1e950f\navrdude: verifying ...\n');
    output.push('avrdude: verification error, first mismatch at byte 0x0042\n         0x21 != 0x20\n');
    output.push('avrdude: verification error; content mismatch\n');
    output.end();
    assert.deepEqual(output.facts.mismatch, { address: 0x42, device: 0x21, image: 0x20 });
  });
});

void describe('avrdudeFailure', () => {
  void it("a silent board: FIRMWARE_NO_SYNC with avrdude's last words", () => {
    const error = failure('7.1-no-sync.txt');
    assert.equal(error.code, ErrorCodes.FIRMWARE_NO_SYNC);
    assert.equal(
      error.message,
      "the board did not answer the bootloader's sync after 10 tries: is its bootloader there, is this the right port and baud rate? (avrdude: stk500_getsync() warning: attempt 10 of 10: not in sync: resp=0x00 / main() error: unable to open programmer arduino on port /tmp/prog-scratch/g-silent)",
    );
  });

  void it('garbage instead of sync: FIRMWARE_NO_SYNC', () => {
    const error = failure('7.1-garbage.txt');
    assert.equal(error.code, ErrorCodes.FIRMWARE_NO_SYNC);
    assert.match(error.message, /cannot communicate with device: resp=0x13/);
  });

  void it('another MCU: FIRMWARE_WRONG_BOARD in the words of mcu.ts', () => {
    const error = failure('7.1-wrong-signature.txt');
    assert.equal(error.code, ErrorCodes.FIRMWARE_WRONG_BOARD);
    assert.equal(
      error.message,
      'the board answered 1E 95 16 (atmega328pb), the profile says atmega328p (1E 95 0F)',
    );
  });

  void it('a byte read back wrong: FIRMWARE_VERIFY_FAILED with the first address and both bytes', () => {
    const error = failure('7.1-verify-mismatch.txt');
    assert.equal(error.code, ErrorCodes.FIRMWARE_VERIFY_FAILED);
    assert.equal(
      error.message,
      'flash at 0x0123 reads 0x21, the image has 0x20: the board holds a broken image; flash it again',
    );
  });

  void it("anything else: FIRMWARE_FLASH_FAILED with avrdude's last problem lines", () => {
    const error = failure('7.1-no-port.txt');
    assert.equal(error.code, ErrorCodes.FIRMWARE_FLASH_FAILED);
    assert.equal(
      error.message,
      'avrdude exited with code 1: avrdude: ser_open() OS error: cannot open port /tmp/prog-scratch/nonexistent: No such file or directory / main() error: unable to open programmer arduino on port /tmp/prog-scratch/nonexistent',
    );
  });
});
