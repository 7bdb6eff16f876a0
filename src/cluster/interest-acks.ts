// Confirmations of this node's interest announcements. A SUBACK waits until every node alive
// when the change went out has applied it, so that a PUBLISH on another node right after the
// SUBACK is routed here (docs/cluster.md, "Subscribe, then publish").

/** One announcement waiting for the nodes that have not confirmed it yet. */
interface Open {
  waiting: Set<string>;
  timer: NodeJS.Timeout;
}

interface Waiter {
  /** The announcement (local interest number) that carries the waiter's change. */
  seq: number;
  resolve: () => void;
}

/**
 * Tracks which announcements every live node confirmed, in announcement order: announcement
 * `k` is settled once all of its expected nodes confirmed it, those nodes died, or `timeoutMs`
 * passed (then the change reaches a late node by its next snapshot, and the SUBACK goes out
 * anyway: a subscription never waits longer than `timeoutMs` for the cluster).
 */
export class InterestAcks {
  private readonly open = new Map<number, Open>();
  private readonly waiters: Waiter[] = [];
  /** The last announcement sent. */
  private sentSeq = 0;
  /** Announcements that settled because some node did not confirm in time. */
  timeouts = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly onTimeout: (seq: number, missing: string[]) => void,
  ) {}

  /** Every announcement up to this number is settled. */
  get settledSeq(): number {
    let min = this.sentSeq;
    for (const seq of this.open.keys()) if (seq - 1 < min) min = seq - 1;
    return min;
  }

  /** Announcement `seq` went out; `nodes` are the live nodes expected to confirm it. */
  sent(seq: number, nodes: Iterable<string>): void {
    this.sentSeq = seq;
    const waiting = new Set(nodes);
    if (waiting.size === 0) {
      this.release();
      return;
    }
    const timer = setTimeout(() => {
      const o = this.open.get(seq);
      if (o === undefined) return;
      this.timeouts++;
      this.onTimeout(seq, [...o.waiting]);
      this.settle(seq);
    }, this.timeoutMs);
    timer.unref();
    this.open.set(seq, { waiting, timer });
  }

  /** The announcement scheduled for `seq` carried nothing (its changes cancelled out). */
  skipped(): void {
    for (const w of this.waiters) if (w.seq > this.sentSeq) w.seq = this.sentSeq;
    this.release();
  }

  /** `node` applied announcement `seq`. */
  confirmed(seq: number, node: string): void {
    const o = this.open.get(seq);
    if (o === undefined) return;
    o.waiting.delete(node);
    if (o.waiting.size === 0) this.settle(seq);
  }

  /** `node` is dead (or gone): nothing waits for it any more. */
  forget(node: string): void {
    for (const [seq, o] of this.open) {
      if (o.waiting.delete(node) && o.waiting.size === 0) this.settle(seq);
    }
  }

  /**
   * Undefined when announcement `seq` and every earlier one are settled, else a promise resolved
   * when they are (never rejected, at most `timeoutMs` after the last of them went out).
   */
  wait(seq: number): Promise<void> | undefined {
    if (seq <= this.settledSeq) return undefined;
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** Stops waiting for anything (the node leaves the cluster). */
  close(): void {
    for (const o of this.open.values()) clearTimeout(o.timer);
    this.open.clear();
    for (const w of this.waiters) w.seq = 0;
    this.release();
  }

  private settle(seq: number): void {
    const o = this.open.get(seq);
    if (o === undefined) return;
    clearTimeout(o.timer);
    this.open.delete(seq);
    this.release();
  }

  private release(): void {
    if (this.waiters.length === 0) return;
    const settled = this.settledSeq;
    let kept = 0;
    for (const w of this.waiters) {
      if (w.seq <= settled) w.resolve();
      else this.waiters[kept++] = w;
    }
    this.waiters.length = kept;
  }
}
