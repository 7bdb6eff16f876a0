/**
 * A growable ring buffer: O(1) push/shift without `Array.shift()` re-indexing. Capacity doubles
 * when full (starting small so idle sessions stay cheap) and never shrinks below its start size.
 */
export class FixedQueue<T> {
  private buf: Array<T | undefined>;
  private head = 0;
  private tail = 0;
  private count = 0;

  constructor(initialCapacity = 16) {
    let cap = 4;
    while (cap < initialCapacity) cap <<= 1;
    this.buf = new Array<T | undefined>(cap);
  }

  /** Number of queued items. */
  get length(): number {
    return this.count;
  }

  /** Appends an item at the tail. */
  push(item: T): void {
    if (this.count === this.buf.length) this.grow();
    this.buf[this.tail] = item;
    this.tail = (this.tail + 1) & (this.buf.length - 1);
    this.count++;
  }

  /** Inserts an item at the head (used to put back an item that could not be sent). */
  unshift(item: T): void {
    if (this.count === this.buf.length) this.grow();
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = item;
    this.count++;
  }

  /** Removes and returns the head item, or undefined when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.count--;
    return item;
  }

  /** The head item without removing it. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.buf[this.head];
  }

  /** The i-th item from the head (0-based), or undefined when out of range. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.buf[(this.head + i) & (this.buf.length - 1)];
  }

  /** Removes the i-th item from the head, shifting later items (O(n): for rare paths only). */
  removeAt(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    const mask = this.buf.length - 1;
    const item = this.buf[(this.head + i) & mask];
    for (let j = i; j < this.count - 1; j++) {
      this.buf[(this.head + j) & mask] = this.buf[(this.head + j + 1) & mask];
    }
    this.tail = (this.tail - 1) & mask;
    this.buf[this.tail] = undefined;
    this.count--;
    return item;
  }

  /** Removes every item. */
  clear(): void {
    this.buf.fill(undefined);
    this.head = 0;
    this.tail = 0;
    this.count = 0;
  }

  /** Iterates head to tail without removing. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) {
      yield this.buf[(this.head + i) & (this.buf.length - 1)] as T;
    }
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.buf.length * 2);
    for (let i = 0; i < this.count; i++) {
      next[i] = this.buf[(this.head + i) & (this.buf.length - 1)];
    }
    this.buf = next;
    this.head = 0;
    this.tail = this.count;
  }
}
