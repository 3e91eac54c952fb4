// What an `embedded_broker.users[].password_file` may hold (docs/contract.md §2: secrets are
// never inline): the plain password, or a hash in Mosquitto's own `mosquitto_passwd` format
// so the secret never has to sit on disk in plain text. Formats, as Mosquitto 2.0 writes them
// (src/password_mosq.c; checked against /usr/bin/mosquitto_passwd in
// test/unit/secrets/password-hash.test.ts):
//   `$7$<iterations>$<salt b64>$<hash b64>`  PBKDF2-HMAC-SHA512, 64-byte hash (2.x default)
//   `$6$<salt b64>$<hash b64>`               SHA-512(password ‖ salt) (1.6 and earlier)
// optionally as a passwd-file line `username:$7$…`; a file of several such lines (one
// mosquitto_passwd file shared by all users) is searched for the configured username.
//
// How a file is told apart: content whose first non-empty line starts with `$6$` or `$7$`,
// optionally after `name:`, is a hash file and must parse; anything else is a plain password.
// In memory only digests/hashes are kept: a plain password is reduced to its SHA-256 at once.
import { createHash, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

export type StoredPassword =
  | { kind: 'plain-digest'; digest: Buffer }
  | { kind: 'sha512'; salt: Buffer; hash: Buffer }
  | { kind: 'pbkdf2-sha512'; iterations: number; salt: Buffer; hash: Buffer };

export type ParsedPassword = { ok: true; stored: StoredPassword } | { ok: false; reason: string };

const HASH_LINE = /^(?:([^:\s]*):)?(\$[67]\$\S*)$/;
const HASH_START = /^(?:[^:\s]*:)?\$[67]\$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** SHA-512 output; Mosquitto stores exactly this many bytes for both formats. */
const HASH_BYTES = 64;
/** Far above anything sensible (Mosquitto 2.0.11 writes 101), low enough not to hang a CONNECT. */
const MAX_ITERATIONS = 10_000_000;

function sha256(value: Buffer | string): Buffer {
  return createHash('sha256').update(value).digest();
}

function looksHashed(content: string): boolean {
  const first = content.split(/\r?\n/).find((l) => l.trim() !== '');
  return first !== undefined && HASH_START.test(first.trim());
}

function decode(text: string | undefined): Buffer | undefined {
  if (text === undefined || !BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/** Parses one `$6$…` / `$7$…` string. Reasons never quote the hash itself. */
export function parseMosquittoHash(hash: string): ParsedPassword {
  const parts = hash.split('$');
  // '$7$i$s$h'.split('$') = ['', '7', i, s, h]
  if (parts[1] === '7' && parts.length === 5) {
    const iterations = Number(parts[2]);
    const salt = decode(parts[3]);
    const digest = decode(parts[4]);
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS)
      return { ok: false, reason: `$7$ hash has an invalid iteration count (1 to ${MAX_ITERATIONS})` };
    if (salt === undefined || digest?.length !== HASH_BYTES)
      return { ok: false, reason: '$7$ hash is not $7$<iterations>$<salt base64>$<64-byte hash base64>' };
    return { ok: true, stored: { kind: 'pbkdf2-sha512', iterations, salt, hash: digest } };
  }
  if (parts[1] === '6' && parts.length === 4) {
    const salt = decode(parts[2]);
    const digest = decode(parts[3]);
    if (salt === undefined || digest?.length !== HASH_BYTES)
      return { ok: false, reason: '$6$ hash is not $6$<salt base64>$<64-byte hash base64>' };
    return { ok: true, stored: { kind: 'sha512', salt, hash: digest } };
  }
  return { ok: false, reason: 'is neither a $6$ nor a $7$ mosquitto_passwd hash' };
}

/**
 * `content` is what the config loader read from `username`'s password_file (trailing newlines
 * removed). Errors name the user, never the content.
 */
export function parseStoredPassword(username: string, content: string): ParsedPassword {
  if (!looksHashed(content)) return { ok: true, stored: { kind: 'plain-digest', digest: sha256(content) } };
  const lines = content
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const entries = lines.map((l) => HASH_LINE.exec(l));
  if (entries.some((e) => e === null))
    return { ok: false, reason: 'mixes mosquitto_passwd hash lines with other text' };
  const bare = entries.filter((e) => e?.[1] === undefined);
  if (bare.length > 0 && lines.length > 1)
    return { ok: false, reason: 'has several lines; each must be username:$7$… as mosquitto_passwd writes' };
  const match = bare.length === 1 ? bare[0] : entries.find((e) => e?.[1] === username);
  if (match === undefined || match === null)
    return { ok: false, reason: `is a mosquitto_passwd file without a line for user "${username}"` };
  return parseMosquittoHash(match[2] ?? '');
}

function pbkdf2Sha512(password: Buffer, salt: Buffer, iterations: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    pbkdf2(password, salt, iterations, length, 'sha512', (error, key) =>
      error === null ? resolve(key) : reject(error),
    ),
  );
}

/**
 * True when `given` is the password. Compared with timingSafeEqual; PBKDF2 runs on the libuv
 * thread pool (crypto.pbkdf2), so the event loop keeps serving other clients meanwhile.
 */
export async function verifyPassword(stored: StoredPassword, given: Buffer): Promise<boolean> {
  switch (stored.kind) {
    case 'plain-digest':
      return timingSafeEqual(sha256(given), stored.digest);
    case 'sha512': {
      const hash = createHash('sha512').update(given).update(stored.salt).digest();
      return timingSafeEqual(hash, stored.hash);
    }
    case 'pbkdf2-sha512': {
      const hash = await pbkdf2Sha512(given, stored.salt, stored.iterations, stored.hash.length);
      return timingSafeEqual(hash, stored.hash);
    }
  }
}

/**
 * A stand-in checked for unknown usernames, costing what a real entry costs, so the time a
 * refusal takes does not tell whether the username exists. Never matches in practice.
 */
export function decoyFor(entries: readonly StoredPassword[]): StoredPassword {
  const salt = randomBytes(12);
  const hash = randomBytes(HASH_BYTES);
  let iterations = 0;
  for (const e of entries) if (e.kind === 'pbkdf2-sha512') iterations = Math.max(iterations, e.iterations);
  if (iterations > 0) return { kind: 'pbkdf2-sha512', iterations, salt, hash };
  if (entries.some((e) => e.kind === 'sha512')) return { kind: 'sha512', salt, hash };
  return { kind: 'plain-digest', digest: randomBytes(32) };
}
