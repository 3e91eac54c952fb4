// `csv` lines (docs/contract.md §4.1): values in the order of the profile's `columns:` list,
// separated by its `delimiter` (default `,`).
//
// A line with the wrong number of values is a parse_error (a shifted column would put a
// humidity into the temperature field). An empty value means "absent" (a sensor that could
// not be read this time). Spaces around values are trimmed unless the delimiter is itself
// whitespace. No quoting: a value cannot contain the delimiter.
import type { DecodeResult, Decoder, RawValue } from '../pipeline/types.ts';

export function createCsvDecoder(columns: readonly string[], delimiter: string): Decoder {
  const trim = delimiter.trim() !== '';
  return (body) => {
    const parts = body.split(delimiter);
    if (parts.length !== columns.length)
      return {
        ok: false,
        reason: 'parse_error',
        detail: `expected ${columns.length} values separated by ${JSON.stringify(delimiter)}, got ${parts.length}`,
      } satisfies DecodeResult;
    const values = new Map<string, RawValue>();
    for (let i = 0; i < parts.length; i++) {
      const raw = parts[i] ?? '';
      const value = trim ? raw.trim() : raw;
      if (value !== '') values.set(columns[i] ?? String(i), value);
    }
    return { ok: true, values };
  };
}
