// A command from MQTT to a line device (docs/contract.md §3 `commands:`): the payload
// of `<base>/<port>/<command>/set` is checked against the command's payload schema, put into
// its `write` template and becomes one line on the wire. Pure.
//
// Rules:
// - The payload is UTF-8 text, taken as it is (no trimming): number/integer/boolean/string/
//   enum by the same converters as readings (validate.ts); `none` ignores the payload.
// - A boolean is written as `on` or `off` (accepted: true/false, 1/0, on/off, yes/no).
// - CR, LF and NUL anywhere in the value are refused: a value could otherwise end the line
//   early and smuggle a second command onto the wire.
// - The line with its newline must fit `max_bytes` (default 63: an Arduino Uno's 64-byte
//   receive buffer, which overflows silently).
import { isUtf8 } from 'node:buffer';
import type { CommandSpec } from '../config/schema.ts';
import { compileFields, validateValues } from '../pipeline/validate.ts';
import type { FieldTable } from '../pipeline/validate.ts';

export type CommandLine = { ok: true; line: string; value: string | null } | { ok: false; reason: string };

export interface CompiledCommand {
  readonly name: string;
  readonly spec: CommandSpec;
  /** The device's answer (`reply:`), its patterns compiled once. */
  readonly reply: { ok: RegExp; error: RegExp | null; timeoutMs: number } | null;
  prepare(payload: Buffer): CommandLine;
}

export function compileCommand(name: string, spec: CommandSpec, maxBytes: number): CompiledCommand {
  const table: FieldTable | null =
    spec.payload.type === 'none' ? null : compileFields({ value: spec.payload });
  const reply = spec.reply;
  return {
    name,
    spec,
    reply:
      reply === undefined
        ? null
        : {
            ok: new RegExp(reply.ok),
            error: reply.error === undefined ? null : new RegExp(reply.error),
            timeoutMs: reply.timeout,
          },
    prepare(payload) {
      let value: string | null = null;
      if (table !== null) {
        if (!isUtf8(payload)) return { ok: false, reason: 'payload is not UTF-8 text' };
        const text = payload.toString('utf8');
        if (/[\r\n\0]/.test(text)) return { ok: false, reason: 'payload contains CR, LF or NUL' };
        const checked = validateValues(table, new Map([['value', text]]));
        const rejected = checked.rejected[0];
        if (rejected !== undefined) return { ok: false, reason: rejected.reason };
        const v = checked.values.get('value');
        if (v === undefined) return { ok: false, reason: 'payload has no value' };
        value = typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v);
      }
      const line = `${value === null ? spec.write : spec.write.split('{value}').join(value)}\n`;
      const bytes = Buffer.byteLength(line);
      if (bytes > maxBytes)
        return { ok: false, reason: `command is ${bytes} bytes with its newline; max_bytes is ${maxBytes}` };
      return { ok: true, line, value };
    },
  };
}
