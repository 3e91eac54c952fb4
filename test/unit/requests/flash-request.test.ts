// requests/flash-request.ts: what a `gateway/request/flash` body may be, and its bounds.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MAX_HEX_FILE_BYTES } from '../../../src/firmware/intel-hex.ts';
import { MAX_FIRMWARE_FILE_BYTES } from '../../../src/firmware/image-file.ts';
import { FLASH_USAGE, parseFlashRequest } from '../../../src/requests/flash-request.ts';
import { createProgressThrottle } from '../../../src/requests/progress-throttle.ts';
import type { FlashProgress } from '../../../src/firmware/programmer.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-flash-request-'));
after(() => rmSync(dir, { recursive: true, force: true }));

void describe('parseFlashRequest', () => {
  void it('takes the image as base64, verify defaulting to true', async () => {
    const parsed = await parseFlashRequest({
      port: 'shed',
      image: Buffer.from(':00000001FF\n').toString('base64'),
    });
    assert.ok(parsed.ok);
    assert.equal(parsed.request.port, 'shed');
    assert.equal(Buffer.from(parsed.request.image).toString(), ':00000001FF\n');
    assert.equal(parsed.request.verify, true);
    const off = await parseFlashRequest({ port: 'shed', image: '', verify: false });
    assert.ok(off.ok && !off.request.verify);
  });

  void it('reads an absolute path, bounded, and refuses what is not a regular file without hanging', async () => {
    const file = join(dir, 'fw.hex');
    writeFileSync(file, ':00000001FF\n');
    const parsed = await parseFlashRequest({ port: 'shed', path: file });
    assert.ok(parsed.ok && Buffer.from(parsed.request.image).length === 12);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    assert.deepEqual(await parseFlashRequest({ port: 'shed', path: fifo }), {
      ok: false,
      error: `flash: ${fifo}: is not a regular file`,
    });
    const big = join(dir, 'big.hex');
    writeFileSync(big, Buffer.alloc(MAX_HEX_FILE_BYTES + 1, 0x3a));
    const refused = await parseFlashRequest({ port: 'shed', path: big });
    assert.ok(refused.ok, 'a path may name a larger file (an ELF with debug information)');
    const huge = join(dir, 'huge.elf');
    writeFileSync(huge, Buffer.alloc(MAX_FIRMWARE_FILE_BYTES + 1));
    const tooBig = await parseFlashRequest({ port: 'shed', path: huge });
    assert.ok(!tooBig.ok && /bytes, more than a firmware file may be/.test(tooBig.error));
    const missing = await parseFlashRequest({ port: 'shed', path: join(dir, 'nope.hex') });
    assert.ok(!missing.ok && /cannot be opened: ENOENT/.test(missing.error), missing.ok ? '' : missing.error);
  });

  void it('refuses everything else with a clear message', async () => {
    const cases: [Record<string, unknown> | null, RegExp][] = [
      [null, /^flash needs/],
      [{ image: 'AA==' }, /^flash needs/],
      [{ port: 'shed' }, /^flash needs/],
      [{ port: 'shed', image: 'AA==', path: '/x' }, /^flash needs/],
      [{ port: 7, image: 'AA==' }, /^flash needs/],
      [{ port: 'shed', image: 'not base64!' }, /base64/],
      [{ port: 'shed', image: 'AA=' }, /base64/],
      [{ port: 'shed', image: 12 }, /base64/],
      [{ port: 'shed', path: 'relative.hex' }, /absolute path/],
      [{ port: 'shed', path: '/a\0b' }, /absolute path/],
      [{ port: 'shed', image: 'AA==', verify: 'yes' }, /"verify" must be true or false/],
      [
        { port: 'shed', image: Buffer.alloc(MAX_HEX_FILE_BYTES + 3).toString('base64') },
        /over the 1048576-byte limit/,
      ],
    ];
    for (const [body, expected] of cases) {
      const parsed = await parseFlashRequest(body);
      assert.ok(!parsed.ok, JSON.stringify(body)?.slice(0, 80));
      assert.match(parsed.error, expected);
    }
    assert.match(FLASH_USAGE, /"port"/);
  });
});

void describe('createProgressThrottle', () => {
  void it('passes every change of stage and about one message per tenth, plus the end', () => {
    const sent: FlashProgress[] = [];
    const throttle = createProgressThrottle((p) => sent.push(p));
    throttle({ stage: 'reset' });
    throttle({ stage: 'sync' });
    for (let b = 0; b <= 10240; b += 128) throttle({ stage: 'writing', bytes: b, of: 10240 });
    throttle({ stage: 'writing', bytes: 10240, of: 10240 });
    for (let b = 128; b <= 10240; b += 128) throttle({ stage: 'verifying', bytes: b, of: 10240 });
    assert.deepEqual(sent.map((p) => `${p.stage}${p.bytes === undefined ? '' : ` ${p.bytes}`}`).slice(0, 3), [
      'reset',
      'sync',
      'writing 0',
    ]);
    const writing = sent.filter((p) => p.stage === 'writing');
    const verifying = sent.filter((p) => p.stage === 'verifying');
    assert.ok(writing.length >= 10 && writing.length <= 12, `${writing.length} writing messages`);
    assert.ok(verifying.length >= 10 && verifying.length <= 12, `${verifying.length} verifying messages`);
    assert.equal(writing.at(-1)?.bytes, 10240, 'the end goes out once');
    assert.equal(writing.filter((p) => p.bytes === 10240).length, 1);
    assert.equal(verifying.at(-1)?.bytes, 10240);
  });
});
