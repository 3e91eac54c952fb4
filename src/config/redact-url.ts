// The one place a broker URL loses its credentials before it is shown anywhere: logs,
// gateway/health, /status.json, `tty2mqtt check`. A password may hold any character,
// `@`, `:`, `/` and `%` included, when the user pastes it into the URL unencoded.
//
// RFC 3986 §3.2.1 puts userinfo before the authority's `@`; a host never contains `@`
// (§3.2.2), so the userinfo is everything up to the LAST `@`, not the first. The search
// for it does not stop at `/`, `?` or `#` either: an unencoded `/` in a password would
// otherwise end the authority early and leave the rest of the password in the "path".
// Over-removal (an `@` inside a real path) only hides a harmless part of a URL; under-
// removal leaks a secret, so this errs on the side of removing.

/** `url` with everything between `scheme://` and the last `@` removed. */
export function redactUrl(url: string): string {
  const schemeEnd = url.indexOf('://');
  const start = schemeEnd === -1 ? 0 : schemeEnd + 3;
  const at = url.lastIndexOf('@');
  if (at < start) return url;
  return url.slice(0, start) + url.slice(at + 1);
}
