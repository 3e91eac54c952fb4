// Firmware images (docs/firmware.md) against real toolchain output: every reference sketch,
// compiled for the Uno by hil/build-firmware.sh and turned into Intel HEX by avr-objcopy the
// way the Arduino IDE does, is read by the strict parser and fits the atmega328p's
// application area; the bootloader images of the Arduino AVR core are read (or refused) as
// GatewayErrors only, and a bootloader is never taken for an application image.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCodes, isGatewayError } from '../../src/errors.ts';
import { parseElf } from '../../src/firmware/elf.ts';
import { parseIntelHex } from '../../src/firmware/intel-hex.ts';
import { checkImage, MCUS } from '../../src/firmware/mcu.ts';
import { REPO_ROOT } from '../helpers/gateway-process.ts';
import { arduinoCoreDir, buildFirmware, ensureHilTools, hexFromElf } from '../helpers/hil.ts';
import { refusalOf } from '../helpers/refusal.ts';

const SKETCHES = readdirSync(join(REPO_ROOT, 'devices'));

async function bootloaders(): Promise<string> {
  await ensureHilTools(); // names the apt packages when the Arduino core is missing
  const core = arduinoCoreDir();
  assert.ok(core !== undefined);
  return join(core, 'bootloaders');
}

function hexFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return hexFiles(path);
    return name.endsWith('.hex') ? [path] : [];
  });
}

function refusal(run: () => void): string {
  return refusalOf(run, ErrorCodes.FIRMWARE_INVALID);
}

void describe('firmware images from the AVR toolchain', () => {
  for (const id of SKETCHES)
    void it(`devices/${id}/${id}.ino as HEX: read whole, as big as avr-size says, fits the Uno`, async () => {
      const elf = await buildFirmware(id);
      const image = parseIntelHex(readFileSync(hexFromElf(elf)));
      // avr-size's Berkeley columns: text data bss dec hex filename; flash holds text + data.
      const [text, data] =
        execFileSync('avr-size', [elf], { encoding: 'utf8' }).split('\n')[1]?.trim().split(/\s+/) ?? [];
      assert.equal(image.size, Number(text) + Number(data));
      assert.equal(image.segments[0]?.address, 0, 'the image starts at the reset vector');
      checkImage(image, MCUS.atmega328p);
    });

  for (const id of SKETCHES)
    void it(`devices/${id}/${id}.ino as ELF: the same image as avr-objcopy's HEX of it`, async () => {
      const elf = await buildFirmware(id);
      assert.deepEqual(parseElf(readFileSync(elf)), parseIntelHex(readFileSync(hexFromElf(elf))));
    });

  void it('reads every bootloader image of the Arduino AVR core or refuses it, never throwing else', async () => {
    const dir = await bootloaders();
    const files = hexFiles(dir);
    assert.ok(files.length >= 10, `only ${files.length} .hex files under ${dir}`);
    const read = files.filter((file) => {
      try {
        parseIntelHex(readFileSync(file));
        return true;
      } catch (error) {
        assert.ok(
          isGatewayError(error, ErrorCodes.FIRMWARE_INVALID),
          `${relative(dir, file)}: ${String(error)}`,
        );
        return false;
      }
    });
    assert.ok(read.length >= files.length / 2, `read only ${read.length} of ${files.length}`);
  });

  void it("refuses the 168's ATmegaBOOT as an application image: it lies in the bootloader area", async () => {
    const image = parseIntelHex(
      readFileSync(join(await bootloaders(), 'atmega', 'ATmegaBOOT_168_diecimila.hex')),
    );
    assert.equal(image.segments[0]?.address, 0x3800);
    assert.match(
      refusal(() => checkImage(image, MCUS.atmega168)),
      /^the image ends at 0x3[89A-F][0-9A-F]{2}, \d+ bytes past the application area: the atmega168's application area is 0x0000–0x37FF/,
    );
  });

  void it("refuses the Uno's optiboot, whole or as an application image", async () => {
    const file = join(await bootloaders(), 'optiboot', 'optiboot_atmega328.hex');
    let image;
    try {
      image = parseIntelHex(readFileSync(file));
    } catch (error) {
      // Debian's arduino-core-avr (1.8.7+dfsg) rebuilds optiboot with a newer avr-gcc: the code
      // runs to 0x8013, past the 512-byte boot section and the end of flash, and the version
      // word the Makefile puts at 0x7FFE lands on two bytes of code (docs/decisions/0025).
      // The parser refuses that.
      assert.ok(isGatewayError(error, ErrorCodes.FIRMWARE_INVALID), String(error));
      assert.match(error.message, /^line \d+: writes 0x7FFE–0x7FFF, already written by line \d+$/);
      return;
    }
    // Arduino's own build: 0x7E00–0x7FFF, the boot section, which no application may write.
    assert.equal(image.segments[0]?.address, 0x7e00);
    assert.equal(image.highestAddress, 0x7fff);
    assert.match(
      refusal(() => checkImage(image, MCUS.atmega328p)),
      /512 bytes past the application area/,
    );
  });
});
