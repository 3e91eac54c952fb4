// A first-in first-out list with O(1) push/shift that never copies on shift: an array with a
// moving head, compacted when the dead prefix dominates. Bounded by its owner, not here.

export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /**
   * Inserts an item where `before` says it belongs, scanning from the front: returned
   * leases are few and belong near the front, so this stays cheap in practice.
   */
  insertOrdered(item: T, before: (a: T, b: T) => boolean): void {
    let i = this.head;
    while (i < this.items.length && !before(item, this.items[i] as T)) i += 1;
    if (i === this.head && this.head > 0) {
      this.head -= 1;
      this.items[this.head] = item;
    } else {
      this.items.splice(i, 0, item);
    }
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i += 1) yield this.items[i] as T;
  }
}
