// What to do with a message the broker refused (MQTT 5 §2.4: a reason code ≥ 0x80 in
// PUBACK or PUBREC is a failure). Refusals that cannot change go to the dead letters at
// once; others are retried with backoff, at most MAX_ATTEMPTS times in all.

export const MAX_ATTEMPTS = 3;

/** Reason codes that will not change by trying again (MQTT 5 §3.4.2.1). */
const PERMANENT: ReadonlyMap<number, string> = new Map([
  [0x87, 'not authorized'],
  [0x90, 'topic name invalid'],
  [0x95, 'packet too large'],
  [0x99, 'payload format invalid'],
]);

const NAMES: ReadonlyMap<number, string> = new Map([
  [0x80, 'unspecified error'],
  [0x83, 'implementation specific error'],
  [0x91, 'packet identifier in use'],
  [0x97, 'quota exceeded'],
  ...PERMANENT,
]);

export function reasonText(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')} ${NAMES.get(code) ?? 'refused'}`;
}

export type FailureDecision =
  { action: 'dead_letter'; reason: string } | { action: 'retry'; delayMs: number };

/** `attemptsBefore`: failed attempts before this one. */
export function decideOnFailure(code: number, attemptsBefore: number): FailureDecision {
  const reason = `broker refused: ${reasonText(code)}`;
  if (PERMANENT.has(code)) return { action: 'dead_letter', reason };
  const attempts = attemptsBefore + 1;
  if (attempts >= MAX_ATTEMPTS) return { action: 'dead_letter', reason: `${reason} (${attempts} attempts)` };
  return { action: 'retry', delayMs: 1000 * 2 ** (attempts - 1) };
}
