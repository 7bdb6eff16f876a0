import type { ClientCore, IdlePart } from './core.js';

/** Waiting for the client to have nothing queued or unacknowledged (before DISCONNECT). */
export class Idle implements IdlePart {
  private waiters: Array<() => void> = [];

  constructor(private readonly ctx: ClientCore) {}

  /** True when nothing is queued, in flight or awaiting a SUBACK/UNSUBACK. */
  get idle(): boolean {
    const ctx = this.ctx;
    if (ctx.state === 'closed') return true;
    if (ctx.outbound.queue.length > 0 || ctx.control.busy) return false;
    if (ctx.outbound.inflight.busy) return false;
    return true;
  }

  /** Resolves once idle, or after `timeoutMs` at the latest. */
  wait(timeoutMs: number): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiter = (): void => {
        if (this.idle) done();
      };
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(waiter);
    }).then(() => {
      this.waiters = [];
    });
  }

  /** Something finished: lets the waiters check. */
  notify(): void {
    if (this.waiters.length === 0) return;
    for (const w of this.waiters.slice()) w();
  }
}
