// Reading a firmware file: Intel HEX or an AVR ELF, told apart by content (an ELF starts with
// 0x7F 'E' 'L' 'F'; a HEX file with ':'), not by the file name's extension. Its size is checked
// before a byte is read, so a wrong path (a disk image, /dev/zero) is refused at once instead
// of filling memory.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ErrorCodes, GatewayError, errorMessage } from '../errors.ts';
import { looksLikeElf, MAX_ELF_FILE_BYTES, parseElf } from './elf.ts';
import { MAX_HEX_FILE_BYTES, parseIntelHex } from './intel-hex.ts';
import type { HexImage } from './intel-hex.ts';

/** The larger of the two formats' bounds (an ELF may carry debug information). */
export const MAX_FIRMWARE_FILE_BYTES = Math.max(MAX_HEX_FILE_BYTES, MAX_ELF_FILE_BYTES);

export type FirmwareFormat = 'hex' | 'elf';

export interface FirmwareFile {
  format: FirmwareFormat;
  image: HexImage;
}

/** The image of a HEX or ELF file; GatewayError TTY2MQTT_FIRMWARE_INVALID for any refusal. */
export async function readFirmwareFile(path: string): Promise<FirmwareFile> {
  const bytes = await readFirmwareFileBytes(path);
  const format: FirmwareFormat = looksLikeElf(bytes) ? 'elf' : 'hex';
  try {
    return { format, image: format === 'elf' ? parseElf(bytes) : parseIntelHex(bytes) };
  } catch (error) {
    if (error instanceof GatewayError)
      throw new GatewayError(ErrorCodes.FIRMWARE_INVALID, `${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** The image of a firmware file's bytes (a request's), HEX or ELF by content. */
export function readFirmwareBytes(bytes: Uint8Array): HexImage {
  return looksLikeElf(bytes) ? parseElf(bytes) : parseIntelHex(bytes);
}

/**
 * A firmware file's bytes, at most MAX_FIRMWARE_FILE_BYTES, from a regular file only;
 * GatewayError TTY2MQTT_FIRMWARE_INVALID naming the path otherwise.
 */
export async function readFirmwareFileBytes(path: string): Promise<Buffer> {
  const refuse = (message: string, cause?: unknown): GatewayError =>
    new GatewayError(ErrorCodes.FIRMWARE_INVALID, `${path}: ${message}`, { cause });
  let handle;
  try {
    // Non-blocking: opening a FIFO by mistake returns at once (and is refused below).
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw refuse(`cannot be opened: ${errorMessage(error)}`, error);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw refuse('is not a regular file');
    if (stat.size > MAX_FIRMWARE_FILE_BYTES)
      throw refuse(`${stat.size} bytes, more than a firmware file may be (${MAX_FIRMWARE_FILE_BYTES})`);
    // One byte more than stat() said: a file that grew since is refused, not cut short.
    const buffer = Buffer.alloc(stat.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) throw refuse('grew while it was being read');
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}
