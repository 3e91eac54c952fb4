// A Map and a Set of numeric ids, for the tables that churn on the hot path: a message is
// added when it is sent, leased or staged and deleted when the broker acknowledges it,
// thousands of times a second, with a few dozen entries at any moment.
//
// Why not a plain Map or Set: V8 keeps their entries in a hash table that it replaces every
// few dozen adds when deletions have left holes, and again when deletions shrink it. The
// replaced table is not cleared: it still points at the values it held and at the table that
// replaced it. When one of those tables has reached the old generation, a scavenge (which
// does not trace the old generation, only its pointers into the young one) keeps every later
// table alive, and every value in them, so nearly every message that passes through is
// promoted and dies there. At 1,000 lines/s that made each scavenge copy ~0.5 MB and pause
// the gateway 3–8 ms instead of 1–2 (docs/performance.md, seventh round). Even a table of
// small integers, which keeps no message alive, was promoted table after table (the eighth
// round found them 40 % of what a QoS 0 scavenge promoted).
//
// So these tables allocate only when they grow. The entries sit in insertion order in arrays
// that are compacted in place; an open-addressing index of typed integers finds them. An
// array that is replaced is emptied first, so a dead copy keeps nothing alive.
// Iteration follows a Map's rules for changes made during it: a deleted entry not yet
// reached is skipped, an added one is visited. (While an iterator is open the arrays grow
// instead of compacting; an iterator left unfinished, neither exhausted nor closed by a
// `break`, keeps them growing until the table is cleared.)

/** Entries at first, and the most kept once the table empties after a burst. */
const INITIAL_CAPACITY = 16;
const SHRINK_ABOVE = 1024;
/** Marks a deleted entry in `ids` (NaN equals nothing, so no lookup can match it). */
const DELETED = Number.NaN;

export class IdMap<V> {
  /** Ids in insertion order, DELETED where an entry was removed; positions below `end` are used. */
  private ids = new Float64Array(INITIAL_CAPACITY);
  private vals: (V | undefined)[] = new Array<V | undefined>(INITIAL_CAPACITY).fill(undefined);
  private end = 0;
  /** No live entry sits below this position. */
  private head = 0;
  private count = 0;
  /** Open addressing with linear probing: position + 1 of an entry, 0 for an empty bucket. */
  private index = new Int32Array(INITIAL_CAPACITY * 2);
  private iterators = 0;

  get size(): number {
    return this.count;
  }

  has(id: number): boolean {
    return this.find(id) >= 0;
  }

  get(id: number): V | undefined {
    const position = this.find(id);
    return position < 0 ? undefined : this.vals[position];
  }

  set(id: number, value: V): this {
    const position = this.find(id);
    if (position >= 0) {
      this.vals[position] = value;
      return this;
    }
    if (Number.isNaN(id)) throw new TypeError('IdMap: an id must be a number other than NaN');
    if (this.end === this.ids.length) this.makeRoom();
    const fresh = this.end;
    this.ids[fresh] = id === 0 ? 0 : id; // -0 is stored as 0, as a Map does
    this.vals[fresh] = value;
    this.end += 1;
    this.count += 1;
    this.indexInsert(id, fresh);
    return this;
  }

  delete(id: number): boolean {
    const bucket = this.bucketOf(id);
    if (bucket < 0) return false;
    const position = (this.index[bucket] as number) - 1;
    this.indexRemove(bucket);
    this.ids[position] = DELETED;
    this.vals[position] = undefined;
    this.count -= 1;
    while (this.head < this.end && Number.isNaN(this.ids[this.head])) this.head += 1;
    if (this.count === 0 && this.iterators === 0) this.startOver();
    return true;
  }

  clear(): void {
    this.ids.fill(DELETED, this.head, this.end);
    this.vals.fill(undefined, this.head, this.end);
    this.index.fill(0);
    this.count = 0;
    // An open iterator goes on from here and visits what is added after the clear.
    if (this.iterators > 0) this.head = this.end;
    else this.startOver();
  }

  *entries(): IterableIterator<[number, V]> {
    this.iterators += 1;
    try {
      for (let position = this.head; position < this.end; position += 1) {
        const id = this.ids[position] as number;
        if (!Number.isNaN(id)) yield [id, this.vals[position] as V];
      }
    } finally {
      this.iterators -= 1;
    }
  }

  *keys(): IterableIterator<number> {
    this.iterators += 1;
    try {
      for (let position = this.head; position < this.end; position += 1) {
        const id = this.ids[position] as number;
        if (!Number.isNaN(id)) yield id;
      }
    } finally {
      this.iterators -= 1;
    }
  }

  *values(): IterableIterator<V> {
    this.iterators += 1;
    try {
      for (let position = this.head; position < this.end; position += 1)
        if (!Number.isNaN(this.ids[position])) yield this.vals[position] as V;
    } finally {
      this.iterators -= 1;
    }
  }

  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries();
  }

  /**
   * Empty, with no iterator open: start at the front again, and after a burst (an outage's
   * backlog draining) at the first size, not the burst's for the life of the process.
   */
  private startOver(): void {
    this.end = 0;
    this.head = 0;
    if (this.ids.length > SHRINK_ABOVE) this.resize(INITIAL_CAPACITY);
  }

  /** The arrays are full: compact them in place if half is deleted, else double them. */
  private makeRoom(): void {
    if (this.iterators === 0 && this.count <= this.ids.length / 2) this.compact();
    else this.resize(this.ids.length * 2);
  }

  /** Moves the live entries to the front, in order, and rebuilds the index. */
  private compact(): void {
    let to = 0;
    for (let from = this.head; from < this.end; from += 1) {
      const id = this.ids[from] as number;
      if (Number.isNaN(id)) continue;
      this.ids[to] = id;
      this.vals[to] = this.vals[from];
      to += 1;
    }
    this.ids.fill(DELETED, to, this.end);
    this.vals.fill(undefined, to, this.end);
    this.end = to;
    this.head = 0;
    this.reindex(this.index.length);
  }

  /** New arrays of `capacity` entries (≥ the used positions), the old ones emptied. */
  private resize(capacity: number): void {
    const ids = new Float64Array(capacity).fill(DELETED);
    const vals = new Array<V | undefined>(capacity).fill(undefined);
    ids.set(this.ids.subarray(0, this.end));
    for (let position = this.head; position < this.end; position += 1) vals[position] = this.vals[position];
    // The old array may already be in the old generation: emptied, it keeps no value alive.
    this.vals.fill(undefined);
    this.ids = ids;
    this.vals = vals;
    this.reindex(capacity * 2);
  }

  private reindex(buckets: number): void {
    if (this.index.length === buckets) this.index.fill(0);
    else this.index = new Int32Array(buckets);
    for (let position = this.head; position < this.end; position += 1) {
      const id = this.ids[position] as number;
      if (!Number.isNaN(id)) this.indexInsert(id, position);
    }
  }

  private find(id: number): number {
    const bucket = this.bucketOf(id);
    return bucket < 0 ? -1 : (this.index[bucket] as number) - 1;
  }

  /** The bucket that holds `id`, or -1. */
  private bucketOf(id: number): number {
    const mask = this.index.length - 1;
    for (let bucket = hash(id) & mask; ; bucket = (bucket + 1) & mask) {
      const entry = this.index[bucket] as number;
      if (entry === 0) return -1;
      if (this.ids[entry - 1] === id) return bucket;
    }
  }

  private indexInsert(id: number, position: number): void {
    const mask = this.index.length - 1;
    let bucket = hash(id) & mask;
    while (this.index[bucket] !== 0) bucket = (bucket + 1) & mask;
    this.index[bucket] = position + 1;
  }

  /**
   * Empties a bucket and moves later entries of its probe run back into the gap, so that
   * every lookup still finds its entry before an empty bucket (backward-shift deletion for
   * linear probing; no tombstones to clean up later).
   */
  private indexRemove(bucket: number): void {
    const mask = this.index.length - 1;
    let gap = bucket;
    for (let next = (gap + 1) & mask; ; next = (next + 1) & mask) {
      const entry = this.index[next] as number;
      if (entry === 0) break;
      const home = hash(this.ids[entry - 1] as number) & mask;
      // The entry may move into the gap only if its home is not between the gap and it.
      if (((next - home) & mask) >= ((next - gap) & mask)) {
        this.index[gap] = entry;
        gap = next;
      }
    }
    this.index[gap] = 0;
  }
}

/** A set of numeric ids with IdMap's allocation rules (see above). */
export class IdSet {
  private readonly map = new IdMap<true>();

  get size(): number {
    return this.map.size;
  }

  has(id: number): boolean {
    return this.map.has(id);
  }

  add(id: number): this {
    this.map.set(id, true);
    return this;
  }

  delete(id: number): boolean {
    return this.map.delete(id);
  }

  clear(): void {
    this.map.clear();
  }

  keys(): IterableIterator<number> {
    return this.map.keys();
  }

  values(): IterableIterator<number> {
    return this.map.keys();
  }

  [Symbol.iterator](): IterableIterator<number> {
    return this.map.keys();
  }
}

/**
 * The id's low 32 bits, with the high ones folded in. The ids here are counters (queue rows,
 * packet ids): a window of consecutive ids lands in distinct buckets, which is the best case
 * for linear probing. They are the gateway's own numbers, never a device's or a client's, so
 * nobody can choose ids that collide.
 */
function hash(id: number): number {
  return (id ^ (id / 4294967296)) >>> 0;
}
