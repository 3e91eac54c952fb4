// Discard details end up in logs and status pages. Device input is untrusted and can be up
// to line.max_bytes long, so every echo of it is shortened and made printable: a detail is
// always short, one line, and free of control characters (ARCHITECTURE.md: every buffer is
// bounded).

const MAX_QUOTED = 32;

/** `"temp=2…"`: device text, JSON-quoted (control characters escaped) and shortened. */
export function quote(text: string, max: number = MAX_QUOTED): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}
