// A strict Intel HEX reader: a firmware file is flashed whole or not at all, so every record
// is checked and anything unusual is refused with its line number, never repaired or skipped.
// Format: Intel, "Hexadecimal Object File Format Specification", Rev. A (1988). A record is
//   :LLAAAATT<LL data bytes>CC
// LL data byte count, AAAA load offset, TT record type, CC the two's complement of the sum of
// every byte before it (so all bytes of a record sum to 0 modulo 256).
import { ErrorCodes, GatewayError } from '../errors.ts';
import { hexValue } from './hex-text.ts';

/** One run of consecutive bytes of the image. */
export interface HexSegment {
  address: number;
  bytes: Uint8Array;
}

/** What a HEX file loads: its data as sorted, non-touching segments. */
export interface HexImage {
  /** Sorted by address; neighbours never touch (touching records are merged). */
  segments: readonly HexSegment[];
  /** Data bytes in the image. */
  size: number;
  /** Address of the last data byte; undefined when the file holds no data. */
  highestAddress: number | undefined;
}

/** Far above any AVR's flash as HEX (256 KiB of flash is ~720 KiB of text); refused unparsed. */
export const MAX_HEX_FILE_BYTES = 1024 * 1024;
/** ':' and the hex digits of the longest record (255 data bytes): 1 + 2 × (1 + 2 + 1 + 255 + 1). */
export const MAX_HEX_LINE_CHARS = 521;

const DATA = 0x00;
const END_OF_FILE = 0x01;
const EXTENDED_SEGMENT_ADDRESS = 0x02;
const START_SEGMENT_ADDRESS = 0x03;
const EXTENDED_LINEAR_ADDRESS = 0x04;
const START_LINEAR_ADDRESS = 0x05;
/** Data bytes each record type other than data must carry. */
const FIXED_LENGTH: Readonly<Record<number, number>> = {
  [END_OF_FILE]: 0,
  [EXTENDED_SEGMENT_ADDRESS]: 2,
  [START_SEGMENT_ADDRESS]: 4,
  [EXTENDED_LINEAR_ADDRESS]: 2,
  [START_LINEAR_ADDRESS]: 4,
};
const TYPE_NAME: Readonly<Record<number, string>> = {
  [END_OF_FILE]: 'end-of-file',
  [EXTENDED_SEGMENT_ADDRESS]: 'extended segment address',
  [START_SEGMENT_ADDRESS]: 'start segment address',
  [EXTENDED_LINEAR_ADDRESS]: 'extended linear address',
  [START_LINEAR_ADDRESS]: 'start linear address',
};

interface DataRecord {
  line: number;
  address: number;
  bytes: Uint8Array;
}

function refuse(message: string): GatewayError {
  return new GatewayError(ErrorCodes.FIRMWARE_INVALID, message);
}

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? 'an' : 'a';
}

/** The bytes of one record line (without its line end), checked against LL and CC. */
function recordBytes(text: string, line: number): Uint8Array {
  if (text.length > MAX_HEX_LINE_CHARS)
    throw refuse(`line ${line}: ${text.length} characters, longer than any record (${MAX_HEX_LINE_CHARS})`);
  if (!text.startsWith(':')) throw refuse(`line ${line}: does not start with ':'`);
  const bad = /[^0-9A-Fa-f]/.exec(text.slice(1));
  if (bad !== null)
    throw refuse(`line ${line}, column ${bad.index + 2}: ${JSON.stringify(bad[0])} is not a hex digit`);
  const digits = text.length - 1;
  if (digits % 2 !== 0) throw refuse(`line ${line}: an odd number of hex digits (${digits})`);
  if (digits < 10) throw refuse(`line ${line}: ${digits / 2} bytes, shorter than any record (5)`);
  const bytes = new Uint8Array(digits / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(text.slice(1 + 2 * i, 3 + 2 * i), 16);
  const count = bytes[0] ?? 0;
  if (bytes.length !== count + 5)
    throw refuse(
      `line ${line}: byte count ${hexValue(count, 2)} says ${count} data bytes, the record holds ${bytes.length - 5}`,
    );
  let sum = 0;
  for (let i = 0; i < bytes.length - 1; i++) sum += bytes[i] ?? 0;
  const expected = (0x100 - (sum & 0xff)) & 0xff;
  const actual = bytes[bytes.length - 1] ?? 0;
  if (actual !== expected)
    throw refuse(`line ${line}: checksum ${hexValue(actual, 2)}, expected ${hexValue(expected, 2)}`);
  return bytes;
}

/**
 * The image an Intel HEX file loads. Throws GatewayError TTY2MQTT_FIRMWARE_INVALID naming the
 * line for anything but a whole, well-formed file: a bad digit or line end, a wrong byte count
 * or checksum, an unknown record type, two records writing the same byte, a missing
 * end-of-file record (a cut-off file) or anything but blank lines after it.
 */
export function parseIntelHex(input: string | Uint8Array): HexImage {
  if (input.length > MAX_HEX_FILE_BYTES)
    throw refuse(`${input.length} bytes, more than a firmware file may be (${MAX_HEX_FILE_BYTES})`);
  // latin1 maps every byte to one character: a non-ASCII byte is then refused as a non-hex digit.
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  if (text === '') throw refuse('the file is empty');
  const lines = text.split('\n');
  // A final line end leaves one empty string behind, which is no line of the file.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();

  const records: DataRecord[] = [];
  let base = 0; // from the last extended address record
  let startLine: number | undefined;
  let endLine: number | undefined;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const body = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (body.includes('\r')) throw refuse(`line ${line}: a CR that does not end the line`);
    if (endLine !== undefined) {
      if (body !== '')
        throw refuse(
          `line ${line}: text after the end-of-file record (line ${endLine}); only blank lines may follow`,
        );
      return;
    }
    if (body === '')
      throw refuse(`line ${line}: empty; every line before the end-of-file record is a record`);
    const bytes = recordBytes(body, line);
    const count = bytes[0] ?? 0;
    const offset = ((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0);
    const type = bytes[3] ?? 0;
    const data = bytes.subarray(4, 4 + count);
    if (type === DATA) {
      // The spec wraps addresses at the end of a 64 KiB segment; no toolchain relies on that for
      // an AVR, and a wrapped record would write the start of the segment: refused instead.
      if (offset + count > 0x10000)
        throw refuse(`line ${line}: the record's ${count} bytes run past the end of its 64 KiB segment`);
      if (count > 0) records.push({ line, address: base + offset, bytes: data });
      return;
    }
    const length = FIXED_LENGTH[type];
    const name = TYPE_NAME[type];
    if (length === undefined || name === undefined)
      throw refuse(
        `line ${line}: record type ${hexValue(type, 2)} is not an Intel HEX record type (00 to 05)`,
      );
    if (count !== length)
      throw refuse(
        `line ${line}: ${article(name)} ${name} record carries ${length} data bytes, not ${count}`,
      );
    if (offset !== 0 && type !== END_OF_FILE)
      throw refuse(
        `line ${line}: ${article(name)} ${name} record has address field 0000, not ${hexValue(offset, 4).slice(2)}`,
      );
    const word = ((data[0] ?? 0) << 8) | (data[1] ?? 0);
    if (type === END_OF_FILE) endLine = line;
    else if (type === EXTENDED_SEGMENT_ADDRESS) base = word * 16;
    else if (type === EXTENDED_LINEAR_ADDRESS) base = word * 0x10000;
    else {
      // Start addresses (CS:IP or EIP) mean nothing to an AVR bootloader: checked, not used.
      if (startLine !== undefined)
        throw refuse(`line ${line}: a second start address record (the first is line ${startLine})`);
      startLine = line;
    }
  });
  if (endLine === undefined)
    throw refuse(
      `no end-of-file record (:00000001FF) after line ${lines.length}: the file is cut off or not Intel HEX`,
    );
  return assemble(records);
}

/** Sorted, merged segments; two records writing one byte are refused with both lines. */
function assemble(records: DataRecord[]): HexImage {
  records.sort((a, b) => a.address - b.address || a.line - b.line);
  const segments: HexSegment[] = [];
  let run: DataRecord[] = [];
  let runEnd = 0;
  let size = 0;
  const close = (): void => {
    const first = run[0];
    if (first === undefined) return;
    const bytes = new Uint8Array(runEnd - first.address);
    for (const r of run) bytes.set(r.bytes, r.address - first.address);
    segments.push({ address: first.address, bytes });
    run = [];
  };
  let last: DataRecord | undefined;
  for (const r of records) {
    if (last !== undefined && r.address < runEnd) {
      const later = r.line > last.line ? r : last;
      const earlier = later === r ? last : r;
      const from = Math.max(r.address, last.address);
      const to = Math.min(r.address + r.bytes.length, runEnd) - 1;
      throw refuse(
        `line ${later.line}: writes ${hexValue(from, 4)}–${hexValue(to, 4)}, already written by line ${earlier.line}`,
      );
    }
    if (r.address !== runEnd) close();
    run.push(r);
    runEnd = r.address + r.bytes.length;
    size += r.bytes.length;
    last = r;
  }
  close();
  const final = segments[segments.length - 1];
  return {
    segments,
    size,
    highestAddress: final === undefined ? undefined : final.address + final.bytes.length - 1,
  };
}
