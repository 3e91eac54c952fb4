// "did you mean" for unknown keys, values and units (docs/contract.md §2: typos are caught). Pure.

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

const normalize = (s: string): string => s.toLowerCase().replace(/[-_\s]/g, '');

/**
 * Keys that other MQTT tools use for what gateway.yaml says another way, with what to write
 * here instead. Node's and MQTT.js's `rejectUnauthorized: false` is `insecure: true`:
 * verification is off only with that explicit key, never under the library's name.
 */
const FOREIGN_KEYS = new Map([['rejectunauthorized', { key: 'insecure', write: 'insecure: true' }]]);

/**
 * The known key the user most likely meant (or, for another tool's key, what to write): same letters ignoring case and `_`/`-`
 * (`baudRate`), a small edit distance (`prot`→`port`), or a prefix (`baud`→`baud_rate`).
 * `prefix: false` leaves the prefix rule out, for names that may legitimately extend a known
 * one (a port var `{portname}` is not a misspelt `{port}`).
 */
export function closestKey(
  key: string,
  candidates: readonly string[],
  { prefix = true }: { prefix?: boolean } = {},
): string | undefined {
  const foreign = FOREIGN_KEYS.get(normalize(key));
  if (foreign !== undefined && candidates.includes(foreign.key)) return foreign.write;
  let best: { name: string; score: number } | undefined;
  const lower = key.toLowerCase();
  for (const name of candidates) {
    let score: number | undefined;
    if (normalize(name) === normalize(key)) score = 0;
    else {
      const d = editDistance(lower, name);
      // Never every letter replaced: `%` is not a misspelt `K`.
      if (d <= (key.length <= 4 ? 1 : 2) && d < key.length) score = d;
      else if (prefix && key.length >= 3 && (name.startsWith(lower) || lower.startsWith(name))) score = 3;
    }
    if (score !== undefined && (best === undefined || score < best.score)) best = { name, score };
  }
  return best?.name;
}

/** The unit meant by an unknown name: `C` → `°C`, `kwh` → `kWh`, else the closest spelling. */
export function closestUnit(name: string, units: readonly string[]): string | undefined {
  const fold = (u: string): string => u.toLowerCase();
  return (
    units.find((u) => fold(u) === fold(`°${name}`)) ??
    units.find((u) => fold(u) === fold(name)) ??
    closestKey(name, units, { prefix: false })
  );
}
