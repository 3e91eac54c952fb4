// Reading a firmware file: its size is checked before a byte is read, so a wrong path (a disk
// image, /dev/zero) is refused at once instead of filling memory.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ErrorCodes, GatewayError, errorMessage } from '../errors.ts';
import { MAX_HEX_FILE_BYTES, parseIntelHex } from './intel-hex.ts';
import type { HexImage } from './intel-hex.ts';

/** The image of an Intel HEX file; GatewayError TTY2MQTT_FIRMWARE_INVALID for any refusal. */
export async function readHexFile(path: string): Promise<HexImage> {
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
    if (stat.size > MAX_HEX_FILE_BYTES)
      throw refuse(`${stat.size} bytes, more than a firmware file may be (${MAX_HEX_FILE_BYTES})`);
    // One byte more than allowed: a file that grew since stat() is refused, not cut short.
    const buffer = Buffer.alloc(MAX_HEX_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) break;
    }
    try {
      return parseIntelHex(buffer.subarray(0, length));
    } catch (error) {
      if (error instanceof GatewayError) throw refuse(error.message, error);
      throw error;
    }
  } finally {
    await handle.close();
  }
}
