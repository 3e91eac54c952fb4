// Crash safety for real (docs/contract.md §6): a child process submits to a durable queue and
// prints every submit that resolved; we kill -9 it at random moments, reopen the file each
// time, and check that nothing it reported as queued is missing and the file is sound.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { integrityCheck } from '../../src/queue/inspect.ts';
import { openSqliteOutbox } from '../../src/queue/sqlite-outbox.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fixture = new URL('../fixtures/queue-crash-writer.ts', import.meta.url).pathname;

/** Runs the writer until it has printed something, kills it -9 after `ms`, returns its lines. */
async function runAndKill(path: string, run: number, ms: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, path, String(run)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    timer ??= setTimeout(() => child.kill('SIGKILL'), ms);
  });
  await closed;
  assert.ok(timer !== undefined, `run ${run}: the writer printed nothing (it failed to start?)`);
  return lines;
}

describe('durable queue under kill -9', () => {
  it(
    'never loses a message it reported as queued, and the file stays sound',
    { timeout: 120_000 },
    async () => {
      const path = join(dir, 'queue.db');
      const mustHave = new Set<string>();
      let queuedTotal = 0;
      for (let run = 1; run <= 6; run += 1) {
        const lines = await runAndKill(path, run, 150 + Math.floor(Math.random() * 600));
        for (const line of lines) {
          const [what, topic] = line.split(' ') as [string, string];
          if (what === 'queued') {
            mustHave.add(topic);
            queuedTotal += 1;
          } else if (what === 'acked') mustHave.delete(topic);
        }
        assert.equal(integrityCheck(path), 'ok', `after run ${run}`);
        const box = await openSqliteOutbox({
          path,
          durability: 'normal',
          maxMessages: 1e7,
          maxBytes: 1e12,
          maxAgeMs: 1e12,
          whenFull: 'reject_new',
        });
        const present = new Set(box.lease(1e7).map((m) => m.topic));
        const lost = [...mustHave].filter((t) => !present.has(t));
        assert.deepEqual(lost.slice(0, 10), [], `run ${run}: ${lost.length} queued messages lost`);
        const marks = box.seqMarks('p');
        assert.ok(marks.length > 0 && marks.length <= 256);
        await box.close();
      }
      assert.ok(queuedTotal > 1000, `only ${queuedTotal} messages were queued: the test proved little`);
    },
  );
});
