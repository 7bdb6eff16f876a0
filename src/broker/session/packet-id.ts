/**
 * Packet identifier allocator: a 65,535-bit bitset and a rotating cursor, so an id is never
 * reused while it is in flight and recently freed ids are not reused at once.
 */
export class PacketIdAllocator {
  private readonly bits = new Uint32Array(2048);
  private cursor = 0;
  private used = 0;

  /** Ids currently allocated. */
  get size(): number {
    return this.used;
  }

  /** Allocates a free id (1-65535), or returns 0 when all are in use. */
  allocate(): number {
    if (this.used >= 65535) return 0;
    let id = this.cursor;
    for (let n = 0; n < 65535; n++) {
      id = id >= 65535 ? 1 : id + 1;
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
    return ((this.bits[id >>> 5] as number) & (1 << (id & 31))) !== 0;
  }

  /** Frees `id`; a no-op when it was not in use. */
  release(id: number): void {
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
}
