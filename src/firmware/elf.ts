// A strict loader for the ELF files avr-gcc links (what the Arduino IDE builds before
// avr-objcopy turns them into HEX): the same image the HEX of that ELF holds, read straight
// from the ELF. Format: the System V ABI's "Executable and Linking Format (ELF)" (TIS ELF
// 1.2): the file header and the program headers only; sections and symbols are not needed.
//
// What goes to flash is what `avr-objcopy -O ihex -R .eeprom` writes: the bytes of every
// loadable segment (PT_LOAD with p_filesz > 0) at its physical address (p_paddr, the load
// address: .data is stored in flash after .text and copied to SRAM at start-up). avr-gcc's
// linker script maps SRAM at 0x800000 and EEPROM at 0x810000 (and fuses, lock bits and the
// signature above); those segments are not flash and are skipped. Anything else unusual is
// refused as TTY2MQTT_FIRMWARE_INVALID saying what, never repaired.
import { ErrorCodes, GatewayError } from '../errors.ts';
import type { HexImage, HexSegment } from './intel-hex.ts';
import { hexValue } from './hex-text.ts';

/** Far above an AVR's ELF with debug information (~30 KiB without, a few MiB with). */
export const MAX_ELF_FILE_BYTES = 8 * 1024 * 1024;
/** avr-gcc writes three or four; a file with hundreds is no firmware. */
const MAX_PROGRAM_HEADERS = 64;
/** Physical addresses from here on are SRAM, EEPROM, fuses…: not flash (avr-gcc's avr*.x). */
export const AVR_DATA_SPACE = 0x800000;

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46]; // 0x7F 'E' 'L' 'F'
const ELFCLASS32 = 1;
const ELFDATA2LSB = 1;
const EV_CURRENT = 1;
const ET_EXEC = 2;
const EM_AVR = 83;
const PT_LOAD = 1;
const HEADER_BYTES = 52; // sizeof(Elf32_Ehdr)
const PROGRAM_HEADER_BYTES = 32; // sizeof(Elf32_Phdr)

function refuse(message: string): GatewayError {
  return new GatewayError(ErrorCodes.FIRMWARE_INVALID, message);
}

/** True when the bytes start like an ELF file (0x7F 'E' 'L' 'F'). */
export function looksLikeElf(bytes: Uint8Array): boolean {
  return ELF_MAGIC.every((b, i) => bytes[i] === b);
}

interface Loadable {
  index: number;
  address: number;
  bytes: Uint8Array;
}

/**
 * The flash image of an AVR ELF executable. Throws GatewayError TTY2MQTT_FIRMWARE_INVALID for
 * anything but a whole little-endian ELF32 for AVR: a wrong header field, program headers or
 * segment data outside the file, a segment larger in the file than in memory, flash segments
 * overlapping, or no flash data at all.
 */
export function parseElf(input: Uint8Array): HexImage {
  if (input.length > MAX_ELF_FILE_BYTES)
    throw refuse(`${input.length} bytes, more than a firmware file may be (${MAX_ELF_FILE_BYTES})`);
  if (input.length < HEADER_BYTES)
    throw refuse(`${input.length} bytes, shorter than an ELF header (${HEADER_BYTES})`);
  if (!looksLikeElf(input)) throw refuse('does not start with the ELF magic number 7F 45 4C 46');
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const u16 = (at: number): number => view.getUint16(at, true);
  const u32 = (at: number): number => view.getUint32(at, true);
  if (input[4] !== ELFCLASS32) throw refuse(`ELF class ${input[4]}, not 1 (32-bit): not an AVR file`);
  if (input[5] !== ELFDATA2LSB)
    throw refuse(`ELF data encoding ${input[5]}, not 1 (little endian): not an AVR file`);
  if (input[6] !== EV_CURRENT) throw refuse(`ELF identification version ${input[6]}, not 1`);
  const machine = u16(18);
  if (machine !== EM_AVR)
    throw refuse(`ELF machine ${machine}, not ${EM_AVR} (AVR): built for another processor`);
  const type = u16(16);
  if (type !== ET_EXEC)
    throw refuse(`ELF type ${type}, not ${ET_EXEC} (an executable): an object file is not linked yet`);
  if (u32(20) !== EV_CURRENT) throw refuse(`ELF version ${u32(20)}, not 1`);
  const phoff = u32(28);
  const phentsize = u16(42);
  const phnum = u16(44);
  if (phnum === 0) throw refuse('no program headers: nothing to load');
  if (phnum > MAX_PROGRAM_HEADERS)
    throw refuse(`${phnum} program headers, more than an AVR executable has (${MAX_PROGRAM_HEADERS})`);
  if (phentsize !== PROGRAM_HEADER_BYTES)
    throw refuse(`program headers of ${phentsize} bytes, not ${PROGRAM_HEADER_BYTES}`);
  if (phoff < HEADER_BYTES || phoff + phnum * phentsize > input.length)
    throw refuse(
      `the program headers (${phnum} at offset ${phoff}) lie outside the file's ${input.length} bytes`,
    );

  const loadables: Loadable[] = [];
  for (let index = 0; index < phnum; index++) {
    const at = phoff + index * phentsize;
    if (u32(at) !== PT_LOAD) continue;
    const offset = u32(at + 4);
    const paddr = u32(at + 12);
    const filesz = u32(at + 16);
    const memsz = u32(at + 20);
    const name = `program header ${index}`;
    if (filesz > memsz)
      throw refuse(`${name}: ${filesz} bytes in the file, more than its ${memsz} in memory`);
    if (filesz === 0) continue; // .bss: zeroed at start-up, nothing to store
    if (offset + filesz > input.length)
      throw refuse(
        `${name}: its ${filesz} bytes at offset ${offset} run past the end of the file (${input.length} bytes)`,
      );
    if (paddr >= AVR_DATA_SPACE) continue; // SRAM, EEPROM, fuses: not flash (-R .eeprom)
    if (paddr + filesz > AVR_DATA_SPACE)
      throw refuse(
        `${name}: ${hexValue(paddr)}–${hexValue(paddr + filesz - 1)} runs from flash into the data space at ${hexValue(AVR_DATA_SPACE)}`,
      );
    // A copy, not a view: the image must not change with (or keep alive) the file's buffer.
    loadables.push({
      index,
      address: paddr,
      bytes: Uint8Array.from(input.subarray(offset, offset + filesz)),
    });
  }
  if (loadables.length === 0) throw refuse('no loadable segment holds flash data');
  return imageOf(loadables);
}

/** Sorted, overlap-checked, touching segments merged: the shape parseIntelHex gives. */
function imageOf(loadables: Loadable[]): HexImage {
  loadables.sort((a, b) => a.address - b.address || a.index - b.index);
  const segments: HexSegment[] = [];
  let size = 0;
  let previous: Loadable | undefined;
  for (const l of loadables) {
    const last = segments[segments.length - 1];
    const lastEnd = last === undefined ? 0 : last.address + last.bytes.length;
    if (last !== undefined && previous !== undefined && l.address < lastEnd)
      throw refuse(
        `program header ${l.index} loads ${hexValue(l.address)}, which program header ${previous.index} already loads`,
      );
    if (last !== undefined && l.address === lastEnd) {
      const merged = new Uint8Array(last.bytes.length + l.bytes.length);
      merged.set(last.bytes);
      merged.set(l.bytes, last.bytes.length);
      segments[segments.length - 1] = { address: last.address, bytes: merged };
    } else segments.push({ address: l.address, bytes: l.bytes });
    size += l.bytes.length;
    previous = l;
  }
  const final = segments[segments.length - 1];
  return {
    segments,
    size,
    highestAddress: final === undefined ? undefined : final.address + final.bytes.length - 1,
  };
}
