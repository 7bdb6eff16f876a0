// The sending side of forwarding: messages for one node are gathered during an event-loop turn
// and leave as one NATS message (a batch, wire.ts) at its end. A batch holding a QoS 1/2 message
// is a NATS request, and the receiver's one reply confirms every message in it; a batch of QoS 0
// messages only is a plain publish. Per message this costs a record written into the batch's
// buffer (no buffer of its own, no concatenation); the NATS request (a reply-map entry and a
// timer in the NATS client) is paid once per batch.

import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../observability/logger.js';
import { BATCH_START, batchRecordSize, writeBatchRecord } from './wire.js';

/** Counters the forwarder keeps for the cluster view (`ClusterStats`). */
export interface ForwardStats {
  forwarded: number;
  forwardFailures: number;
  lastLagMs: number;
}

/** Default NATS max_payload (1 MiB) when the server did not say. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** A batch buffer's first size: small, since at a low rate a batch holds one message. */
const FIRST_CAPACITY = 1024;

/** The messages waiting for one node, and the promise of its confirmation if one is needed. */
class Outgoing {
  /** The batch as it is written; handed to NATS (never reused) when it leaves. */
  buf: Buffer;
  bytes = BATCH_START.length;
  /** Settles the batch's confirmation; set once a QoS 1/2 message joins it. */
  settle: ((ok: boolean) => void) | undefined = undefined;
  confirmed: Promise<boolean> | undefined = undefined;
  /** QoS 1/2 messages in it: what a failure counts. */
  waiting = 0;

  constructor(
    readonly node: string,
    capacity: number,
  ) {
    this.buf = Buffer.allocUnsafe(capacity);
    BATCH_START.copy(this.buf, 0);
  }

  /** Makes room for `n` more bytes, doubling the buffer. */
  reserve(n: number): void {
    const need = this.bytes + n;
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.bytes);
    this.buf = next;
  }
}

/** Gathers forwarded messages per receiving node and sends each node one batch per turn. */
export class Forwarder {
  private pending = new Map<string, Outgoing>();
  private scheduled = false;
  private readonly flushNow = (): void => this.flush();

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjectOf: (node: string) => string,
    private readonly timeoutMs: number,
    private readonly stats: ForwardStats,
    private readonly log: Logger,
  ) {}

  /** Adds a QoS 0 message to `node`'s batch: nothing to confirm. */
  add(
    node: string,
    origin: string,
    msgId: string,
    groups: readonly string[],
    publish: Buffer,
  ): void {
    this.append(node, origin, msgId, groups, publish);
  }

  /**
   * Adds a QoS 1/2 message to `node`'s batch; returns the promise that `node` queued the whole
   * batch (true), or did not answer in time (false): one promise, shared by every message of it.
   */
  addConfirmed(
    node: string,
    origin: string,
    msgId: string,
    groups: readonly string[],
    publish: Buffer,
  ): Promise<boolean> {
    const out = this.append(node, origin, msgId, groups, publish);
    out.waiting++;
    if (out.confirmed === undefined) {
      out.confirmed = new Promise<boolean>((resolve) => {
        out.settle = resolve;
      });
    }
    return out.confirmed;
  }

  private append(
    node: string,
    origin: string,
    msgId: string,
    groups: readonly string[],
    publish: Buffer,
  ): Outgoing {
    const size = batchRecordSize(origin, msgId, groups, publish);
    let out = this.pending.get(node);
    if (out !== undefined && out.bytes + size > this.maxPayload()) {
      // NATS refuses a payload above the server's max_payload: this batch leaves now.
      this.pending.delete(node);
      this.send(out);
      out = undefined;
    }
    if (out === undefined) {
      out = new Outgoing(node, Math.max(FIRST_CAPACITY, BATCH_START.length + size));
      this.pending.set(node, out);
    }
    out.reserve(size);
    out.bytes = writeBatchRecord(out.buf, out.bytes, origin, msgId, groups, publish);
    this.stats.forwarded++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
    return out;
  }

  /** Sends every waiting batch (end of the turn, or the node leaving the cluster). */
  flush(): void {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const batches = this.pending;
    this.pending = new Map();
    for (const out of batches.values()) this.send(out);
  }

  private maxPayload(): number {
    return this.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
  }

  private send(out: Outgoing): void {
    const subject = this.subjectOf(out.node);
    const settle = out.settle;
    if (this.nc.isClosed()) {
      if (settle !== undefined) this.failed(settle, out, 'NATS connection closed');
      return;
    }
    const data = out.buf.subarray(0, out.bytes);
    if (settle === undefined) {
      try {
        this.nc.publish(subject, data);
      } catch (err) {
        this.log.debug({ peer: out.node, err: (err as Error).message }, 'cluster: forward failed');
      }
      return;
    }
    const started = Date.now();
    let sent: Promise<{ data: Uint8Array }>;
    try {
      sent = this.nc.request(subject, data, { timeout: this.timeoutMs });
    } catch (err) {
      this.failed(settle, out, (err as Error).message);
      return;
    }
    sent.then(
      (reply) => {
        if (reply.data.length === 1 && reply.data[0] === 1) {
          this.stats.lastLagMs = Date.now() - started;
          settle(true);
        } else {
          this.failed(settle, out, 'unexpected reply');
        }
      },
      (err: unknown) => this.failed(settle, out, (err as Error).message),
    );
  }

  private failed(settle: (ok: boolean) => void, out: Outgoing, why: string): void {
    this.stats.forwardFailures += out.waiting;
    this.log.debug(
      { peer: out.node, messages: out.waiting, err: why },
      'cluster: forward not confirmed',
    );
    settle(false);
  }
}
