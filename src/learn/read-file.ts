// A capture file as a Sample (sample.ts): read in chunks, never more than MAX_FILE_BYTES, so
// pointing learn at a huge log (or at /dev/zero) costs bounded memory and time.
import { open } from 'node:fs/promises';
import { createSampler, type Sample } from './sample.ts';

/** More than MAX_LINES lines of MAX_LINE_BYTES; the rest of a larger file is not read. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

export async function sampleFile(path: string, source: string = path): Promise<Sample> {
  const sampler = createSampler({ keepFirstLine: true });
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let total = 0;
    let last = 0x0a;
    while (total < MAX_FILE_BYTES && !sampler.full()) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK_BYTES, MAX_FILE_BYTES - total), null);
      if (bytesRead === 0) break;
      total += bytesRead;
      sampler.push(buffer.subarray(0, bytesRead), null);
      last = buffer[bytesRead - 1] ?? last;
    }
    // A file's last line need not end in a newline: it is whole all the same.
    if (last !== 0x0a) sampler.push(Buffer.of(0x0a), null);
  } finally {
    await handle.close();
  }
  return { ...sampler.result(), source, listenedMs: null };
}
