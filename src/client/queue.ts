/**
 * A FIFO queue on an array with a moving head: O(1) shift without `Array.shift()`, compacted
 * when the consumed prefix grows large.
 */
export class Queue<T> {
  private items: Array<T | undefined> = [];
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
    this.head++;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes every item and returns them in order. */
  drain(): T[] {
    const out = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return out;
  }

  /** Keeps only the items for which `keep` returns true, in order. */
  filter(keep: (item: T) => boolean): void {
    this.items = (this.items.slice(this.head) as T[]).filter(keep);
    this.head = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as T;
  }
}

/** A {@link Queue} of sized items bounded by count and total bytes. */
export class BoundedQueue<T extends { bytes: number }> {
  private readonly items = new Queue<T>();
  private total = 0;

  constructor(
    readonly maxItems: number,
    readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** Sum of `bytes` of the queued items. */
  get bytes(): number {
    return this.total;
  }

  /** Appends unless `bounded` and that would pass a limit; returns whether it did. */
  push(item: T, bounded = true): boolean {
    if (
      bounded &&
      (this.items.length >= this.maxItems || this.total + item.bytes > this.maxBytes)
    ) {
      return false;
    }
    this.items.push(item);
    this.total += item.bytes;
    return true;
  }

  peek(): T | undefined {
    return this.items.peek();
  }

  shift(): T | undefined {
    const item = this.items.shift();
    if (item !== undefined) this.total -= item.bytes;
    return item;
  }

  drain(): T[] {
    this.total = 0;
    return this.items.drain();
  }

  /** Removes the items `remove` selects (in order) and returns them. */
  removeWhere(remove: (item: T) => boolean): T[] {
    const removed: T[] = [];
    this.items.filter((item) => {
      if (!remove(item)) return true;
      removed.push(item);
      this.total -= item.bytes;
      return false;
    });
    return removed;
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.items[Symbol.iterator]();
  }
}
