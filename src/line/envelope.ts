// Integrity and acknowledgement around a line body, for every line format (docs/contract.md §4.1):
//
//   [#<seq> ]<body>[*HH]
//
// - `#<seq> `: present when the profile says `ack: true`; seq is decimal 0–65535 (1 to 5
//   digits, no sign), followed by exactly one space.
// - `*HH`: the NMEA-style checksum, HH = XOR of every UTF-8 byte before the `*`, as two hex
//   digits in either case. The XOR covers the `#<seq> ` prefix too, so a corrupted seq is
//   caught like a corrupted reading (the device computes it over exactly what it prints
//   before the `*`).
//
// The checksum is taken off first (it is the outermost layer), then the seq prefix.
import type { DiscardReason } from '../pipeline/types.ts';
import { quote } from '../log/detail.ts';

export type ChecksumMode = 'none' | 'optional' | 'required';

export interface EnvelopeOptions {
  checksum: ChecksumMode;
  ack: boolean;
}

/**
 * `seq` is the parsed sequence number whenever it could be read — also on a checksum
 * failure, so the gateway can answer `NAK <seq> checksum` and the device resends at once.
 * If the corruption hit the seq digits themselves, the NAK names a seq the device does not
 * have pending; the device only resends what it has pending, so such a NAK is harmless and
 * the device falls back on its own resend timeout.
 */
export type EnvelopeResult =
  | { ok: true; body: string; seq: number | null }
  | { ok: false; reason: DiscardReason; detail: string; seq: number | null };

/** The one-word reasons of `NAK <seq> <reason>` (docs/contract.md §4.1); stable, devices may match them. */
export type NakReason = 'checksum' | 'envelope' | 'parse' | 'invalid' | 'topic' | 'full';

const MAX_SEQ = 65535;
const STAR = 0x2a;
const HASH = 0x23;
const SPACE = 0x20;

export function parseEnvelope(line: string, opts: EnvelopeOptions): EnvelopeResult {
  let text = line;
  let claimed: number | null = null;
  if (opts.checksum !== 'none') {
    // `none` never strips: a `*HH` is then part of the body like any other text.
    claimed = readChecksumSuffix(line);
    if (claimed !== null) text = line.slice(0, -3);
  }

  let seq: number | null = null;
  let body = text;
  let envelopeError: string | null = null;
  if (opts.ack) {
    const prefix = readSeqPrefix(text);
    if (typeof prefix === 'string') envelopeError = prefix;
    else {
      seq = prefix.seq;
      body = text.slice(prefix.length);
    }
  }

  if (claimed === null && opts.checksum === 'required')
    return { ok: false, reason: 'checksum_missing', detail: 'the line does not end in *HH', seq };
  if (claimed !== null) {
    const actual = xorUtf8(text);
    if (actual !== claimed)
      return {
        ok: false,
        reason: 'checksum_mismatch',
        detail: `the line says *${hex2(claimed)} but its bytes give *${hex2(actual)}`,
        seq,
      };
  }
  if (envelopeError !== null) return { ok: false, reason: 'bad_envelope', detail: envelopeError, seq: null };
  return { ok: true, body, seq };
}

/** The NMEA-style checksum of `text`: XOR of its UTF-8 bytes, two uppercase hex digits. */
export function xorChecksum(text: string): string {
  return hex2(xorUtf8(text));
}

/** What a device prints (without the newline): `#<seq> <body>*HH` as the options ask. */
export function formatEnvelope(body: string, opts: { seq?: number | null; checksum?: boolean }): string {
  const text = opts.seq === undefined || opts.seq === null ? body : `#${opts.seq} ${body}`;
  return opts.checksum === true ? `${text}*${xorChecksum(text)}` : text;
}

export function formatAck(seq: number): string {
  return `ACK ${seq}\n`;
}

export function formatNak(seq: number, reason: NakReason): string {
  return `NAK ${seq} ${reason}\n`;
}

/** The NAK word for a discard reason. */
export function nakReasonFor(reason: DiscardReason): NakReason {
  switch (reason) {
    case 'checksum_missing':
    case 'checksum_mismatch':
      return 'checksum';
    case 'bad_envelope':
      return 'envelope';
    case 'no_valid_fields':
    case 'unknown_key':
      return 'invalid';
    case 'topic_rejected':
      return 'topic';
    case 'queue_full':
      return 'full';
    default:
      return 'parse';
  }
}

/** The value of a trailing `*HH`, or null when the line does not end in one. */
function readChecksumSuffix(line: string): number | null {
  const n = line.length;
  if (n < 3 || line.charCodeAt(n - 3) !== STAR) return null;
  const hi = hexDigit(line.charCodeAt(n - 2));
  const lo = hexDigit(line.charCodeAt(n - 1));
  return hi < 0 || lo < 0 ? null : (hi << 4) | lo;
}

/** `#<seq> ` at the start of `text`: the seq and the prefix length, or why not. */
function readSeqPrefix(text: string): { seq: number; length: number } | string {
  if (text.charCodeAt(0) !== HASH) return `expected "#<seq> " at the start, got ${quote(text, 8)}`;
  let i = 1;
  let seq = 0;
  while (i < text.length && i <= 6) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    seq = seq * 10 + (c - 0x30);
    i++;
  }
  const digits = i - 1;
  if (digits === 0 || digits > 5) return `the seq after "#" must be 1 to 5 digits, got ${quote(text, 8)}`;
  if (seq > MAX_SEQ) return `seq ${seq} is above ${MAX_SEQ}`;
  if (text.charCodeAt(i) !== SPACE) return `expected one space after "#${text.slice(1, i)}"`;
  return { seq, length: i + 1 };
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

/**
 * XOR of the UTF-8 encoding of `text`, computed without allocating a Buffer per line.
 * A lone surrogate counts as U+FFFD, exactly as Buffer.from(text) would encode it.
 */
function xorUtf8(text: string): number {
  let x = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      x ^= c;
      continue;
    }
    if (c < 0x800) {
      x ^= (0xc0 | (c >> 6)) ^ (0x80 | (c & 0x3f));
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        x ^=
          (0xf0 | (cp >> 18)) ^
          (0x80 | ((cp >> 12) & 0x3f)) ^
          (0x80 | ((cp >> 6) & 0x3f)) ^
          (0x80 | (cp & 0x3f));
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    x ^= (0xe0 | (c >> 12)) ^ (0x80 | ((c >> 6) & 0x3f)) ^ (0x80 | (c & 0x3f));
  }
  return x;
}
