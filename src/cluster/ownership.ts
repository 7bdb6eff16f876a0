// One client id, one session, cluster-wide: the owner of each client id is a key of a JetStream
// KV bucket (`<prefix>-sessions`), changed only with compare-and-set and carrying an epoch that
// grows with each change of owner. A node claims a client id on CONNECT; the previous owner,
// asked over NATS or seeing the newer epoch in the bucket (fencing), closes its connection and
// hands the persistent session over.

import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { Msg, NatsConnection, QueuedIterator } from '@nats-io/transport-node';
import type { Broker } from '../broker/broker.js';
import type { SessionHandover } from '../broker/session/handover.js';
import { exportSession } from '../broker/session/handover.js';
import type { Logger } from '../observability/logger.js';
import {
  decodeJsonWithBuffers,
  encodeJson,
  encodeJsonWithBuffers,
  kvKey,
  kvKeyText,
} from './wire.js';

/** A client id's owner as the bucket holds it. */
interface OwnerDoc {
  node: string;
  epoch: number;
}

/** A takeover request: `node` now owns `clientId` at `epoch`. */
interface TakeoverDoc {
  node: string;
  clientId: string;
  epoch: number;
}

/** How often a claim retries when another node changed the key between read and write. */
const CLAIM_ATTEMPTS = 5;
/** Client ids accepted without a claim remembered for a later one, at most. */
const UNCLAIMED_MAX = 100_000;

export class Ownership {
  /** Owners by client id, as the bucket was last seen (watched). */
  private readonly owners = new Map<string, OwnerDoc>();
  /** Sessions given up on seeing a newer owner, kept for its takeover request. */
  private watch: QueuedIterator<KvWatchEntry> | undefined;
  private readonly given = new Map<string, { epoch: number; h: SessionHandover | undefined }>();
  /**
   * Client ids accepted here without a claim (NATS unreachable, or the claim failed), claimed
   * once NATS answers again (see {@link claimUnclaimed}).
   */
  private readonly unclaimed = new Set<string>();
  private claimingUnclaimed = false;
  /** Client ids taken over by another node (`$SYS` and tests). */
  takenOver = 0;
  /** Client ids served here without a claim that another node had claimed meanwhile. */
  fenced = 0;

  constructor(
    private readonly broker: Broker,
    private readonly kv: KV,
    private readonly nc: NatsConnection,
    private readonly self: string,
    private readonly takeoverSubject: (node: string) => string,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  /** The node that owns `clientId` as last seen, if any. */
  ownerOf(clientId: string): string | undefined {
    return this.owners.get(clientId)?.node;
  }

  /** Follows the bucket: a newer owner elsewhere of a client id served here fences it. */
  async start(): Promise<void> {
    const watch = await this.kv.watch();
    this.watch?.stop();
    this.watch = watch;
    void (async () => {
      for await (const e of watch) this.apply(e);
    })();
  }

  /**
   * NATS is back after a loss: reads the whole bucket again through a new watch (the old one
   * may have missed what changed meanwhile, and its consumer notices only after a while), so
   * that an id claimed by another node meanwhile is fenced at once; then claims the ids accepted
   * while cut off.
   */
  async reconnected(): Promise<void> {
    try {
      await this.start();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cluster: owners bucket not re-read');
    }
    await this.claimUnclaimed();
  }

  private apply(e: KvWatchEntry): void {
    let clientId: string;
    try {
      clientId = kvKeyText(e.key);
    } catch {
      return;
    }
    if (e.operation !== 'PUT') {
      this.owners.delete(clientId);
      return;
    }
    let doc: OwnerDoc;
    try {
      doc = e.json<OwnerDoc>();
    } catch {
      this.log.warn({ key: e.key }, 'cluster: bad owner entry ignored');
      return;
    }
    const known = this.owners.get(clientId);
    if (known !== undefined && known.epoch > doc.epoch) return;
    this.owners.set(clientId, doc);
    if (doc.node !== this.self && this.broker.sessions.has(clientId))
      this.giveUp(clientId, doc.epoch);
  }

  /** Closes the client here and keeps its session for the new owner's request (a while). */
  private giveUp(clientId: string, epoch: number): SessionHandover | undefined {
    const prior = this.given.get(clientId);
    let h = prior?.h;
    if (this.broker.sessions.has(clientId)) {
      h = exportSession(this.broker, clientId) ?? h;
      this.takenOver++;
      this.log.info({ clientId, epoch }, 'cluster: client taken over by another node');
    }
    this.given.set(clientId, { epoch: Math.max(epoch, prior?.epoch ?? 0), h });
    setTimeout(() => {
      if (this.given.get(clientId)?.epoch === epoch) this.given.delete(clientId);
    }, this.timeoutMs * 4).unref();
    return h;
  }

  /** Another node claimed a client id served here: answer with its session. */
  onTakeover(m: Msg): void {
    let doc: TakeoverDoc;
    try {
      doc = decodeJsonWithBuffers<TakeoverDoc>(m.data);
    } catch {
      return;
    }
    const known = this.owners.get(doc.clientId);
    if (known === undefined || known.epoch < doc.epoch) {
      this.owners.set(doc.clientId, { node: doc.node, epoch: doc.epoch });
    }
    const h = this.giveUp(doc.clientId, doc.epoch);
    this.given.delete(doc.clientId);
    m.respond(encodeJsonWithBuffers({ node: this.self, session: h ?? null }));
  }

  /** See `ClusterLink.claim`. */
  claim(clientId: string): Promise<SessionHandover | undefined> | undefined {
    if (this.owners.get(clientId)?.node === this.self) return undefined;
    return this.claimAsync(clientId);
  }

  /**
   * Runs once the connection that claimed `clientId` has attached: if another node took the id
   * over while the claim completed (its request can arrive before the attach), the connection
   * just attached is closed as taken over.
   */
  private recheck(clientId: string): void {
    const o = this.owners.get(clientId);
    if (o !== undefined && o.node !== this.self) this.giveUp(clientId, o.epoch);
  }

  private async claimAsync(clientId: string): Promise<SessionHandover | undefined> {
    let h: SessionHandover | undefined;
    try {
      h = await this.write(clientId);
    } catch (err) {
      this.noteUnclaimed(clientId); // the CONNECT is accepted anyway: claim it later
      throw err;
    }
    setImmediate(() => this.recheck(clientId));
    return h;
  }

  /** A CONNECT for `clientId` was accepted without a claim. */
  noteUnclaimed(clientId: string): void {
    if (this.unclaimed.size >= UNCLAIMED_MAX) {
      this.log.warn({ clientId }, 'cluster: too many unclaimed client ids, not remembered');
      return;
    }
    this.unclaimed.add(clientId);
  }

  get unclaimedCount(): number {
    return this.unclaimed.size;
  }

  /**
   * Claims the client ids accepted while NATS was unreachable (run when it is back). An id whose
   * owner entry changed to another node since this node last saw it (a higher epoch: another
   * node claimed it meanwhile) is fenced: its client here is closed (v5 0x8E) and the session
   * dropped, so the newer owner's state wins. Any other is claimed as a CONNECT would (the
   * previous owner, if another node, gives the client up; its session is not merged into the
   * one this node started).
   */
  async claimUnclaimed(): Promise<void> {
    if (this.claimingUnclaimed || this.unclaimed.size === 0) return;
    this.claimingUnclaimed = true;
    try {
      for (const clientId of [...this.unclaimed]) {
        this.unclaimed.delete(clientId);
        if (!this.broker.sessions.has(clientId)) continue;
        try {
          await this.claimLate(clientId);
        } catch (err) {
          this.noteUnclaimed(clientId);
          this.log.warn({ clientId, err: (err as Error).message }, 'cluster: late claim failed');
          return; // NATS is failing again: the rest waits for the next attempt
        }
      }
    } finally {
      this.claimingUnclaimed = false;
    }
  }

  private async claimLate(clientId: string): Promise<void> {
    const known = this.owners.get(clientId);
    const entry = await this.kv.get(kvKey(clientId));
    if (entry !== null && entry.operation === 'PUT') {
      const doc = entry.json<OwnerDoc>();
      if (doc.node !== this.self && (known === undefined || doc.epoch > known.epoch)) {
        this.owners.set(clientId, doc);
        this.fenced++;
        this.log.warn(
          { clientId, owner: doc.node, epoch: doc.epoch },
          'cluster: client id claimed elsewhere while NATS was unreachable: fenced here',
        );
        this.giveUp(clientId, doc.epoch);
        return;
      }
    }
    await this.write(clientId);
    this.log.info({ clientId }, 'cluster: client id accepted while NATS was unreachable claimed');
  }

  /**
   * The session of `clientId` ended here (clean session gone, expiry): its owner entry is
   * removed if it still names this node (compare-and-set on its revision), unless a new
   * session for the id took its place meanwhile (a clean start) or another node owns it.
   */
  sessionEnded(clientId: string): void {
    if (this.owners.get(clientId)?.node !== this.self) return;
    setImmediate(() => {
      if (this.broker.sessions.has(clientId)) return;
      if (this.owners.get(clientId)?.node !== this.self) return;
      void this.release(clientId);
    });
  }

  private async release(clientId: string): Promise<void> {
    const key = kvKey(clientId);
    try {
      const entry = await this.kv.get(key);
      if (entry === null || entry.operation !== 'PUT') return;
      if (entry.json<OwnerDoc>().node !== this.self || this.broker.sessions.has(clientId)) return;
      await this.kv.delete(key, { previousSeq: entry.revision });
      // A client of this id attached here while the delete was on its way: claim it again.
      if (this.broker.sessions.has(clientId)) await this.write(clientId);
    } catch (err) {
      // Claimed by another node meanwhile, or NATS unreachable: the entry stays (harmless, the
      // next claim overwrites it).
      this.log.debug({ clientId, err: (err as Error).message }, 'cluster: owner entry kept');
    }
  }

  private async write(clientId: string): Promise<SessionHandover | undefined> {
    const key = kvKey(clientId);
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const entry = await this.kv.get(key);
      if (entry === null || entry.operation !== 'PUT') {
        const doc: OwnerDoc = { node: this.self, epoch: 1 };
        try {
          if (entry === null) await this.kv.create(key, encodeJson(doc));
          else await this.kv.update(key, encodeJson(doc), entry.revision);
        } catch (err) {
          if (lostRace(err)) continue; // another node wrote first: read again
          throw err;
        }
        this.owners.set(clientId, doc);
        return undefined;
      }
      const prev = entry.json<OwnerDoc>();
      if (prev.node === this.self) {
        this.owners.set(clientId, prev);
        return undefined;
      }
      const doc: OwnerDoc = { node: this.self, epoch: prev.epoch + 1 };
      try {
        await this.kv.update(key, encodeJson(doc), entry.revision);
      } catch (err) {
        if (lostRace(err)) continue;
        throw err;
      }
      this.owners.set(clientId, doc);
      return this.handover(prev.node, clientId, doc.epoch);
    }
    throw new Error(`client id ${clientId} contended by other nodes ${CLAIM_ATTEMPTS} times`);
  }

  /** Asks the previous owner for the session; undefined when it has none or does not answer. */
  private async handover(
    node: string,
    clientId: string,
    epoch: number,
  ): Promise<SessionHandover | undefined> {
    const doc: TakeoverDoc = { node: this.self, clientId, epoch };
    try {
      const reply = await this.nc.request(this.takeoverSubject(node), encodeJson(doc), {
        timeout: this.timeoutMs,
      });
      return (
        decodeJsonWithBuffers<{ session: SessionHandover | null }>(reply.data).session ?? undefined
      );
    } catch (err) {
      this.log.warn(
        { clientId, previous: node, err: (err as Error).message },
        'cluster: previous owner did not hand the session over; starting without it',
      );
      return undefined;
    }
  }
}

/** JetStream's answer to a compare-and-set whose expected revision is no longer the key's. */
function lostRace(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 10071 || code === 10164; // StreamWrongLastSequence(Unknown)
}
