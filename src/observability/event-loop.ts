// Event-loop delay and utilisation over fixed windows. Reading must not reset anything: with a
// reset per scrape, a dashboard sampling every 2 s would shorten what Prometheus sees to the last
// 2 s of its own interval. A timer closes a window every `windowMs` instead; every reader gets the
// last complete window, however often it reads.
import type { EventLoopUtilization, IntervalHistogram } from 'node:perf_hooks';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** The figures of one window, in seconds and as a 0..1 ratio. */
export interface EventLoopFigures {
  p50: number;
  p99: number;
  max: number;
  utilization: number;
}

/** Default window: long enough to hold real stalls, short next to a 15–60 s scrape interval. */
export const EVENT_LOOP_WINDOW_MS = 10_000;

/** Measures the event loop in windows of `windowMs`; call `stop()` when done. */
export class EventLoopWindow {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private elu: EventLoopUtilization = performance.eventLoopUtilization();
  private last: EventLoopFigures | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(windowMs = EVENT_LOOP_WINDOW_MS) {
    this.delay.enable();
    this.timer = setInterval(() => {
      this.last = this.current();
      this.delay.reset();
      this.elu = performance.eventLoopUtilization();
    }, windowMs);
    // Measuring must never keep a process alive.
    this.timer.unref();
  }

  /** The last complete window; before the first one closes, the time since start. */
  read(): EventLoopFigures {
    return this.last ?? this.current();
  }

  /** Stops the timer and the histogram. */
  stop(): void {
    clearInterval(this.timer);
    this.delay.disable();
  }

  private current(): EventLoopFigures {
    // The histogram reads NaN before its first sample: report 0 rather than a gap.
    const s = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
    return {
      p50: s(this.delay.percentile(50)),
      p99: s(this.delay.percentile(99)),
      max: s(this.delay.max),
      utilization: performance.eventLoopUtilization(performance.eventLoopUtilization(), this.elu)
        .utilization,
    };
  }
}
