/**
 * Packet identifier allocator, used by broker sessions and by the client: a bitset and a rotating
 * cursor, so an id is never reused while it is in flight and recently freed ids are not reused at
 * once. Whoever allocates an id releases it when its exchange ends. The bitset starts at 256 ids and
 * doubles only when every id is taken (up to 65,535), so a session with a small in-flight window
 * costs 32 bytes, not 8 KiB.
 */
export class PacketIdAllocator {
  private bits = new Uint32Array(8);
  /** Largest id the bitset holds. */
  private limit = 255;
  private cursor = 0;
  private used = 0;

  /** Ids currently allocated. */
  get size(): number {
    return this.used;
  }

  /** Allocates a free id (1-65535), or returns 0 when all are in use. */
  allocate(): number {
    if (this.used >= 65535) return 0;
    if (this.used >= this.limit) this.grow(this.limit + 1);
    let id = this.cursor;
    for (let n = 0; n < this.limit; n++) {
      id = id >= this.limit ? 1 : id + 1;
      const word = id >>> 5;
      const mask = 1 << (id & 31);
      const w = this.bits[word] as number;
      if ((w & mask) === 0) {
        this.bits[word] = w | mask;
        this.cursor = id;
        this.used++;
        return id;
      }
    }
    return 0;
  }

  /** Marks `id` as in use (restoring a session); returns false when it already was. */
  take(id: number): boolean {
    if (id < 1 || id > 65535) return false;
    if (id > this.limit) this.grow(id);
    const word = id >>> 5;
    const mask = 1 << (id & 31);
    const w = this.bits[word] as number;
    if ((w & mask) !== 0) return false;
    this.bits[word] = w | mask;
    this.used++;
    return true;
  }

  /** Whether `id` is in use. */
  has(id: number): boolean {
    if (id > this.limit) return false;
    return ((this.bits[id >>> 5] as number) & (1 << (id & 31))) !== 0;
  }

  /** Frees `id`; a no-op when it was not in use. */
  release(id: number): void {
    if (id > this.limit) return;
    const word = id >>> 5;
    const mask = 1 << (id & 31);
    const w = this.bits[word] as number;
    if ((w & mask) === 0) return;
    this.bits[word] = w & ~mask;
    this.used--;
  }

  /** Frees every id. */
  clear(): void {
    this.bits.fill(0);
    this.used = 0;
  }

  /** Grows the bitset to hold at least `id`. */
  private grow(id: number): void {
    let words = this.bits.length;
    while (words * 32 - 1 < id && words < 2048) words *= 2;
    const next = new Uint32Array(words);
    next.set(this.bits);
    this.bits = next;
    this.limit = Math.min(65535, words * 32 - 1);
  }
}
