import type { ProtocolVersion } from '../codec/constants.js';
import { PacketType } from '../codec/constants.js';
import { encodePacket } from '../codec/encode.js';
import type { Packet } from '../codec/types.js';
import { PacketIdAllocator } from '../shared/packet-id.js';
import type { Connection } from './connection.js';
import { ControlRequests } from './control.js';
import type { ClientCore } from './core.js';
import { ClientError, ClientErrorCode } from './errors.js';
import { Idle } from './idle.js';
import { Inbound } from './inbound.js';
import { KeepAlive } from './keepalive.js';
import { Lifecycle } from './lifecycle.js';
import { BrokerLimits } from './limits.js';
import { OfflineSweep } from './offline.js';
import type { ResolvedOptions } from './options.js';
import { Outbound } from './outbound.js';
import type { ClientState, EventSink } from './state.js';
import { StreamSet } from './stream-set.js';
import { SubscriptionRegistry } from './subscriptions.js';
import { TopicAliases } from './topic-alias.js';
import type { ConnackInfo } from './types.js';

/**
 * What the parts of one client share: its state, the current connection, the parts themselves
 * (each reaches the others through here) and the primitives they all use. Internal: the
 * public face is `MqttClient`.
 */
export class ClientContext implements ClientCore {
  state: ClientState = 'new';
  /** The protocol level in use (after any fallback). */
  version: ProtocolVersion;
  /** The client identifier in effect (the broker may assign one in v5). */
  clientId: string;
  conn: Connection | undefined = undefined;
  /** The last CONNACK. */
  connack: ConnackInfo | undefined = undefined;
  readonly limits = new BrokerLimits();
  readonly aliases = new TopicAliases();
  readonly subscriptions = new SubscriptionRegistry();
  /** Ids held by in-flight messages and pending (UN)SUBSCRIBEs; each releases its own. */
  readonly packetIds = new PacketIdAllocator();
  readonly keepAlive: KeepAlive;
  readonly outbound: Outbound;
  readonly inbound: Inbound;
  readonly control: ControlRequests;
  readonly streams: StreamSet;
  readonly offline: OfflineSweep;
  readonly idle: Idle;
  readonly lifecycle: Lifecycle;

  constructor(
    readonly opts: ResolvedOptions,
    readonly events: EventSink,
  ) {
    this.version = opts.protocolVersion;
    this.clientId = opts.clientId;
    this.keepAlive = new KeepAlive(
      () => this.send({ type: PacketType.PINGREQ }),
      () => this.lifecycle.onKeepAliveTimeout(),
    );
    this.outbound = new Outbound(this);
    this.inbound = new Inbound(this);
    this.control = new ControlRequests(this);
    this.streams = new StreamSet(this);
    this.offline = new OfflineSweep(this);
    this.idle = new Idle(this);
    this.lifecycle = new Lifecycle(this);
  }

  /** Encodes `packet` and queues it on the open connection; dropped when there is none. */
  send(packet: Packet): void {
    const conn = this.conn;
    if (conn === undefined || !conn.open || conn.transport === undefined) return;
    const bytes = encodePacket(packet, this.version);
    if (this.events.listenerCount('packetsend') > 0) this.events.emit('packetsend', packet);
    conn.write(bytes);
    this.keepAlive.sent = true;
  }

  /** A packet id used neither by an in-flight message nor by a pending (UN)SUBSCRIBE. */
  allocatePacketId(): number {
    const id = this.packetIds.allocate();
    if (id === 0) {
      throw new ClientError(ClientErrorCode.QueueFull, 'all 65535 packet identifiers are in use');
    }
    return id;
  }

  /** Reports a failure not tied to a call. */
  emitError(err: Error): void {
    // An unobserved 'error' must not crash the process: the client recovers on its own.
    if (this.events.listenerCount('error') > 0) this.events.emit('error', err);
  }
}
