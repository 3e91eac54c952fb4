// The body of `<base>/gateway/request/flash` (docs/firmware.md):
//   {"port": NAME, "image": BASE64, "verify": true}   the firmware file's bytes, base64
//   {"port": NAME, "path": "/abs/file.hex"}           a file the service can read
// plus the usual `id` and `response_topic`. `verify` defaults to true (the Arduino IDE's
// "verify code after upload" and avrdude both verify unless told not to).
//
// Bounds: the whole request is at most MAX_FLASH_REQUEST_BYTES, its image at most
// MAX_HEX_FILE_BYTES (far more than any supported chip's flash as HEX; `tty2mqtt flash` always
// sends HEX); a path must be absolute and a regular file, read without blocking and only up to
// image-file.ts's bound (an ELF with debug information may be large). Errors never quote the
// file's content.
import { isAbsolute } from 'node:path';
import { errorMessage } from '../errors.ts';
import { MAX_HEX_FILE_BYTES } from '../firmware/intel-hex.ts';

/** A 1 MiB file as base64 (4/3) with room for the JSON around it. */
export const MAX_FLASH_REQUEST_BYTES = Math.ceil((MAX_HEX_FILE_BYTES * 4) / 3) + 4096;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A flash asked for: the port, the firmware file's bytes (HEX or ELF), and whether to verify. */
export interface FlashRequest {
  port: string;
  /** The firmware file's bytes: Intel HEX or ELF, told apart by content. */
  image: Uint8Array;
  verify: boolean;
}

export type ParsedFlashRequest = { ok: true; request: FlashRequest } | { ok: false; error: string };

export const FLASH_USAGE =
  'flash needs {"port": "<name>", "image": "<base64 of the .hex or .elf>"} or {"port": "<name>", "path": "<absolute path>"}';

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
      return {
        ok: false,
        error: `flash: the image is ${bytes.length} bytes, over the ${MAX_HEX_FILE_BYTES}-byte limit`,
      };
    return { ok: true, request: { port, image: bytes, verify } };
  }
  if (typeof path !== 'string' || !isAbsolute(path) || path.includes('\0'))
    return { ok: false, error: 'flash: "path" must be an absolute path' };
  try {
    // Loaded here: the file readers (HEX, ELF) are needed only when a board is flashed.
    const { readFirmwareFileBytes } = await import('../firmware/image-file.ts');
    return { ok: true, request: { port, image: await readFirmwareFileBytes(path), verify } };
  } catch (error) {
    return { ok: false, error: `flash: ${errorMessage(error)}` };
  }
}
