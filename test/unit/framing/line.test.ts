import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLineFramer } from '../../../src/framing/line.ts';
import type { FramerEvent, LineFramer } from '../../../src/framing/line.ts';

/** A framer that has already thrown away its first (partial) line. */
function primed(maxBytes = 32): LineFramer {
  const framer = createLineFramer({ maxBytes });
  assert.deepEqual(framer.push(Buffer.from('junk\n')), [
    { kind: 'discard', reason: 'partial_first_line', bytes: 4 },
  ]);
  return framer;
}

function feed(framer: LineFramer, ...chunks: (string | Buffer)[]): FramerEvent[] {
  return chunks.flatMap((c) => framer.push(typeof c === 'string' ? Buffer.from(c) : c));
}

test('a line ends at \\n and \\r\\n; \\r before \\n is dropped', () => {
  const framer = primed();
  assert.deepEqual(feed(framer, 'temp=1\nhum=2\r\n'), [
    { kind: 'line', text: 'temp=1' },
    { kind: 'line', text: 'hum=2' },
  ]);
});

test('a \\r inside a line is content', () => {
  assert.deepEqual(feed(primed(), 'a\rb\r\r\n'), [{ kind: 'line', text: 'a\rb\r' }]);
});

test('the first line after construction and after reset is discarded as partial_first_line', () => {
  const framer = createLineFramer({ maxBytes: 16 });
  assert.deepEqual(feed(framer, 'mp=23.5\nok=1\n'), [
    { kind: 'discard', reason: 'partial_first_line', bytes: 7 },
    { kind: 'line', text: 'ok=1' },
  ]);
  feed(framer, 'half a li');
  framer.reset();
  assert.equal(framer.pending(), 0);
  assert.deepEqual(feed(framer, 'ne\nnext\n'), [
    { kind: 'discard', reason: 'partial_first_line', bytes: 2 },
    { kind: 'line', text: 'next' },
  ]);
});

test('keepFirstLine: a first line that began after the open settled is kept; reset arms the discard again', () => {
  const framer = createLineFramer({ maxBytes: 16 });
  framer.keepFirstLine();
  assert.deepEqual(feed(framer, 'temp=23.5\nok=1\n'), [
    { kind: 'line', text: 'temp=23.5' },
    { kind: 'line', text: 'ok=1' },
  ]);
  framer.reset();
  assert.deepEqual(feed(framer, 'mp=1\n'), [{ kind: 'discard', reason: 'partial_first_line', bytes: 4 }]);
  framer.reset();
  framer.keepFirstLine();
  // A kept first line is classified like any other.
  assert.deepEqual(feed(framer, '\nabcdefghijklmnopq\n'), [
    { kind: 'discard', reason: 'empty', bytes: 0 },
    { kind: 'discard', reason: 'overlong', bytes: 17 },
  ]);
});

test('an overlong first line is still reported as the partial first line, once', () => {
  const framer = createLineFramer({ maxBytes: 4 });
  assert.deepEqual(feed(framer, 'abcdefgh', 'ij\nok\n'), [
    { kind: 'discard', reason: 'partial_first_line', bytes: 10 },
    { kind: 'line', text: 'ok' },
  ]);
});

test('empty lines are reported as empty discards', () => {
  assert.deepEqual(feed(primed(), '\n\r\nx\n'), [
    { kind: 'discard', reason: 'empty', bytes: 0 },
    { kind: 'discard', reason: 'empty', bytes: 1 },
    { kind: 'line', text: 'x' },
  ]);
});

test('a line of exactly maxBytes passes, one more byte is overlong (the \\r does not count)', () => {
  const framer = primed(8);
  assert.deepEqual(feed(framer, '12345678\r\n', '123456789\n'), [
    { kind: 'line', text: '12345678' },
    { kind: 'discard', reason: 'overlong', bytes: 9 },
  ]);
  // The same across chunk boundaries, with the \r alone at the end of a chunk.
  assert.deepEqual(feed(framer, '1234', '5678\r', '\n', '1234', '5678\r', 'x\n'), [
    { kind: 'line', text: '12345678' },
    { kind: 'discard', reason: 'overlong', bytes: 10 },
  ]);
});

test('an overlong line is reported once, however many chunks it spans, then the framer resyncs', () => {
  const framer = primed(8);
  const events = feed(framer, 'aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc', 'dd\nok=1\n');
  assert.deepEqual(events, [
    { kind: 'discard', reason: 'overlong', bytes: 32 },
    { kind: 'line', text: 'ok=1' },
  ]);
  assert.ok(framer.pending() <= 8);
});

test('the buffer never holds more than maxBytes', () => {
  const framer = primed(8);
  for (let i = 0; i < 100; i++) {
    framer.push(Buffer.from('xyz'));
    assert.ok(framer.pending() <= 8, `pending ${framer.pending()}`);
  }
  assert.deepEqual(feed(framer, '\n'), [{ kind: 'discard', reason: 'overlong', bytes: 300 }]);
});

test('invalid UTF-8 is discarded; valid multi-byte UTF-8 passes, even split mid-character', () => {
  const framer = primed();
  assert.deepEqual(framer.push(Buffer.from([0x61, 0xff, 0x62, 0x0a])), [
    { kind: 'discard', reason: 'invalid_utf8', bytes: 3 },
  ]);
  assert.deepEqual(framer.push(Buffer.from([0xed, 0xa0, 0x80, 0x0a])), [
    { kind: 'discard', reason: 'invalid_utf8', bytes: 3 },
  ]);
  const euro = Buffer.from('t=€5\n');
  assert.deepEqual(
    [...framer.push(euro.subarray(0, 3)), ...framer.push(euro.subarray(3))],
    [{ kind: 'line', text: 't=€5' }],
  );
});

test('a byte-order mark is dropped; a line that is only a BOM is empty', () => {
  assert.deepEqual(feed(primed(), '\uFEFFa=1\n\uFEFF\n'), [
    { kind: 'line', text: 'a=1' },
    { kind: 'discard', reason: 'empty', bytes: 3 },
  ]);
});

test('every split position of a stream gives the same events as one chunk', () => {
  const stream = Buffer.from('temp=23.5,hum=40\r\n\nhé=1\n' + 'x'.repeat(40) + '\nend=ok\r\n');
  const whole = primed(32);
  const expected = whole.push(stream);
  assert.equal(expected.length, 5);
  for (let i = 0; i <= stream.length; i++) {
    for (let j = i; j <= stream.length; j += 7) {
      const framer = primed(32);
      const events = [
        ...framer.push(stream.subarray(0, i)),
        ...framer.push(stream.subarray(i, j)),
        ...framer.push(stream.subarray(j)),
      ];
      assert.deepEqual(events, expected, `split at ${i},${j}`);
    }
  }
});

test('byte at a time gives the same events', () => {
  const stream = Buffer.from('a=1\r\nb=2\n\r\n' + 'y'.repeat(20) + '\nc=3\n');
  const expected = primed(16).push(stream);
  const framer = primed(16);
  const events: FramerEvent[] = [];
  for (const byte of stream) events.push(...framer.push(Buffer.from([byte])));
  assert.deepEqual(events, expected);
});

test('many lines in one chunk, and garbage before a line', () => {
  const framer = primed(16);
  const lines = Array.from({ length: 500 }, (_, i) => `n=${i}`);
  const events = framer.push(Buffer.from(`\x00\x01garbage\n${lines.join('\n')}\n`));
  assert.deepEqual(events[0], { kind: 'line', text: '\x00\x01garbage' });
  assert.deepEqual(
    events.slice(1).map((e) => (e.kind === 'line' ? e.text : e.reason)),
    lines,
  );
});

test('a zero-length chunk does nothing', () => {
  const framer = primed();
  assert.deepEqual(framer.push(Buffer.alloc(0)), []);
  assert.deepEqual(feed(framer, 'a', '', '=1\n'), [{ kind: 'line', text: 'a=1' }]);
});

test('maxBytes must be a positive integer', () => {
  assert.throws(() => createLineFramer({ maxBytes: 0 }), RangeError);
});
