// Which integrity envelope a device uses (docs/contract.md §4.1: `[#<seq> ]<body>[*HH]`),
// told by the daemon's own parser (line/envelope.ts), never by a second one: a line "has a
// checksum" when parseEnvelope accepts its `*HH`, "has a seq" when it accepts its `#<seq> `.
import type { ChecksumMode } from '../line/envelope.ts';
import { parseEnvelope } from '../line/envelope.ts';

/** One line taken apart as far as it can be, before the profile's envelope is known. */
export interface PeeledLine {
  /** The line without a valid `*HH` and without a `#<seq> ` prefix. */
  body: string;
  /** It ended in a `*HH` that matches its bytes. */
  checksum: boolean;
  /** It ended in `*HH` that does not match: corrupted, or text that merely looks like one. */
  badChecksum: boolean;
  /** Its `#<seq> `, when it starts with one. */
  seq: number | null;
}

export function peelEnvelope(text: string): PeeledLine {
  const summed = parseEnvelope(text, { checksum: 'optional', ack: false });
  const checksum = summed.ok && summed.body !== text;
  const badChecksum = !summed.ok && summed.reason === 'checksum_mismatch';
  const inner = summed.ok ? summed.body : text;
  const sequenced = parseEnvelope(inner, { checksum: 'none', ack: true });
  if (sequenced.ok) return { body: sequenced.body, checksum, badChecksum, seq: sequenced.seq };
  return { body: inner, checksum, badChecksum, seq: null };
}

export interface EnvelopeGuess {
  checksum: ChecksumMode;
  ack: boolean;
  /** Why, for the profile's comments. */
  notes: string[];
}

/**
 * Decided on the lines that are readings (those the format fits), so a boot banner without
 * a checksum does not make it look optional: `required` when every reading carried a valid
 * `*HH`, `optional` when some did, `none` when none did; `ack` when most readings carried a
 * `#<seq> ` (the others would then be refused, and the report names them).
 */
export function guessEnvelope(readings: readonly PeeledLine[]): EnvelopeGuess {
  const n = readings.length;
  const summed = readings.filter((l) => l.checksum).length;
  const sequenced = readings.filter((l) => l.seq !== null).length;
  const notes: string[] = [];
  let checksum: ChecksumMode = 'none';
  if (n > 0 && summed === n) {
    checksum = 'required';
    notes.push(
      `checksum: every reading (${n}) ended in a valid *HH; if the firmware can leave it out, use optional`,
    );
  } else if (summed > 0) {
    checksum = 'optional';
    notes.push(`checksum: ${summed} of ${n} readings ended in a valid *HH, the others in none`);
  }
  const ack = n > 0 && sequenced * 2 > n;
  if (ack)
    notes.push(
      `ack: ${sequenced} of ${n} readings started with "#<seq> "; the gateway will answer ACK/NAK <seq>`,
    );
  return { checksum, ack, notes };
}
