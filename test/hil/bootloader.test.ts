// Firmware in the loop, the bootloader: an emulated Uno running optiboot (hil/harness.c
// --bootloader, optiboot built by hil/build-bootloader.sh) is flashed through its pty by
// avrdude with the Arduino IDE's command line, as a real Uno is over USB. No gateway: this
// proves the emulated board is a faithful target for firmware updates (docs/firmware.md).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDevice } from '../helpers/device.ts';
import { arduinoCoreDir, buildFirmware, hexFromElf, startEmulatedBoard } from '../helpers/hil.ts';
import type { EmulatedBoard } from '../helpers/hil.ts';

const BANNER = '# climate booting (fake sensors)\n';
const VARIANT = { READ_INTERVAL_MS: 2000, FIRMWARE_VERSION: '2.1' };
const VARIANT_BANNER = '# climate 2.1 booting (fake sensors)\n';
const READING = /^temp=-?\d+\.\d,hum=\d+\.\d\*[0-9A-F]{2}$/;
const WATCHDOG = 'harness: watchdog reset\n';
/** avrdude's ten sync attempts against a board that does not answer take ~50 s. */
const AVRDUDE_TIMEOUT_MS = 150_000;
const LINE_TIMEOUT_MS = 20_000;

interface AvrdudeRun {
  code: number | string;
  output: string;
  ms: number;
}

/** The Arduino IDE's upload (platform.txt tools.avrdude.upload.pattern, less -C and -v). */
function uploadWithAvrdude(port: string, hex: string): Promise<AvrdudeRun> {
  const args = [
    '-c',
    'arduino',
    '-p',
    'atmega328p',
    '-P',
    port,
    '-b',
    '115200',
    '-D',
    '-U',
    `flash:w:${hex}:i`,
  ];
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      'avrdude',
      args,
      { timeout: AVRDUDE_TIMEOUT_MS, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        const code =
          error === null ? 0 : typeof error.code === 'number' ? error.code : (error.signal ?? 'error');
        resolve({ code, output: stdout + stderr, ms: performance.now() - started });
      },
    );
  });
}

/** Flash bytes of an ELF as avr-size counts them: text + data. */
function flashBytes(elf: string): number {
  const [text, data] =
    execFileSync('avr-size', [elf], { encoding: 'utf8' }).split('\n')[1]?.trim().split(/\s+/) ?? [];
  return Number(text) + Number(data);
}

/** Opens the board's pty (an open resets it with resetOnOpen) and waits for `lines` whole lines. */
async function readLines(board: EmulatedBoard, lines: number): Promise<{ lines: string[]; at: number[] }> {
  const device = await openDevice(board.path);
  const at: number[] = [];
  try {
    for (let n = 1; n <= lines; n++) {
      await device.waitForReceived(new RegExp(`^([^\\n]*\\n){${n}}`), LINE_TIMEOUT_MS);
      at.push(performance.now());
    }
    return { lines: device.received().split('\n').slice(0, lines), at };
  } finally {
    await device.close();
  }
}

async function stopAll(boards: EmulatedBoard[]): Promise<void> {
  for (const board of boards.splice(0)) await board.stop();
}

void describe('optiboot on the emulated Uno, flashed by avrdude', () => {
  const boards: EmulatedBoard[] = [];
  let elf = '';
  let variantHex = '';
  let variantBytes = 0;

  before(async () => {
    elf = await buildFirmware('climate', { fake: true });
    const variantElf = await buildFirmware('climate', { fake: true, defines: VARIANT });
    variantHex = hexFromElf(variantElf);
    variantBytes = flashBytes(variantElf);
  });

  after(() => stopAll(boards));

  void it(
    'starts the sketch at once on power-on, takes an upload after a reset on open and runs it',
    { timeout: 240_000 },
    async (t) => {
      const board = await startEmulatedBoard(elf, { bootloader: true, resetOnOpen: true });
      boards.push(board);

      // (a) The first open is the power-on (MCUSR = PORF): optiboot starts the sketch without
      // waiting, so no watchdog reset comes before the banner.
      const first = await readLines(board, 1);
      assert.deepEqual(first.lines, [BANNER.trimEnd()]);
      assert.ok(!board.output().includes(WATCHDOG), `optiboot waited on power-on:\n${board.output()}`);

      // (b) avrdude's open resets the board (EXTRF): optiboot answers STK500v1, writes, reads
      // back, and leaves through a watchdog reset.
      const upload = await uploadWithAvrdude(board.path, variantHex);
      t.diagnostic(`avrdude, ${variantBytes} bytes (avr-size text + data): ${Math.round(upload.ms)} ms`);
      for (const line of upload.output.split('\n')) if (line.trim() !== '') t.diagnostic(line);
      assert.equal(upload.code, 0, upload.output);
      assert.match(upload.output, /device signature = 0x1e950f/);
      assert.match(upload.output, new RegExp(`\\b${variantBytes} bytes of flash written\\b`));
      assert.match(upload.output, new RegExp(`\\b${variantBytes} bytes of flash verified\\b`));
      // The one watchdog reset so far: optiboot leaving for the new sketch after avrdude's 'Q'.
      await board.waitForOutput(/reopened, atmega328p reset\n[^]*harness: watchdog reset\n/);

      // The new sketch, after another reset (the open), from flash that SPM wrote: its banner,
      // then a reading every 2 s instead of every 10 s (bounds 1 s and 8 s tell the two apart
      // even on a loaded host; the emulator is paced to real time, never ahead of it by 1 s).
      const next = await readLines(board, 4);
      assert.equal(next.lines[0], VARIANT_BANNER.trimEnd());
      for (const line of next.lines.slice(1)) assert.match(line, READING);
      const gaps = [next.at[2]! - next.at[1]!, next.at[3]! - next.at[2]!];
      t.diagnostic(`gaps between readings: ${gaps.map((ms) => Math.round(ms)).join(', ')} ms`);
      for (const gap of gaps) assert.ok(gap > 1_000 && gap < 8_000, `readings ${Math.round(gap)} ms apart`);
      await stopAll(boards);
    },
  );

  void it(
    'a board without the bootloader: avrdude finds nobody in sync, the sketch runs on',
    { timeout: 240_000 },
    async (t) => {
      const board = await startEmulatedBoard(elf, { resetOnOpen: true });
      boards.push(board);
      assert.deepEqual((await readLines(board, 1)).lines, [BANNER.trimEnd()]);

      const upload = await uploadWithAvrdude(board.path, variantHex);
      t.diagnostic(`avrdude gave up after ${Math.round(upload.ms)} ms`);
      for (const line of upload.output.split('\n')) if (line.trim() !== '') t.diagnostic(line);
      assert.equal(upload.code, 1, upload.output);
      assert.match(upload.output, /avrdude warning: attempt 1 of 10: not in sync: resp=0x[0-9a-f]{2}\n/);
      assert.match(upload.output, /avrdude warning: attempt 10 of 10: not in sync/);
      assert.match(upload.output, /avrdude error: unable to open programmer arduino on port /);
      assert.doesNotMatch(upload.output, /bytes of flash written/);

      // The open after it resets the board into the sketch it had.
      assert.deepEqual((await readLines(board, 1)).lines, [BANNER.trimEnd()]);
      await stopAll(boards);
    },
  );
});

void describe("the harness and Debian's optiboot_atmega328.hex", () => {
  void it('refuses it: its code runs past the end of flash (docs/decisions/0025)', async () => {
    const core = arduinoCoreDir();
    assert.ok(core !== undefined, 'arduino-core-avr');
    const debianHex = join(core, 'bootloaders', 'optiboot', 'optiboot_atmega328.hex');
    const elf = await buildFirmware('climate', { fake: true });
    await assert.rejects(
      startEmulatedBoard(elf, { bootloader: debianHex }),
      /the harness exited \(1\) before printing its pty\n[^]*optiboot_atmega328\.hex line 33: data outside the boot section 0x7E00-0x7FFF\n/,
    );
  });
});
