// Polls a condition until it holds or the deadline passes: for tests that wait on something
// with no event of its own (a counter, a broker's state). Fails with what it waited for.
import { setTimeout as sleep } from 'node:timers/promises';

export async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}
