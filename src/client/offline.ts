import type { ClientCore, OfflinePart } from './core.js';
import { offlineError } from './errors.js';
import type { Outgoing } from './inflight.js';
import { fail } from './inflight.js';

/**
 * The offline deadline: messages waiting longer than `offlineTimeout` while no connection is
 * up are rejected, checked on one timer that runs only while something waits offline.
 */
export class OfflineSweep implements OfflinePart {
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(private readonly ctx: ClientCore) {}

  /** The connection is lost: starts the offline clock of every waiting message. */
  markOffline(now: number): void {
    for (const entry of this.ctx.outbound.queue) {
      if (entry.offlineSince === 0) entry.offlineSince = now;
    }
    this.ctx.outbound.inflight.markOffline(now);
  }

  /** Arms the sweep unless it is armed. */
  schedule(): void {
    if (this.timer !== undefined) return;
    const period = Math.min(1000, Math.max(10, this.ctx.opts.offlineTimeout / 4));
    this.timer = setTimeout(this.sweep, period);
  }

  /** Disarms the sweep (connected again, or closed). */
  stop(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    const ctx = this.ctx;
    if (ctx.state === 'connected' || ctx.state === 'closed') return;
    const now = Date.now();
    const limit = ctx.opts.offlineTimeout;
    const { queue, inflight } = ctx.outbound;
    let waiting = false;
    const expired = (e: Outgoing): boolean => e.offlineSince > 0 && now - e.offlineSince >= limit;
    for (const e of queue.removeWhere(expired)) fail(e, offlineError(limit));
    waiting = queue.length > 0;
    if (inflight.expire(now, limit, () => offlineError(limit))) waiting = true;
    ctx.idle.notify();
    if (waiting) this.schedule();
  };
}
