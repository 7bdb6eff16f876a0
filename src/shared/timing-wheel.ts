import { Clock } from './clock.js';

/** Something a timer fires on. One object per owner (connection, session), never a closure. */
export interface TimerTarget {
  onTimer(kind: number): void;
}

/** Slot marker for a timer collected as due but not yet fired. */
const FIRING = -2;

/**
 * A timer registered in a {@link TimingWheel}. Owners keep one per purpose and re-arm it;
 * arming an armed timer moves it.
 */
export class Timer {
  deadline = 0;
  /** Slot index while armed, -1 otherwise. */
  slot = -1;
  prev: Timer | undefined = undefined;
  next: Timer | undefined = undefined;
  constructor(
    readonly target: TimerTarget,
    readonly kind: number,
  ) {}

  /** Whether the timer is currently armed. */
  get armed(): boolean {
    return this.slot >= 0;
  }
}

/**
 * A hashed timing wheel: one `setInterval` for every keep-alive, expiry, will delay and connect
 * timeout in the process. Timers fire at most one tick late. Entries further away than one
 * rotation stay in their slot and are skipped until their deadline passes.
 */
export class TimingWheel {
  readonly clock: Clock;
  private readonly slots: Array<Timer | undefined>;
  private readonly mask: number;
  private readonly resolution: number;
  private cursor: number;
  private handle: NodeJS.Timeout | undefined;
  private size = 0;
  private readonly due: Timer[] = [];

  constructor(resolutionMs = 100, slotCount = 512, clock: Clock = new Clock()) {
    let n = 1;
    while (n < slotCount) n <<= 1;
    this.slots = new Array<Timer | undefined>(n);
    this.mask = n - 1;
    this.resolution = resolutionMs;
    this.clock = clock;
    this.cursor = Math.floor(clock.now / resolutionMs);
  }

  /** Number of armed timers. */
  get armedCount(): number {
    return this.size;
  }

  /** Starts ticking. The interval is unref'd so it never keeps the process alive. */
  start(): void {
    if (this.handle !== undefined) return;
    this.handle = setInterval(() => this.tick(), this.resolution);
    this.handle.unref();
  }

  /** Stops ticking; armed timers stay armed but do not fire. */
  stop(): void {
    if (this.handle !== undefined) clearInterval(this.handle);
    this.handle = undefined;
  }

  /** Arms `timer` to fire `delayMs` from now (rounded up to the next tick). */
  schedule(timer: Timer, delayMs: number): void {
    this.scheduleAt(timer, this.clock.now + delayMs);
  }

  /** Arms `timer` to fire at the absolute time `deadline` (ms since the epoch). */
  scheduleAt(timer: Timer, deadline: number): void {
    if (timer.slot !== -1) this.cancel(timer);
    timer.deadline = deadline;
    let tick = Math.ceil(deadline / this.resolution);
    if (tick <= this.cursor) tick = this.cursor + 1;
    const slot = tick & this.mask;
    timer.slot = slot;
    const head = this.slots[slot];
    timer.prev = undefined;
    timer.next = head;
    if (head !== undefined) head.prev = timer;
    this.slots[slot] = timer;
    this.size++;
  }

  /** Disarms `timer`; a no-op when it is not armed. */
  cancel(timer: Timer): void {
    if (timer.slot === -1) return;
    if (timer.slot === FIRING) {
      timer.slot = -1;
      return;
    }
    if (timer.prev !== undefined) timer.prev.next = timer.next;
    else this.slots[timer.slot] = timer.next;
    if (timer.next !== undefined) timer.next.prev = timer.prev;
    timer.prev = undefined;
    timer.next = undefined;
    timer.slot = -1;
    this.size--;
  }

  /** Advances the clock and fires every due timer. Public for tests. */
  tick(): void {
    const now = this.clock.update();
    const target = Math.floor(now / this.resolution);
    // After a long stall, visit each slot at most once.
    if (target - this.cursor > this.mask + 1) this.cursor = target - this.mask - 1;
    while (this.cursor < target) {
      this.cursor++;
      this.fireSlot(this.cursor & this.mask, now);
    }
  }

  private fireSlot(slot: number, now: number): void {
    const due = this.due;
    let t = this.slots[slot];
    while (t !== undefined) {
      const next = t.next;
      if (t.deadline <= now) {
        this.cancel(t);
        t.slot = FIRING;
        due.push(t);
      }
      t = next;
    }
    for (let i = 0; i < due.length; i++) {
      const d = due[i] as Timer;
      // A callback may have cancelled or re-armed a later timer of the same batch.
      if (d.slot !== FIRING) continue;
      d.slot = -1;
      try {
        d.target.onTimer(d.kind);
      } catch {
        // A failing owner must not stop the wheel; owners log their own errors.
      }
    }
    due.length = 0;
  }
}
