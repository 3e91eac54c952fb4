// Polls a condition until it holds or the deadline passes: for tests that wait on something
// with no event of its own (a counter, a broker's state). Fails with what it waited for and,
// given `detail`, what the test can show of why (a process's output, the messages seen).
import { setTimeout as sleep } from 'node:timers/promises';

export async function until(
  what: string,
  ok: () => boolean,
  timeoutMs = 10_000,
  detail?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) {
      const more = detail === undefined ? '' : `\n${detail()}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${more}`);
    }
    await sleep(10);
  }
}
