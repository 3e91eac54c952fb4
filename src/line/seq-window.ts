// De-duplication for `ack: true` devices (docs/contract.md §4.1): "A repeated seq within the last
// 256 is acknowledged again and not published twice."
//
// Why the body takes part: a window on seq alone would swallow real readings. A device that
// reboots (brown-out, watchdog, someone opening the port with DTR) starts counting again,
// so its next lines reuse seqs that are still in the window — a seq-only window would ACK
// them and publish nothing: data loss, and silent. A resend, on the other hand, is the same
// line again, byte for byte. So a line is a duplicate only if its seq is among the last 256
// committed AND its body is the same.
//
// Why seq 0 clears the window: devices start at 0 after boot and wrap 65535 → 1, so seq 0
// means "a device (re)started". Everything remembered belongs to its previous life. The one
// exception is a resend of that very first line (its ACK was lost): when the last line
// committed is seq 0 with the same body, the new line is that resend and is a duplicate.
//
// Memory is bounded: `size` entries in a ring plus a map holding at most `size` keys.
// `bodyHash` is whatever cheap fingerprint the caller chooses (hashBody below, or the body).

export type BodyHash = string | number;

export interface SeqWindow {
  /**
   * Whether the line with this seq and body was already committed. Seq 0 first clears the
   * window (a restarted device), unless it repeats the last committed line.
   */
  check(seq: number, bodyHash: BodyHash): 'new' | 'duplicate';
  /** The line's messages are durably queued and it is being ACKed: remember it. */
  commit(seq: number, bodyHash: BodyHash): void;
  /** Forget everything (the port was reopened). */
  clear(): void;
}

interface Entry {
  seq: number;
  hash: BodyHash;
}

export function createSeqWindow(size: number = 256): SeqWindow {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('size must be a positive integer');
  const ring: (Entry | undefined)[] = new Array<Entry | undefined>(size);
  const latest = new Map<number, Entry>();
  let next = 0; // the ring slot the next commit overwrites
  let last: Entry | undefined;

  function clear(): void {
    ring.fill(undefined);
    latest.clear();
    last = undefined;
  }

  return {
    check(seq, bodyHash) {
      if (seq === 0) {
        if (last !== undefined && last.seq === 0 && last.hash === bodyHash) return 'duplicate';
        clear();
        return 'new';
      }
      const entry = latest.get(seq);
      return entry !== undefined && entry.hash === bodyHash ? 'duplicate' : 'new';
    },
    commit(seq, bodyHash) {
      const slot = next;
      next = (next + 1) % size;
      const evicted = ring[slot];
      // Only forget the seq if no newer commit of the same seq replaced this entry.
      if (evicted !== undefined && latest.get(evicted.seq) === evicted) latest.delete(evicted.seq);
      const entry: Entry = { seq, hash: bodyHash };
      ring[slot] = entry;
      latest.set(seq, entry);
      last = entry;
    },
    clear,
  };
}

/**
 * A cheap 53-bit fingerprint of a line body (cyrb53-style: two 32-bit FNV-like lanes).
 * A collision would need the same seq inside the window and a different body with the same
 * 53-bit hash; far less likely than the serial line corrupting a checksummed line.
 */
export function hashBody(body: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
