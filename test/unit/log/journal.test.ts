// Priority prefixes for journald (src/log/journal.ts): the level name of each JSON line becomes
// sd-daemon(3)'s `<N>`, and only a stdout that JOURNAL_STREAM names gets them.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { stdoutIsJournal, withPriority } from '../../../src/log/journal.ts';
import { createLogger } from '../../../src/log/logger.ts';

function collect(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

describe('journald priorities', () => {
  it('prefixes each level with its syslog priority', () => {
    const { lines, destination } = collect();
    const log = createLogger({ level: 'trace', destination, journal: true });
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.child({ port: 'scale' }).warn({ reason: 'x' }, 'w');
    log.error('e');
    log.fatal('f');
    assert.deepEqual(
      lines.map((l) => /^<(\d)>\{"level":"(\w+)"/.exec(l)?.slice(1)),
      [
        ['7', 'trace'],
        ['7', 'debug'],
        ['6', 'info'],
        ['4', 'warn'],
        ['3', 'error'],
        ['2', 'fatal'],
      ],
    );
    // After the prefix, the line is the JSON it always was.
    const warn = JSON.parse(lines[3]!.slice(3)) as Record<string, unknown>;
    assert.deepEqual([warn['level'], warn['port'], warn['msg']], ['warn', 'scale', 'w']);
  });

  it('writes plain JSON with level names when stdout is not the journal', () => {
    const { lines, destination } = collect();
    createLogger({ level: 'info', destination }).warn('w');
    assert.match(lines[0]!, /^\{"level":"warn","time":\d+,"msg":"w"\}\n$/);
  });

  it('leaves a line it cannot read a level from unchanged', () => {
    assert.equal(withPriority('{"msg":"x"}\n'), '{"msg":"x"}\n');
    assert.equal(withPriority('{"level":"loud","msg":"x"}\n'), '{"level":"loud","msg":"x"}\n');
  });

  it('takes stdout for the journal only when JOURNAL_STREAM names its device and inode', () => {
    const stat = (): { dev: bigint; ino: bigint } => ({ dev: 8n, ino: 12345n });
    assert.equal(stdoutIsJournal({ JOURNAL_STREAM: '8:12345' }, stat), true);
    assert.equal(stdoutIsJournal({ JOURNAL_STREAM: '8:12346' }, stat), false, 'inherited, stdout elsewhere');
    assert.equal(stdoutIsJournal({}, stat), false);
    assert.equal(stdoutIsJournal({ JOURNAL_STREAM: 'garbage' }, stat), false);
    const noStdout = (): never => {
      throw new Error('EBADF');
    };
    assert.equal(stdoutIsJournal({ JOURNAL_STREAM: '8:12345' }, noStdout), false);
  });
});
