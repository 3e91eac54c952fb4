// Human units in gateway.yaml: durations (`120s`, `7d`, `250ms`) and sizes (`256MiB`).
// Plain numbers are accepted too: milliseconds for durations, bytes for sizes. And the way
// back for log lines and warnings: a delay as `500 ms` or `1.5 s`.

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$/;

/** The texts parseDuration and parseSize accept (they trim first), for the JSON Schema editors use. */
export const DURATION_TEXT = `^\\s*${DURATION_RE.source.slice(1, -1)}\\s*$`;
export const SIZE_TEXT = `^\\s*${SIZE_RE.source.slice(1, -1)}\\s*$`;

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (DURATION_UNITS[m[2] ?? 'ms'] ?? 1));
}

/** Bytes, or undefined when the text is not a size. */
export function parseSize(text: string): number | undefined {
  const m = SIZE_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (SIZE_UNITS[m[2] ?? 'B'] ?? 1));
}

/** `500 ms`, `1.5 s`, `30 s` — for log lines and `check` warnings. */
export function formatDelay(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}
