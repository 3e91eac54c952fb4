// The body of `<base>/gateway/request/flash` (docs/firmware.md):
//   {"port": NAME, "image": BASE64, "verify": true}   the firmware file's bytes, base64
//   {"port": NAME, "path": "/abs/file.hex"}           a file the service can read
// plus the usual `id` and `response_topic`. `verify` defaults to true (the Arduino IDE's
// "verify code after upload" and avrdude both verify unless told not to).
//
// Bounds: the whole request is at most MAX_FLASH_REQUEST_BYTES and a file at most
// MAX_HEX_FILE_BYTES (the largest image any supported chip could hold, as HEX); a path must be
// absolute and a regular file, and is read only up to that bound. Errors never quote the
// file's content.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { errorMessage } from '../errors.ts';
import { MAX_HEX_FILE_BYTES } from '../firmware/intel-hex.ts';
import type { FlashRequest } from '../app/firmware-flash.ts';

/** A 1 MiB file as base64 (4/3) with room for the JSON around it. */
export const MAX_FLASH_REQUEST_BYTES = Math.ceil((MAX_HEX_FILE_BYTES * 4) / 3) + 4096;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export type ParsedFlashRequest = { ok: true; request: FlashRequest } | { ok: false; error: string };

export const FLASH_USAGE = 'flash needs {"port": "<name>", "image": "<base64 of the .hex or .elf>"} or {"port": "<name>", "path": "<absolute path>"}';

export async function parseFlashRequest(body: Record<string, unknown> | null): Promise<ParsedFlashRequest> {
  const port = body?.['port'];
  const image = body?.['image'];
  const path = body?.['path'];
  const verify = body?.['verify'] ?? true;
  if (body === null || typeof port !== 'string' || (image === undefined) === (path === undefined))
    return { ok: false, error: FLASH_USAGE };
  if (typeof verify !== 'boolean') return { ok: false, error: 'flash: "verify" must be true or false' };
  if (image !== undefined) {
    if (typeof image !== 'string' || !BASE64.test(image) || image.length % 4 !== 0)
      return { ok: false, error: 'flash: "image" must be the file\'s bytes in base64' };
    const bytes = Buffer.from(image, 'base64');
    if (bytes.length > MAX_HEX_FILE_BYTES)
      return { ok: false, error: `flash: the image is ${bytes.length} bytes, over the ${MAX_HEX_FILE_BYTES}-byte limit` };
    return { ok: true, request: { port, image: bytes, verify } };
  }
  if (typeof path !== 'string' || !isAbsolute(path) || path.includes('\0'))
    return { ok: false, error: 'flash: "path" must be an absolute path' };
  const read = await readBounded(path);
  return read.ok ? { ok: true, request: { port, image: read.bytes, verify } } : read;
}

async function readBounded(path: string): Promise<{ ok: true; bytes: Buffer } | { ok: false; error: string }> {
  const shown = JSON.stringify(path.slice(0, 200));
  try {
    // Non-blocking: opening a FIFO or a device must not hang the request.
    const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const stat = await file.stat();
      if (!stat.isFile()) return { ok: false, error: `flash: ${shown} is not a regular file` };
      if (stat.size > MAX_HEX_FILE_BYTES)
        return {
          ok: false,
          error: `flash: ${shown} is ${stat.size} bytes, over the ${MAX_HEX_FILE_BYTES}-byte limit`,
        };
      const buffer = Buffer.alloc(MAX_HEX_FILE_BYTES + 1);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
      if (bytesRead > MAX_HEX_FILE_BYTES)
        return { ok: false, error: `flash: ${shown} grew over the ${MAX_HEX_FILE_BYTES}-byte limit` };
      return { ok: true, bytes: buffer.subarray(0, bytesRead) };
    } finally {
      await file.close();
    }
  } catch (error) {
    return { ok: false, error: `flash: cannot read ${shown}: ${errorMessage(error)}` };
  }
}
