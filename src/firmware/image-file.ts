// A firmware file as the gateway receives it (a request's bytes, a file the CLI read): read
// whole and checked before anything else happens.
import { parseIntelHex } from './intel-hex.ts';
import type { HexImage } from './intel-hex.ts';

export function readFirmwareBytes(bytes: Uint8Array): HexImage {
  return parseIntelHex(bytes);
}
