// Retained messages cluster-wide: one JetStream KV bucket, one key per topic, the last write
// wins. Every node watches the bucket and mirrors it into its own retained index (and store),
// so a new subscriber on any node gets them from memory, and they outlive every node.

import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { Broker } from '../broker/broker.js';
import { Message } from '../broker/message.js';
import type { Logger } from '../observability/logger.js';
import { decodeRetained, encodePublishPart, encodeRetained, kvKey, kvKeyText } from './wire.js';

const EMPTY = Buffer.alloc(0);

export class ClusterRetained {
  /** Entries applied from the bucket (the origin's own included). */
  applied = 0;

  constructor(
    private readonly broker: Broker,
    private readonly kv: KV,
    private readonly log: Logger,
  ) {}

  /**
   * Mirrors the bucket: resolves once its current content is applied (at most `ms`), then keeps
   * applying changes in the bucket's order, so every node ends with the last write per topic.
   */
  async start(ms: number): Promise<void> {
    const status = await this.kv.status();
    const watch = await this.kv.watch();
    let ready: (() => void) | undefined;
    const initial = new Promise<void>((resolve) => {
      ready = resolve;
    });
    if (status.values === 0) ready?.();
    void (async () => {
      for await (const e of watch) {
        this.apply(e);
        if (e.delta === 0) ready?.();
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log.warn({ ms }, 'cluster: retained messages still loading');
        resolve();
      }, ms);
    });
    await Promise.race([initial, late]);
    clearTimeout(timer);
  }

  private apply(e: KvWatchEntry): void {
    let topic: string;
    try {
      topic = kvKeyText(e.key);
    } catch {
      this.log.warn({ key: e.key }, 'cluster: retained key is not a topic, ignored');
      return;
    }
    const now = this.broker.clock.now;
    this.applied++;
    if (e.operation !== 'PUT') {
      this.broker.router.retain(new Message(topic, EMPTY, 0, true, undefined, '', now));
      return;
    }
    let r: ReturnType<typeof decodeRetained>;
    try {
      r = decodeRetained(e.value);
    } catch (err) {
      this.log.warn({ topic, err: (err as Error).message }, 'cluster: bad retained entry ignored');
      return;
    }
    const p = r.packet;
    const msg = new Message(topic, p.payload, p.qos, true, p.properties, '', now);
    const expiry = p.properties?.messageExpiryInterval;
    if (expiry !== undefined) msg.expiresAt = r.publishedAt + expiry * 1000;
    msg.owned = true;
    msg.remote = true;
    if (msg.expired(now)) {
      this.broker.router.retain(new Message(topic, EMPTY, 0, true, undefined, '', now));
      return;
    }
    this.broker.router.retain(msg);
  }

  /**
   * Writes a retained message published on this node (an empty payload deletes the topic's).
   * Resolves true once NATS stored it, false (logged) when it could not.
   */
  put(msg: Message, now: number): Promise<boolean> {
    const key = kvKey(msg.topic);
    const done =
      msg.payload.length === 0
        ? this.kv.delete(key)
        : this.kv.put(key, encodeRetained(encodePublishPart(msg, now), now));
    return done.then(
      () => true,
      (err: unknown) => {
        this.log.error(
          { topic: msg.topic, err: (err as Error).message },
          'cluster: retained message not stored in NATS',
        );
        return false;
      },
    );
  }
}
