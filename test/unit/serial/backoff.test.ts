import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createBackoff, DEFAULT_BACKOFF } from '../../../src/serial/backoff.ts';
import { classifyOpenFailure, describeOpenFailure } from '../../../src/serial/open-failure.ts';

void test('backoff doubles from the initial delay up to the maximum', () => {
  const top = createBackoff({ initialMs: 500, maxMs: 4000 }, () => 0.999999);
  assert.deepEqual(
    Array.from({ length: 6 }, () => top.next()),
    [500, 1000, 2000, 4000, 4000, 4000],
  );
  const bottom = createBackoff({ initialMs: 500, maxMs: 4000 }, () => 0);
  assert.deepEqual(
    Array.from({ length: 5 }, () => bottom.next()),
    [250, 500, 1000, 2000, 2000],
  );
});

void test('the first retry after a reset is quick (250–500 ms by default)', () => {
  const backoff = createBackoff(DEFAULT_BACKOFF, () => 0.5);
  for (let i = 0; i < 20; i += 1) backoff.next();
  assert.equal(backoff.attempts, 20);
  backoff.reset();
  assert.equal(backoff.attempts, 0);
  assert.equal(backoff.next(), 375);
});

void test('every delay stays within [base/2, base] and never exceeds the maximum', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 10_000 }),
      fc.integer({ min: 1, max: 100_000 }),
      fc.array(fc.double({ min: 0, max: 0.9999999, noNaN: true }), { minLength: 1, maxLength: 80 }),
      (initialMs, maxMs, draws) => {
        let i = 0;
        const backoff = createBackoff({ initialMs, maxMs }, () => draws[i++ % draws.length] ?? 0);
        const ceiling = Math.max(initialMs, maxMs);
        for (let n = 0; n < draws.length; n += 1) {
          const base = Math.min(ceiling, initialMs * 2 ** n);
          const delay = backoff.next();
          assert.ok(Number.isFinite(delay));
          assert.ok(
            delay >= Math.floor(base / 2) && delay <= Math.ceil(base),
            `${delay} not in [${base / 2}, ${base}]`,
          );
        }
      },
    ),
  );
});

void test('jitter spreads ports that failed together', () => {
  const a = createBackoff(DEFAULT_BACKOFF, () => 0.1);
  const b = createBackoff(DEFAULT_BACKOFF, () => 0.9);
  assert.notEqual(a.next(), b.next());
});

void test('open failures are recognised from the bindings’ messages', () => {
  const kinds = [
    ['Error: No such file or directory, cannot open /dev/ttyACM0', 'missing'],
    ["Port does not exist - please call MockBinding.createPort('/x') first", 'missing'],
    ['Error Resource temporarily unavailable Cannot lock port', 'busy'],
    ['Port is locked cannot open', 'busy'],
    ['Error: Permission denied, cannot open /dev/ttyUSB0', 'permission'],
    ['Error: Input/output error setting custom baud rate of 7', 'other'],
  ] as const;
  for (const [text, kind] of kinds) assert.equal(classifyOpenFailure(new Error(text)).kind, kind, text);
  assert.equal(classifyOpenFailure('weird').detail, 'weird');
  assert.equal(
    describeOpenFailure('/dev/ttyACM0', { kind: 'missing', detail: '' }),
    '/dev/ttyACM0 does not exist (is the device plugged in?)',
  );
  assert.match(describeOpenFailure('/dev/ttyUSB0', { kind: 'permission', detail: '' }), /dialout/);
});
