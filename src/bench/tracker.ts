// Per (publisher, subscriber) sequence tracking: counts unique messages, duplicates and gaps.
// Messages of one publisher normally arrive in order, so the common case is one comparison;
// a gap is remembered (bounded) so a late arrival is not mistaken for a duplicate.

const MAX_MISSING = 1_000_000;

/** Sequence numbers seen from one publisher by one subscriber. */
export class SequenceTracker {
  /** Next sequence number expected. */
  next: number;
  unique = 0;
  duplicates = 0;
  private missing: Set<number> | undefined;
  /** Gaps not remembered because the set was full. */
  private overflow = 0;

  /** `first` = the first sequence expected, or -1 to start at whatever arrives first. */
  constructor(first = 0) {
    this.next = first;
  }

  /** Records `seq`; true if it was seen for the first time. */
  see(seq: number): boolean {
    if (seq === this.next) {
      this.next++;
      this.unique++;
      return true;
    }
    if (this.next < 0) {
      this.next = seq + 1;
      this.unique++;
      return true;
    }
    if (seq > this.next) {
      const m = this.missing ?? new Set<number>();
      this.missing = m;
      for (let s = this.next; s < seq; s++) {
        if (m.size < MAX_MISSING) m.add(s);
        else this.overflow++;
      }
      this.next = seq + 1;
      this.unique++;
      return true;
    }
    if (this.missing?.delete(seq) === true) {
      this.unique++;
      return true;
    }
    this.duplicates++;
    return false;
  }

  /** Sequence numbers skipped and never seen since. */
  get gaps(): number {
    return (this.missing?.size ?? 0) + this.overflow;
  }
}
