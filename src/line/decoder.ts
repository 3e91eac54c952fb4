// One dispatch point from a profile's `line.format` to its decoder (docs/contract.md §4.1).
// Decoders take the line body (the envelope already removed, see envelope.ts) and return a
// DecodeResult; they never throw on device input.
import type { LineSpec } from '../config/schema.ts';
import type { Decoder } from '../pipeline/types.ts';
import { createCsvDecoder } from './csv.ts';
import { decodeJson } from './json.ts';
import { decodeKv } from './kv.ts';
import { decodeMySensors } from './mysensors.ts';
import { createRegexDecoder } from './regex.ts';

/**
 * Builds the decoder for a validated profile. The profile schema already requires
 * `columns` for csv and a valid `pattern` for regex; a spec without them is a programming
 * error and throws here, at startup, never per line.
 */
export function createDecoder(spec: LineSpec): Decoder {
  switch (spec.format) {
    case 'kv':
      return decodeKv;
    case 'json':
      return decodeJson;
    case 'mysensors':
      return decodeMySensors;
    case 'csv':
      if (spec.columns === undefined || spec.columns.length === 0)
        throw new TypeError('line.columns is required for format csv');
      return createCsvDecoder(spec.columns, spec.delimiter);
    case 'regex':
      if (spec.pattern === undefined) throw new TypeError('line.pattern is required for format regex');
      return createRegexDecoder(spec.pattern);
  }
}
