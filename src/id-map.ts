// A Map from numeric ids to values, for the tables that churn on the hot path: a message is
// added when it is sent or staged and deleted when the broker acknowledges it, thousands of
// times a second, with a few dozen entries at any moment.
//
// Why not a plain Map: V8 keeps a Map's entries in a hash table that it replaces (rehashes)
// every few dozen adds when deletions have left holes. The replaced table is not cleared: it
// still points at the values it held and at the table that replaced it. When one of those
// tables has reached the old generation, a scavenge (which does not trace the old generation,
// only its pointers into the young one) keeps every later table alive, and every value in
// them, so nearly every message that passes through the Map is promoted and dies there. At
// 1,000 lines/s that made each scavenge copy ~0.5 MB and pause the gateway 3–8 ms instead of
// 1–2 (docs/performance.md, seventh round).
//
// Here the Map holds only slot numbers — small integers, which a stale table cannot keep
// alive — and the values sit in an array whose slot is emptied on delete. (The stale tables
// themselves are still promoted, but they are a few hundred bytes each, not a message.)
// Iteration is in insertion order, with a Map's rules for changes during iteration.

/** Slots kept when the map empties; above this the arrays are let go. */
const SHRINK_ABOVE = 1024;

export class IdMap<V> {
  private readonly slotOf = new Map<number, number>();
  private slots: (V | undefined)[] = [];
  private free: number[] = [];

  get size(): number {
    return this.slotOf.size;
  }

  has(id: number): boolean {
    return this.slotOf.has(id);
  }

  get(id: number): V | undefined {
    const slot = this.slotOf.get(id);
    return slot === undefined ? undefined : this.slots[slot];
  }

  set(id: number, value: V): this {
    const slot = this.slotOf.get(id);
    if (slot !== undefined) {
      this.slots[slot] = value;
      return this;
    }
    const fresh = this.free.pop() ?? this.slots.length;
    this.slots[fresh] = value;
    this.slotOf.set(id, fresh);
    return this;
  }

  delete(id: number): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    this.slotOf.delete(id);
    this.slots[slot] = undefined;
    if (this.slotOf.size === 0 && this.slots.length > SHRINK_ABOVE) {
      // Empty after a burst (an outage's backlog draining): the arrays start over instead
      // of keeping the burst's length for the life of the process.
      this.slots = [];
      this.free = [];
    } else this.free.push(slot);
    return true;
  }

  clear(): void {
    this.slotOf.clear();
    this.slots = [];
    this.free = [];
  }

  *keys(): IterableIterator<number> {
    yield* this.slotOf.keys();
  }

  *values(): IterableIterator<V> {
    for (const slot of this.slotOf.values()) yield this.slots[slot] as V;
  }

  *entries(): IterableIterator<[number, V]> {
    for (const [id, slot] of this.slotOf) yield [id, this.slots[slot] as V];
  }

  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries();
  }
}
