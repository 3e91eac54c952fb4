// Discard details end up in logs and status pages. Device input is untrusted and can be up
// to line.max_bytes long, so every echo of it is shortened and made printable: a detail is
// always short, one line, and free of control characters (docs/architecture.md: every buffer is
// bounded).

const MAX_QUOTED = 32;

/** `"temp=2…"`: device text, JSON-quoted (control characters escaped) and shortened. */
export function quote(text: string, max: number = MAX_QUOTED): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

/**
 * Device text inside a log message (not a field: JSON logs escape those, but pretty mode
 * prints the message as it is): control characters — C0, DEL, C1 — and invisible format
 * characters (bidi overrides) as `\u{…}`, so an MQTT-SN ClientId holding `ESC [2J` cannot
 * clear or rewrite the operator's terminal. A backslash is doubled to keep it unambiguous.
 */
export function printable(text: string): string {
  return text.replace(/[\\\p{Cc}\p{Cf}]/gu, (c) =>
    c === '\\' ? '\\\\' : `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`,
  );
}
