// The rate-limited warning log (src/log/rate-limited-log.ts): a few per key and window, then
// one summary; flush() writes the pending summaries at once (a runner that stops).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRateLimitedLog } from '../../../src/log/rate-limited-log.ts';
import type { Logger } from '../../../src/log/logger.ts';

function collectingLogger(): { log: Logger; lines: { fields: Record<string, unknown>; message: string }[] } {
  const lines: { fields: Record<string, unknown>; message: string }[] = [];
  const log = {
    warn: (fields: Record<string, unknown>, message: string) => lines.push({ fields, message }),
  } as unknown as Logger;
  return { log, lines };
}

test('a burst: perWindow lines, then flush() writes one summary with the suppressed count', () => {
  const { log, lines } = collectingLogger();
  const limited = createRateLimitedLog(log, { perWindow: 3, windowMs: 60_000, now: () => 1000 });
  for (let i = 0; i < 500; i++) limited.warn('set\0rejected', { port: 'dev', i }, 'command set rejected');
  limited.warn('other\0failed', { port: 'dev' }, 'command other failed');
  assert.equal(lines.length, 4);
  limited.flush();
  console.log(`500 warnings → ${lines.length} lines after flush`);
  assert.deepEqual(
    lines.slice(4).map((l) => [l.message, l.fields['suppressed']]),
    [['command set rejected: 497 more suppressed in the last 60 s', 497]],
  );
  limited.flush();
  assert.equal(lines.length, 5, 'a second flush has nothing left to say');
  limited.warn('set\0rejected', { port: 'dev' }, 'command set rejected');
  assert.equal(lines.length, 6, 'after a flush the key starts a new window');
});
