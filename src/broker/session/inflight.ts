/**
 * Outbound deliveries in flight, by packet id (1-65535), iterated in the order they were added.
 *
 * A `Map` with one set and one delete per acknowledged message keeps leaving deleted entries
 * behind and rebuilds its table every few hundred messages: garbage on the hottest path of
 * QoS 1 and 2. This is an open-addressing table (linear probing, deletion by backward shift, so
 * no tombstones) that allocates only when it grows. Insertion order is kept as a number per
 * entry and only sorted on the rare paths that iterate (resend on resume, session end).
 */
export class InflightTable<V> {
  /** Packet id per slot; 0 = empty. */
  private keys = new Uint16Array(MIN_CAPACITY);
  private vals: Array<V | undefined> = new Array(MIN_CAPACITY);
  /** Insertion number per slot, for iteration order. */
  private order = new Float64Array(MIN_CAPACITY);
  private added = 0;
  private count = 0;
  /** 32 - log2(capacity): {@link hash} keeps the top bits. */
  private shift = 32 - Math.log2(MIN_CAPACITY);

  get size(): number {
    return this.count;
  }

  get(id: number): V | undefined {
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let i = hash(id, this.shift); ; i = (i + 1) & mask) {
      const k = keys[i] as number;
      if (k === id) return this.vals[i];
      if (k === 0) return undefined;
    }
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds or replaces; a replaced entry keeps its place in the order (as a `Map` does). */
  set(id: number, value: V): this {
    if (!(id >= 1 && id <= 0xffff && (id | 0) === id)) {
      throw new RangeError(`packet id ${id} is not 1..65535`);
    }
    if ((this.count + 1) * 2 > this.keys.length) this.resize(this.keys.length * 2);
    this.insert(id, value, -1);
    return this;
  }

  delete(id: number): boolean {
    const keys = this.keys;
    const mask = keys.length - 1;
    let i = hash(id, this.shift);
    for (;;) {
      const k = keys[i] as number;
      if (k === 0) return false;
      if (k === id) break;
      i = (i + 1) & mask;
    }
    // Backward shift: move later entries of the probe run into the hole when their home slot
    // does not lie (cyclically) between the hole and their current slot.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const k = keys[j] as number;
      if (k === 0) break;
      const home = hash(k, this.shift);
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (stays) continue;
      keys[hole] = k;
      this.vals[hole] = this.vals[j];
      this.order[hole] = this.order[j] as number;
      hole = j;
    }
    keys[hole] = 0;
    this.vals[hole] = undefined;
    this.count--;
    // Give back the memory of a burst (hysteresis: it grew at half full).
    if (this.count * 8 < keys.length && keys.length > MIN_CAPACITY) this.resize(keys.length / 2);
    return true;
  }

  /** The values in the order they were added (a snapshot: the table may change meanwhile). */
  values(): V[] {
    const slots: number[] = [];
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) slots.push(i);
    const order = this.order;
    slots.sort((a, b) => (order[a] as number) - (order[b] as number));
    return slots.map((i) => this.vals[i] as V);
  }

  clear(): void {
    this.keys.fill(0);
    this.vals.fill(undefined);
    this.count = 0;
  }

  private insert(id: number, value: V, at: number): void {
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let i = hash(id, this.shift); ; i = (i + 1) & mask) {
      const k = keys[i] as number;
      if (k === id) {
        this.vals[i] = value;
        return;
      }
      if (k === 0) {
        keys[i] = id;
        this.vals[i] = value;
        this.order[i] = at >= 0 ? at : this.added++;
        this.count++;
        return;
      }
    }
  }

  private resize(cap: number): void {
    const keys = this.keys;
    const vals = this.vals;
    const order = this.order;
    this.keys = new Uint16Array(cap);
    this.shift = 32 - Math.log2(cap);
    this.vals = new Array(cap);
    this.order = new Float64Array(cap);
    this.count = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as number;
      if (k !== 0) this.insert(k, vals[i] as V, order[i] as number);
    }
  }
}

const MIN_CAPACITY = 16;

/**
 * Fibonacci hashing: the top bits of id × 2^32/φ. The allocator hands out ids in rotation, so the
 * ids in flight are a window of consecutive numbers; placed at their own index they would form
 * one long run that every deletion had to scan to its end.
 */
function hash(id: number, shift: number): number {
  return Math.imul(id, 0x9e3779b1) >>> shift;
}
