// The committed `#seq` marks of each port (docs/contract.md §4.1, outbox.ts SeqMark): the last
// 256 per port, oldest first, from which a line runner rebuilds its de-duplication window.
//
// Keys of the form `<scope>\u0000<name>` are many keys under one scope: an MQTT-SN port keeps
// one window per ClientId (mqttsn/client-state.ts markKey). Devices choose ClientIds, so
// a mark may carry a bound on the keys of its scope; past it the least recently marked key
// is forgotten with all its marks (and the durable store deletes its rows).
import type { SeqMark } from './outbox.ts';

/** How many marks a port keeps: the de-duplication window of docs/contract.md §4.1. */
export const SEQ_MARKS_KEPT = 256;

/** The scope of a key `<scope>\u0000<name>`, or null for a plain port name. */
export function scopeOf(key: string): string | null {
  const at = key.indexOf('\u0000');
  return at < 0 ? null : key.slice(0, at);
}

export class SeqMarks {
  private readonly byPort = new Map<string, SeqMark[]>();
  /** Per scope, its keys, least recently marked first (a Map keeps insertion order). */
  private readonly scopes = new Map<string, Map<string, true>>();

  /** Adds a committed mark; returns the keys forgotten to keep its scope within its bound. */
  add(mark: SeqMark): string[] {
    const list = this.byPort.get(mark.port) ?? [];
    list.push({ port: mark.port, seq: mark.seq, hash: mark.hash });
    if (list.length > SEQ_MARKS_KEPT) list.splice(0, list.length - SEQ_MARKS_KEPT);
    this.byPort.set(mark.port, list);
    const scope = scopeOf(mark.port);
    if (scope === null) return [];
    const keys = this.scopes.get(scope) ?? new Map<string, true>();
    keys.delete(mark.port);
    keys.set(mark.port, true);
    this.scopes.set(scope, keys);
    const evicted: string[] = [];
    if (mark.keysInScope === undefined) return evicted;
    for (const key of keys.keys()) {
      if (keys.size <= mark.keysInScope) break;
      keys.delete(key);
      this.byPort.delete(key);
      evicted.push(key);
    }
    return evicted;
  }

  /** Forgets every mark under `key` (a session that ended for good). */
  forget(key: string): void {
    this.byPort.delete(key);
    const scope = scopeOf(key);
    if (scope !== null) this.scopes.get(scope)?.delete(key);
  }

  has(key: string): boolean {
    return this.byPort.has(key);
  }

  of(port: string): readonly SeqMark[] {
    return [...(this.byPort.get(port) ?? [])];
  }
}
