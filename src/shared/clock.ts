/**
 * A coarse clock: `now` is refreshed by its owner's tick (the timing wheel), so hot paths read a
 * field instead of calling `Date.now()` per packet. Resolution equals the tick interval.
 */
export class Clock {
  /** Milliseconds since the epoch, refreshed on every {@link Clock.update}. */
  now: number;

  constructor() {
    this.now = Date.now();
  }

  /** Refreshes {@link Clock.now}; returns the new value. */
  update(): number {
    this.now = Date.now();
    return this.now;
  }

  /** Whole seconds since the epoch. */
  get seconds(): number {
    return Math.floor(this.now / 1000);
  }
}
