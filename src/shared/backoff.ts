/** Settings for {@link Backoff}. All delays are in milliseconds. */
export interface BackoffOptions {
  /** Delay before the first retry (default 1000). */
  initialDelay?: number;
  /** Upper bound of any delay (default 30000). */
  maxDelay?: number;
  /** Growth factor per attempt (default 2). */
  factor?: number;
  /**
   * Fraction of each delay that is randomised, 0..1 (default 0.5): the delay is drawn uniformly
   * from `[base * (1 - jitter), base]`, so many clients cut off together do not return together.
   */
  jitter?: number;
  /** Random source in [0, 1); injectable for deterministic tests. */
  random?: () => number;
}

/**
 * Exponential backoff with jitter. `next()` returns the delay before the next attempt and
 * advances; `reset()` starts over after a success.
 */
export class Backoff {
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
  readonly jitter: number;
  private readonly random: () => number;
  private attempt = 0;
  private exponent = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialDelay = Math.max(0, options.initialDelay ?? 1000);
    this.maxDelay = Math.max(this.initialDelay, options.maxDelay ?? 30_000);
    this.factor = Math.max(1, options.factor ?? 2);
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
    this.random = options.random ?? Math.random;
  }

  /** Number of delays handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt. */
  next(): number {
    const base = Math.min(this.maxDelay, this.initialDelay * this.factor ** this.exponent);
    // Stop growing the exponent once the cap is reached so it never overflows to Infinity.
    if (base < this.maxDelay) this.exponent++;
    this.attempt++;
    return Math.round(base * (1 - this.jitter * this.random()));
  }

  /** Forget past failures. */
  reset(): void {
    this.attempt = 0;
    this.exponent = 0;
  }
}
