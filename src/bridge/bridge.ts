import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { BRIDGE_MARK, markBridged } from '../broker/listener.js';
import { resolveOptions as resolveClientOptions } from '../client/options.js';
import { openTransport } from '../client/transport.js';
import { PacketType, type QoS } from '../codec/constants.js';
import { topicMatches } from '../codec/topic.js';
import type { ConnectPacket, Packet, Properties, PublishPacket } from '../codec/types.js';
import type { Logger } from '../observability/logger.js';
import { Backoff } from '../shared/backoff.js';
import { ConnackError, Link, type LinkOwner, type Opener, streamOpener } from './link.js';
import type { ResolvedBridge, ResolvedBridgeTopic } from './options.js';
import { pipePair } from './pipe.js';

/** What a bridge needs of the broker: the public `Broker` API (see broker/broker.ts). */
export interface BridgeHost {
  readonly log: Logger;
  readonly options: { readonly receiveMaximum: number; readonly maxPacketSize: number };
  readonly sessions: ReadonlyMap<
    string,
    {
      readonly subscriptions: ReadonlyMap<string, unknown>;
      queuedCount: number;
      inflightCount: number;
    }
  >;
  /** Admits an in-process stream as a trusted connection (no authentication, no ACL). */
  acceptTrusted(stream: Duplex): void;
  /** Sequence number of the last state change written to the store. */
  readonly storeSeq: number;
  /** Calls `fn` once every state change written so far is durable. */
  whenDurable(fn: () => void): void;
  publish(topic: string, payload: string, options: { qos?: QoS; retain?: boolean }): void;
}

/** Counters and state of one bridge, read by `$SYS`. */
export interface BridgeState {
  connected: boolean;
  forwardedIn: number;
  forwardedOut: number;
  lastError: string | undefined;
}

const NEVER_EXPIRES = 0xffffffff;
/**
 * In-flight window towards a 3.1.1 remote, which announces none: Mosquitto's default
 * `max_inflight_messages`. Mosquitto completes, but silently drops, QoS 2 messages a 3.1.1
 * client sends beyond it.
 */
const V3_WINDOW = 20;
const CONNECT_TIMEOUT_MS = 10_000;

/** A packet that arrived before both links were ready, copied. */
type Held = { local: boolean; packet: Packet };

/** QoS 2 messages for the remote waiting until the store records up to `seq` are durable. */
type Pending = { seq: number; packets: PublishPacket[] };

/**
 * One bridge: a link to the remote broker and a link to this broker over an in-process pipe,
 * where the bridge is an ordinary persistent session (`$bridge/<name>`). Each exchange is
 * mirrored with the same packet id and acknowledged on one side only when the other side
 * acknowledged it, so the broker's stored session (queue, in-flight and QoS 2 state) is the
 * record of what still has to cross, through remote outages and restarts.
 */
export class Bridge implements LinkOwner {
  readonly state: BridgeState = {
    connected: false,
    forwardedIn: 0,
    forwardedOut: 0,
    lastError: undefined,
  };
  private remote: Link | undefined = undefined;
  private local: Link | undefined = undefined;
  private ready = false;
  private held: Held[] = [];
  private pendingOut: Pending[] = [];
  private stopped = true;
  private timer: NodeJS.Timeout | undefined = undefined;
  private readonly backoff: Backoff;
  private addressIndex = 0;
  /** The remote refused the 0x80 protocol level: connect as a plain client from now on. */
  private privateRefused = false;
  /** The remote refused the notification will (Petrel refuses wills in `$SYS`): connect without. */
  private willRefused = false;
  /** QoS 2 packet ids from the local side that were not sent out (already bridged). */
  private readonly skipped = new Set<number>();
  /** Answers to our (UN)SUBSCRIBE, by side and packet id. */
  private readonly waiting = new Map<string, { done: () => void; fail: (e: Error) => void }>();
  private readonly outTopics: ResolvedBridgeTopic[];
  private readonly inTopics: ResolvedBridgeTopic[];
  /** Remote filters of an earlier configuration of this bridge, unsubscribed on connect. */
  private staleRemote: string[] = [];
  private attempt: Promise<void> | undefined = undefined;

  constructor(
    private readonly host: BridgeHost,
    readonly config: ResolvedBridge,
    /** Called when the bridge connects or goes down (its `$SYS` values change). */
    private readonly changed: (bridge: Bridge) => void = () => {},
  ) {
    this.backoff = new Backoff({
      initialDelay: config.restartBase * 1000,
      maxDelay: config.restartCap * 1000,
      jitter: config.restartBase === config.restartCap ? 0 : 0.5,
    });
    this.outTopics = config.topics.filter((t) => t.direction !== 'in');
    this.inTopics = config.topics.filter((t) => t.direction !== 'out');
  }

  private get log(): Logger {
    return this.host.log;
  }

  /** Messages waiting for the remote: queued or in flight in the bridge's local session. */
  get queued(): number {
    const s = this.host.sessions.get(this.config.localClientId);
    return s === undefined ? 0 : s.queuedCount + s.inflightCount;
  }

  /** Starts connecting (and keeps reconnecting until {@link stop}). */
  start(staleRemoteFilters: string[] = []): void {
    const now = new Set(this.inTopics.map((t) => t.remoteFilter));
    this.staleRemote = staleRemoteFilters.filter((f) => !now.has(f));
    this.stopped = false;
    this.connect();
  }

  /** Disconnects both links and stops reconnecting; the local session keeps what is queued. */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // An attempt in progress sees `stopped` when it completes and closes what it opened.
    this.down(undefined);
    return Promise.resolve();
  }

  private connect(): void {
    this.timer = undefined;
    if (this.stopped) return;
    this.attempt = this.open().then(
      (again) => {
        this.attempt = undefined;
        if (again) this.connect();
        // An attempt that ended without connecting (a link closed meanwhile) tries again later.
        else if (!this.ready) this.down(undefined);
      },
      (err: unknown) => {
        this.attempt = undefined;
        this.down(err as Error);
      },
    );
  }

  /** One attempt; resolves true to try again at once (the remote refused a Mosquitto extra). */
  private async open(): Promise<boolean> {
    const c = this.config;
    const at = this.addressIndex % c.addresses.length;
    const address = c.addresses[at] as { host: string; port: number };
    const tryPrivate = c.tryPrivate && c.protocolVersion === 4 && !this.privateRefused;
    let remote: { link: Link; connack: { properties: Properties | undefined } };
    try {
      remote = await Link.open(
        this.remoteOpener(address.host, address.port),
        {
          side: 'remote',
          connect: this.remoteConnect(tryPrivate),
          timeoutMs: CONNECT_TIMEOUT_MS,
          maxPacketSize: c.maxPacketSize ?? this.host.options.maxPacketSize,
        },
        this,
      );
    } catch (err) {
      // A broker that does not know Mosquitto's bridge bit refuses the protocol level (3.1.1
      // return code 1): connect again at once without it, as Mosquitto does.
      if (tryPrivate && err instanceof ConnackError && err.code === 1) {
        this.privateRefused = true;
        this.log.info({ bridge: c.name }, 'remote refused try_private; connecting as a client');
        return true;
      }
      const notAuthorized = c.protocolVersion === 5 ? 0x87 : 5;
      if (
        c.notifications &&
        !this.willRefused &&
        err instanceof ConnackError &&
        err.code === notAuthorized
      ) {
        this.willRefused = true;
        this.log.info(
          { bridge: c.name, topic: c.notificationTopic },
          'remote refused the notification will; connecting without it',
        );
        return true;
      }
      this.addressIndex++;
      throw err;
    }
    const remoteLink = remote.link;
    if (this.stopped) {
      remoteLink.end();
      return false;
    }
    this.remote = remoteLink;
    const window =
      c.protocolVersion === 5 ? (remote.connack.properties?.receiveMaximum ?? 65_535) : V3_WINDOW;
    const [ours, theirs] = pipePair();
    this.host.acceptTrusted(theirs);
    const local = await Link.open(
      streamOpener(ours),
      {
        side: 'local',
        connect: {
          type: PacketType.CONNECT,
          protocolName: 'MQTT',
          protocolVersion: 5,
          clean: false,
          keepAlive: 0,
          clientId: c.localClientId,
          username: undefined,
          password: undefined,
          will: undefined,
          // The remote's window becomes the broker's window towards us, so the broker never has
          // more in flight to the bridge than the remote takes.
          properties: { sessionExpiryInterval: NEVER_EXPIRES, receiveMaximum: window },
        },
        timeoutMs: CONNECT_TIMEOUT_MS,
        maxPacketSize: 268_435_460,
      },
      this,
    );
    // The remote may have gone (and down() run) while the local side connected.
    if (this.stopped || this.remote !== remoteLink || !remoteLink.open) {
      local.link.end();
      return false;
    }
    this.local = local.link;
    await this.subscribe();
    if (this.stopped || this.local !== local.link || this.remote !== remoteLink) return false;
    this.ready = true;
    this.backoff.reset();
    this.state.connected = true;
    this.state.lastError = undefined;
    this.log.info(
      { bridge: c.name, remote: `${address.host}:${address.port}` },
      'bridge connected',
    );
    this.notify('1');
    this.changed(this);
    const held = this.held;
    this.held = [];
    for (const h of held) {
      if (!this.ready) break;
      this.route(h.local, h.packet);
    }
    return false;
  }

  /** Local: drops filters no longer configured, subscribes the out topics; remote: the in topics. */
  private async subscribe(): Promise<void> {
    const local = this.local as Link;
    const remote = this.remote as Link;
    const outFilters = new Set(this.outTopics.map((t) => t.localFilter));
    const session = this.host.sessions.get(this.config.localClientId);
    const stale = [...(session?.subscriptions.keys() ?? [])].filter((f) => !outFilters.has(f));
    const waits: Promise<void>[] = [];
    if (stale.length > 0) {
      waits.push(this.expect('L', 1, PacketType.UNSUBACK));
      local.send({
        type: PacketType.UNSUBSCRIBE,
        packetId: 1,
        topicFilters: stale,
        properties: undefined,
      });
    }
    if (this.outTopics.length > 0) {
      waits.push(this.expect('L', 2, PacketType.SUBACK));
      local.send({
        type: PacketType.SUBSCRIBE,
        packetId: 2,
        subscriptions: this.outTopics.map((t) => ({
          topicFilter: t.localFilter,
          qos: t.qos,
          // The bridge's own inbound messages are not sent back; retained ones keep their flag
          // and are sent once, when the subscription is new.
          noLocal: true,
          retainAsPublished: true,
          retainHandling: 1 as const,
        })),
        properties: undefined,
      });
    }
    if (this.staleRemote.length > 0) {
      waits.push(this.expect('R', 1, PacketType.UNSUBACK));
      remote.send({
        type: PacketType.UNSUBSCRIBE,
        packetId: 1,
        topicFilters: this.staleRemote,
        properties: undefined,
      });
      this.staleRemote = [];
    }
    if (this.inTopics.length > 0) {
      waits.push(this.expect('R', 2, PacketType.SUBACK));
      const v5 = remote.version === 5;
      remote.send({
        type: PacketType.SUBSCRIBE,
        packetId: 2,
        subscriptions: this.inTopics.map((t) => ({
          topicFilter: t.remoteFilter,
          qos: t.qos,
          // [MQTT-3.8.3-3] No Local: what the bridge publishes there does not come back.
          noLocal: v5,
          retainAsPublished: v5,
          retainHandling: v5 ? (1 as const) : (0 as const),
        })),
        properties: undefined,
      });
    }
    await Promise.all(waits);
  }

  private expect(side: 'L' | 'R', id: number, type: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(`${side}${type}:${id}`);
        reject(new Error(`no ${type === PacketType.SUBACK ? 'SUBACK' : 'UNSUBACK'} in time`));
      }, CONNECT_TIMEOUT_MS);
      this.waiting.set(`${side}${type}:${id}`, {
        done: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  private remoteConnect(tryPrivate: boolean): ConnectPacket {
    const c = this.config;
    const v5 = c.protocolVersion === 5;
    const properties: Properties = {
      receiveMaximum: this.host.options.receiveMaximum,
      // A persistent remote session must outlive a restart of this broker.
      ...(c.cleanSession ? {} : { sessionExpiryInterval: NEVER_EXPIRES }),
      ...(c.maxPacketSize === undefined ? {} : { maximumPacketSize: c.maxPacketSize }),
    };
    return {
      type: PacketType.CONNECT,
      protocolName: 'MQTT',
      protocolVersion: c.protocolVersion,
      clean: c.cleanSession,
      keepAlive: c.keepalive,
      clientId: c.remoteClientId,
      username: c.username,
      password: c.password === undefined ? undefined : Buffer.from(c.password),
      will:
        c.notifications && !this.willRefused
          ? {
              topic: c.notificationTopic,
              payload: Buffer.from('0'),
              qos: 1,
              retain: true,
              properties: undefined,
            }
          : undefined,
      properties: v5 ? properties : undefined,
      ...(tryPrivate ? { bridge: true } : {}),
    };
  }

  private remoteOpener(host: string, port: number): Opener {
    const c = this.config;
    const h = host.includes(':') ? `[${host}]` : host;
    const path = c.transport === 'ws' || c.transport === 'wss' ? '/mqtt' : '';
    const t = c.tls;
    const read = (f: string | undefined) => (f === undefined ? undefined : readFileSync(f));
    return (events) => {
      const options = resolveClientOptions(`${c.transport}://${h}:${port}${path}`, {
        keepAlive: c.keepalive,
        tls: {
          ca: read(t.caFile),
          cert: read(t.certFile),
          key: read(t.keyFile),
          rejectUnauthorized: t.insecure !== true,
        },
      });
      return openTransport(options, events);
    };
  }

  /** Publishes the notification payload locally and, once connected, remotely (retained). */
  private notify(payload: '0' | '1'): void {
    const c = this.config;
    if (!c.notifications) return;
    this.host.publish(c.notificationTopic, payload, { qos: 1, retain: true });
    if (payload === '1' && this.remote !== undefined) {
      // QoS 0: a packet id towards the remote would collide with the mirrored ones.
      this.remote.send({
        type: PacketType.PUBLISH,
        topic: c.notificationTopic,
        payload: Buffer.from(payload),
        qos: 0,
        retain: true,
        dup: false,
        packetId: 0,
        properties: undefined,
      });
    }
  }

  /** Either link closed or the attempt failed: close both, reconnect later. */
  private down(error: Error | undefined): void {
    const wasUp = this.state.connected;
    this.ready = false;
    this.held = [];
    this.pendingOut = [];
    this.skipped.clear();
    const waits = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waits) w.fail(error ?? new Error('bridge stopped'));
    const remote = this.remote;
    const local = this.local;
    this.remote = undefined;
    this.local = undefined;
    remote?.end();
    local?.end();
    this.state.connected = false;
    if (error !== undefined) {
      this.state.lastError = error.message;
      this.log.warn({ bridge: this.config.name, err: error.message }, 'bridge connection failed');
    }
    if (wasUp) this.notify('0');
    if (wasUp || error !== undefined) this.changed(this);
    if (this.stopped || this.timer !== undefined || this.attempt !== undefined) return;
    const delay = this.backoff.next();
    this.timer = setTimeout(() => this.connect(), delay);
    this.timer.unref();
  }

  /** {@link LinkOwner}: a link closed. */
  onClose(link: Link, error: Error | undefined): void {
    if (link !== this.remote && link !== this.local) return;
    this.down(error ?? new Error(link === this.remote ? 'remote closed' : 'local session closed'));
  }

  /** {@link LinkOwner}: back-pressure is lifted on one link; read the other again. */
  onDrain(link: Link): void {
    (link === this.remote ? this.local : this.remote)?.resume();
  }

  /** {@link LinkOwner}: a packet from either side. */
  onPacket(link: Link, packet: Packet): void {
    // Only open links deliver, and down() closes both: this is the current attempt's link,
    // possibly before open() has recorded it.
    const local = link.side === 'local';
    if (packet.type === PacketType.SUBACK || packet.type === PacketType.UNSUBACK) {
      const key = `${local ? 'L' : 'R'}${packet.type}:${packet.packetId}`;
      const w = this.waiting.get(key);
      this.waiting.delete(key);
      w?.done();
      return;
    }
    if (packet.type === PacketType.DISCONNECT) {
      link.destroy(
        new Error(`${local ? 'local' : 'remote'} DISCONNECT 0x${packet.reasonCode.toString(16)}`),
      );
      return;
    }
    if (!this.ready) {
      this.held.push({ local, packet: copyPacket(packet) });
      return;
    }
    this.route(local, packet);
  }

  private route(local: boolean, p: Packet): void {
    const to = (local ? this.remote : this.local) as Link;
    const back = (local ? this.local : this.remote) as Link;
    switch (p.type) {
      case PacketType.PUBLISH:
        if (local) this.outbound(p, to, back);
        else this.inbound(p, to, back);
        return;
      case PacketType.PUBREL:
        if (local && this.skipped.delete(p.packetId)) {
          back.send({
            type: PacketType.PUBCOMP,
            packetId: p.packetId,
            reasonCode: 0,
            properties: undefined,
          });
          return;
        }
        this.pass(to, back, { ...p, properties: undefined });
        return;
      case PacketType.PUBACK:
      case PacketType.PUBREC:
      case PacketType.PUBCOMP:
        if (!local && p.reasonCode >= 0x80) {
          this.state.lastError = `remote refused a message: reason 0x${p.reasonCode.toString(16)}`;
          this.log.warn(
            { bridge: this.config.name, reason: p.reasonCode },
            'remote refused a message',
          );
        }
        this.pass(to, back, { ...p, properties: undefined });
        return;
      case PacketType.CONNECT:
      case PacketType.CONNACK:
      case PacketType.SUBSCRIBE:
      case PacketType.SUBACK:
      case PacketType.UNSUBSCRIBE:
      case PacketType.UNSUBACK:
      case PacketType.PINGREQ:
      case PacketType.PINGRESP:
      case PacketType.DISCONNECT:
      case PacketType.AUTH:
        // A server never sends these here (acks and DISCONNECT are taken in onPacket).
        back.destroy(new Error(`unexpected packet type ${p.type} from the server`));
    }
  }

  /** Sends to `to`; when its buffer is full, stops reading from `back` until it drains. */
  private pass(to: Link, back: Link, p: Packet): void {
    if (!to.send(p)) back.pause();
  }

  /** A message from the local session for the remote. */
  private outbound(p: PublishPacket, remote: Link, local: Link): void {
    const marked = p.properties?.userProperties?.some((u) => u[0] === BRIDGE_MARK) === true;
    const t = marked ? undefined : this.outTopics.find((x) => topicMatches(x.localFilter, p.topic));
    if (t === undefined) {
      // Crossed a bridge already (or no longer bridged): settle it here, never send it on.
      if (p.qos === 1) {
        local.send({
          type: PacketType.PUBACK,
          packetId: p.packetId,
          reasonCode: 0,
          properties: undefined,
        });
      } else if (p.qos === 2) {
        this.skipped.add(p.packetId);
        local.send({
          type: PacketType.PUBREC,
          packetId: p.packetId,
          reasonCode: 0,
          properties: undefined,
        });
      }
      return;
    }
    this.state.forwardedOut++;
    const out: PublishPacket = {
      ...p,
      topic: t.remotePrefix + p.topic.slice(t.localPrefix.length),
      properties:
        remote.version === 5 ? forwardProperties(p.properties, this.config.name) : undefined,
    };
    if (p.qos === 2) this.holdUntilDurable(out);
    else this.pass(remote, local, out);
  }

  /**
   * A QoS 2 message goes out only once the broker's record of it under this packet id is
   * durable: were it sent before, a crash could leave the remote holding the id for a message
   * the restarted broker sends again under another id, and the remote would then take the next
   * message sent with that id for a duplicate. (The broker writes the record before it sends
   * the PUBLISH, so the current store sequence covers it.)
   */
  private holdUntilDurable(p: PublishPacket): void {
    const seq = this.host.storeSeq;
    let last = this.pendingOut.at(-1);
    if (last !== undefined && last.seq === seq) {
      last.packets.push(copyPacket(p) as PublishPacket);
      return;
    }
    last = { seq, packets: [copyPacket(p) as PublishPacket] };
    this.pendingOut.push(last);
    const batch = last;
    this.host.whenDurable(() => this.releaseDurable(batch));
  }

  /** Sends every held batch up to `batch` (durable callbacks come in store order). */
  private releaseDurable(batch: Pending): void {
    if (!this.pendingOut.includes(batch)) return;
    const remote = this.remote as Link;
    const local = this.local as Link;
    for (;;) {
      const b = this.pendingOut.shift() as Pending;
      for (const p of b.packets) this.pass(remote, local, p);
      if (b === batch) return;
    }
  }

  /** A message from the remote for the local broker. */
  private inbound(p: PublishPacket, local: Link, remote: Link): void {
    const t = this.inTopics.find((x) => topicMatches(x.remoteFilter, p.topic));
    if (t === undefined) {
      if (p.qos === 1) {
        remote.send({
          type: PacketType.PUBACK,
          packetId: p.packetId,
          reasonCode: 0,
          properties: undefined,
        });
      } else if (p.qos === 2) {
        remote.send({
          type: PacketType.PUBREC,
          packetId: p.packetId,
          reasonCode: 0,
          properties: undefined,
        });
      }
      return;
    }
    this.state.forwardedIn++;
    const topic = t.localPrefix + p.topic.slice(t.remotePrefix.length);
    this.pass(local, remote, {
      ...p,
      topic,
      properties: forwardProperties(p.properties, this.config.name),
    });
  }
}

/**
 * The PUBLISH properties that travel with a message (not the per-hop topic alias and
 * subscription ids), plus the bridge mark.
 */
function forwardProperties(p: Properties | undefined, name: string): Properties {
  const { topicAlias: _a, subscriptionIdentifiers: _s, ...rest } = p ?? {};
  return markBridged(rest, name);
}

/** A packet with its buffers copied, to keep beyond the current read. */
function copyPacket(p: Packet): Packet {
  if (p.type !== PacketType.PUBLISH) return p;
  const props = p.properties;
  return {
    ...p,
    payload: Buffer.from(p.payload),
    properties:
      props?.correlationData === undefined
        ? props
        : { ...props, correlationData: Buffer.from(props.correlationData) },
  };
}
