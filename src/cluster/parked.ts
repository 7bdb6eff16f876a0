// Guarantee 6: QoS 1/2 messages for a node taken for dead are kept in a JetStream stream, one
// subject per node (`<prefix>.parked.<node>`), bounded in count, bytes and age, and delivered
// when that node returns: it reads its subject at start, when NATS is back, and whenever
// something is parked for it while it runs (a survivor that took it for dead too early).

import type { JetStreamClient, JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { DiscardPolicy, jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../observability/logger.js';
import type { ResolvedClusterOptions } from './options.js';

/** Messages read per pass before the subject is purged up to them. */
const PASS_MAX = 1000;

export class Parked {
  /** Messages kept here for dead nodes (`$SYS` and tests). */
  stored = 0;
  /** Messages this node read back from its own subject. */
  delivered = 0;
  private draining = false;
  private again = false;

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    private readonly subjectOf: (node: string) => string,
    private readonly self: string,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  /** Creates (or updates the limits of) the stream; undefined when parking is off. */
  static async open(
    nc: NatsConnection,
    o: ResolvedClusterOptions,
    log: Logger,
  ): Promise<Parked | undefined> {
    if (o.parkedMaxMsgs === 0) return undefined;
    const stream = `${o.subjectPrefix}-parked`;
    const config: Partial<StreamConfig> & { name: string } = {
      name: stream,
      subjects: [`${o.subjectPrefix}.parked.>`],
      max_msgs: o.parkedMaxMsgs,
      max_bytes: o.parkedMaxBytes,
      max_age: o.parkedMaxAgeMs * 1_000_000,
      discard: DiscardPolicy.Old,
      storage: StorageType.File,
      num_replicas: o.replicas,
      duplicate_window: Math.min(120_000, o.parkedMaxAgeMs) * 1_000_000,
    };
    const jsm = await jetstreamManager(nc, { timeout: o.forwardTimeoutMs });
    try {
      await jsm.streams.add(config);
    } catch {
      // It exists: the limits configured now apply.
      await jsm.streams.update(stream, config);
    }
    return new Parked(
      jetstream(nc, { timeout: o.forwardTimeoutMs }),
      jsm,
      stream,
      (node) => `${o.subjectPrefix}.parked.${node}`,
      o.nodeId,
      o.forwardTimeoutMs,
      log,
    );
  }

  /**
   * Keeps `data` (a forwarded message) for dead node `node`; true once JetStream stored it.
   * `id` removes duplicates (a QoS 2 forward sent again) within the stream's window.
   */
  park(node: string, data: Uint8Array, id: string): Promise<boolean> {
    this.stored++;
    return this.js
      .publish(this.subjectOf(node), data, { msgID: `${id}.${node}`, timeout: this.timeoutMs })
      .then(
        () => true,
        (err: unknown) => {
          this.log.warn({ peer: node, err: (err as Error).message }, 'cluster: message not parked');
          return false;
        },
      );
  }

  /**
   * Reads what was parked for this node, hands each message to `deliver` in order, then (once
   * `durable` says what they wrote is committed) purges them from the stream. Concurrent calls
   * run one more pass after the current one.
   */
  async drain(deliver: (data: Uint8Array) => void, durable: () => Promise<void>): Promise<void> {
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.again = false;
        const subject = this.subjectOf(this.self);
        let last = 0;
        let n = 0;
        for (; n < PASS_MAX; n++) {
          const m = await this.jsm.streams.getMessage(this.stream, {
            next_by_subj: subject,
            seq: last + 1,
          } as unknown as { seq: number });
          if (m === null) break;
          last = m.seq;
          this.delivered++;
          deliver(m.data);
        }
        if (last === 0) break;
        await durable();
        await this.jsm.streams.purge(this.stream, { filter: subject, seq: last + 1 });
        this.log.info({ messages: n }, 'cluster: parked messages delivered');
        if (n === PASS_MAX) this.again = true;
      } while (this.again);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cluster: parked messages not read');
    } finally {
      this.draining = false;
    }
  }
}
