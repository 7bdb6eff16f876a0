// Guarantee 6: the wills of a dead node's clients are published by a survivor. Each node
// records the will of every client connected to it in the KV bucket `<prefix>-wills`, under
// `<node>.<client id as base64url>`, and removes the record when the will is discarded (normal
// DISCONNECT) or published by itself. When the survivors take a node for dead, each of them
// reads that node's records and, after the will's delay, deletes the record with
// compare-and-set: the one survivor whose delete succeeds publishes the will.

import type { KV } from '@nats-io/kv';
import type { Broker } from '../broker/broker.js';
import { publishWill, willDueMs } from '../broker/will.js';
import type { Will } from '../codec/types.js';
import type { Logger } from '../observability/logger.js';
import { decodeJsonWithBuffers, encodeJsonWithBuffers, kvKey, kvKeyText } from './wire.js';

/** A will as the bucket holds it. */
interface WillDoc {
  node: string;
  will: Will;
  /** How long after the connection's loss it is due, ms (Will Delay, bounded by the session's expiry). */
  delayMs: number;
}

export class ClusterWills {
  /** Wills of dead nodes' clients published here (`$SYS` and tests). */
  published = 0;
  /** Timers of wills due for dead nodes, by node. */
  private readonly due = new Map<string, Set<NodeJS.Timeout>>();

  constructor(
    private readonly broker: Broker,
    private readonly kv: KV,
    private readonly self: string,
    /** The node that owns a client id now, as last seen (a client back elsewhere keeps its will). */
    private readonly ownerOf: (clientId: string) => string | undefined,
    private readonly log: Logger,
  ) {}

  private key(node: string, clientId: string): string {
    return `${node}.${kvKey(clientId)}`;
  }

  /** The will of a client of this node was set (at CONNECT) or discarded (undefined). */
  changed(clientId: string, will: Will | undefined, delayMs: number): void {
    const key = this.key(this.self, clientId);
    const done =
      will === undefined
        ? this.kv.delete(key)
        : this.kv.put(key, encodeJsonWithBuffers({ node: this.self, will, delayMs } as WillDoc));
    done.catch((err: unknown) => {
      // NATS unreachable: a stale record may make a survivor publish a will this node
      // discarded, or miss one (docs/cluster.md).
      this.log.debug({ clientId, err: (err as Error).message }, 'cluster: will record not written');
    });
  }

  /**
   * At this node's start: its records from an earlier run are removed (a will its store restored
   * was sent before the node joined), and the clients connected meanwhile recorded.
   */
  async resync(): Promise<void> {
    try {
      const stale: string[] = [];
      for await (const k of await this.kv.keys(`${this.self}.>`)) stale.push(k);
      for (const k of stale) {
        const clientId = kvKeyText(k.slice(this.self.length + 1));
        if (this.broker.sessions.get(clientId)?.connection === undefined) await this.kv.delete(k);
      }
      for (const s of this.broker.sessions.values()) {
        if (s.connection !== undefined && s.will !== undefined) {
          this.changed(s.clientId, s.will, willDueMs(s.will, s.expiryInterval));
        }
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cluster: will records not resynced');
    }
  }

  /** `node` was taken for dead: its clients' wills are published here when due, if elected. */
  async nodeDied(node: string): Promise<void> {
    let keys: string[];
    try {
      keys = [];
      for await (const k of await this.kv.keys(`${node}.>`)) keys.push(k);
    } catch (err) {
      this.log.warn({ peer: node, err: (err as Error).message }, 'cluster: wills not read');
      return;
    }
    for (const key of keys) {
      const entry = await this.kv.get(key).catch(() => null);
      if (entry === null || entry.operation !== 'PUT') continue;
      let doc: WillDoc;
      let clientId: string;
      try {
        doc = decodeJsonWithBuffers<WillDoc>(entry.value);
        clientId = kvKeyText(key.slice(node.length + 1));
      } catch {
        this.log.warn({ key }, 'cluster: bad will record ignored');
        continue;
      }
      let timers = this.due.get(node);
      if (timers === undefined) {
        timers = new Set();
        this.due.set(node, timers);
      }
      const set = timers;
      const timer = setTimeout(() => {
        set.delete(timer);
        void this.publishIfElected(node, key, clientId, doc, entry.revision);
      }, doc.delayMs);
      timer.unref();
      set.add(timer);
    }
  }

  /** `node` is back before its wills were due: it keeps them. */
  nodeBack(node: string): void {
    const timers = this.due.get(node);
    if (timers === undefined) return;
    for (const t of timers) clearTimeout(t);
    this.due.delete(node);
  }

  private async publishIfElected(
    node: string,
    key: string,
    clientId: string,
    doc: WillDoc,
    revision: number,
  ): Promise<void> {
    try {
      // The election: only one survivor's compare-and-set delete of this revision succeeds.
      await this.kv.delete(key, { previousSeq: revision });
    } catch {
      return; // another survivor publishes it (or the record changed: the node is back)
    }
    const owner = this.ownerOf(clientId);
    if (owner !== undefined && owner !== node) {
      this.log.info({ clientId, peer: node }, 'cluster: client back on another node, will dropped');
      return;
    }
    this.published++;
    this.log.info({ clientId, peer: node }, "cluster: publishing a dead node's client's will");
    publishWill(this.broker, clientId, doc.will);
  }

  close(): void {
    for (const timers of this.due.values()) for (const t of timers) clearTimeout(t);
    this.due.clear();
  }
}
