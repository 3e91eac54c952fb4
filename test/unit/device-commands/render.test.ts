// device-commands/render.ts: a command payload → one line for the device, with a
// property test that no accepted payload can put a second line on the wire.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { commandSchema } from '../../../src/config/schema.ts';
import { compileCommand } from '../../../src/device-commands/render.ts';

function command(spec: unknown, maxBytes = 63): ReturnType<typeof compileCommand> {
  return compileCommand('c', commandSchema.parse(spec), maxBytes);
}

const prep = (c: ReturnType<typeof compileCommand>, payload: string | Buffer): string =>
  ((r) => (r.ok ? r.line : `!${r.reason}`))(c.prepare(Buffer.from(payload)));

describe('compileCommand', () => {
  it('renders each payload type into the template, newline appended', () => {
    assert.equal(
      prep(command({ payload: { type: 'enum', values: ['on', 'off'] }, write: 'LED {value}' }), 'on'),
      'LED on\n',
    );
    assert.equal(
      prep(command({ payload: { type: 'integer', min: 0, max: 9 }, write: 'L{value}' }), '7'),
      'L7\n',
    );
    assert.equal(prep(command({ payload: { type: 'number' }, write: 'T {value}' }), '-2.50'), 'T -2.5\n');
    assert.equal(prep(command({ payload: { type: 'boolean' }, write: 'R {value}' }), 'TRUE'), 'R on\n');
    assert.equal(prep(command({ payload: { type: 'boolean' }, write: 'R {value}' }), '0'), 'R off\n');
    assert.equal(
      prep(command({ payload: { type: 'string' }, write: 'SAY {value}!' }), 'hi there'),
      'SAY hi there!\n',
    );
    assert.equal(prep(command({ payload: { type: 'none' }, write: 'RESET' }), 'whatever\n\0'), 'RESET\n');
    assert.equal(prep(command({ payload: { type: 'string' }, write: '{value}={value}' }), 'x'), 'x=x\n');
  });

  it('refuses values outside the schema, CR/LF/NUL, non-UTF-8 and lines over max_bytes', () => {
    const say = command({ payload: { type: 'string', max_length: 100 }, write: 'SAY {value}' }, 16);
    assert.match(prep(say, 'a\rb'), /^!.*CR, LF or NUL/);
    assert.match(prep(say, 'a\nb'), /^!.*CR, LF or NUL/);
    assert.match(prep(say, 'a\0b'), /^!.*CR, LF or NUL/);
    assert.match(prep(say, Buffer.from([0xc3, 0x28])), /^!.*UTF-8/);
    assert.equal(prep(say, 'x'.repeat(11)), `SAY ${'x'.repeat(11)}\n`, '16 bytes with the newline: fits');
    assert.match(prep(say, 'x'.repeat(12)), /^!command is 17 bytes with its newline; max_bytes is 16/);
    assert.match(prep(say, 'é'.repeat(6)), /^!command is 17 bytes/, 'bytes, not characters');
    const level = command({ payload: { type: 'integer', min: 0, max: 255 }, write: 'L {value}' });
    for (const bad of ['256', '-1', '1.5', '', ' 1', '0x10', 'NaN'])
      assert.match(prep(level, bad), /^!/, bad);
    const led = command({ payload: { type: 'enum', values: ['on', 'off'] }, write: 'LED {value}' });
    assert.match(prep(led, 'ON'), /^!.*not one of/);
  });

  it('property: an accepted command is exactly one line, within max_bytes', () => {
    const say = command({ payload: { type: 'string', max_length: 64 }, write: 'SAY {value}' });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const r = say.prepare(Buffer.from(bytes));
        if (!r.ok) return;
        assert.equal(r.line.indexOf('\n'), r.line.length - 1);
        assert.ok(!/[\r\0]/.test(r.line));
        assert.ok(Buffer.byteLength(r.line) <= 63);
      }),
      { numRuns: 5000 },
    );
  });
});
