/**
 * A token bucket on the broker's coarse clock: `rate` tokens per second refill a bucket of
 * `burst` tokens. Plain arithmetic per call, no timers, so it can sit on the per-packet path.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /**
   * Takes `n` tokens at time `now` (ms); false (nothing taken) when fewer are left. A take larger
   * than the whole bucket (one packet bigger than a byte burst) needs a full bucket and leaves
   * it in debt, so the average rate holds without making such packets impossible.
   */
  take(n: number, now: number): boolean {
    if (now > this.last) {
      const t = this.tokens + ((now - this.last) * this.rate) / 1000;
      this.tokens = Math.min(t, this.burst);
      this.last = now;
    }
    if (this.tokens < Math.min(n, this.burst)) return false;
    this.tokens -= n;
    return true;
  }
}
