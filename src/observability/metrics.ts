// Prometheus metrics of one broker, derived on scrape from the broker's plain counters and state
// (DESIGN.md hot-path rule 10): nothing here runs per message. prom-client is imported by the
// caller (the admin server, loaded only when HTTP is configured) and handed in, so this module
// stays free of it, and a private Registry per broker keeps two brokers in one process apart.
import type * as Prom from 'prom-client';
import { EventLoopWindow } from './event-loop.js';

/** The broker state the metrics read (structural, so this module imports nothing of ours). */
export interface MetricsSource {
  readonly stats: {
    readonly connected: number;
    readonly clientsTotal: number;
    readonly connectionsRefused: number;
    readonly connectsRefused: number;
    readonly authFailures: number;
    readonly rateLimited: number;
    readonly publishReceivedByQos: readonly number[];
    readonly publishSentByQos: readonly number[];
    readonly bytesReceived: number;
    readonly bytesSent: number;
    readonly dropped: number;
    readonly drops: {
      readonly queueFull: number;
      readonly tooLarge: number;
      readonly expired: number;
      readonly noPacketId: number;
    };
    readonly publishersThrottled: number;
  };
  readonly connections: Iterable<{
    readonly transport: string;
    readonly protocolVersion: number;
    readonly connectedAt: number;
  }>;
  readonly sessions: ReadonlyMap<
    string,
    {
      readonly connection: unknown;
      readonly queuedCount: number;
      readonly queuedBytes: number;
      readonly inflightCount: number;
    }
  >;
  readonly router: {
    readonly trie: { readonly count: number };
    readonly retained: { readonly count: number };
  };
  readonly persist: {
    readonly store: {
      readonly healthy: boolean;
      readonly commitStats?: {
        readonly count: number;
        readonly seconds: number;
        readonly lastSeconds: number;
      };
    };
  };
  /** The bridges' state (docs/bridges.md). */
  bridges(): Iterable<{
    readonly name: string;
    readonly connected: boolean;
    readonly queued: number;
    readonly forwardedIn: number;
    readonly forwardedOut: number;
  }>;
}

/** A cluster node's state and counters (src/cluster/), when the broker is clustered. */
export interface ClusterMetricsSource {
  readonly natsState: string;
  readonly stats: {
    readonly forwarded: number;
    readonly received: number;
    readonly forwardFailures: number;
    readonly duplicates: number;
    readonly lastLagMs: number;
  };
  readonly interest: { readonly nodes: ReadonlyMap<string, { readonly alive: boolean }> };
}

/** The metrics of one broker; `registry.metrics()` renders the text format. */
export interface BrokerMetrics {
  readonly registry: Prom.Registry;
  /** Stops the event-loop delay monitor. */
  stop(): void;
}

const QOS = ['0', '1', '2'] as const;

/** Registers every metric of docs/admin.md in a new Registry, read from `src` on each scrape. */
export function createMetrics(
  prom: typeof Prom,
  src: MetricsSource,
  cluster?: ClusterMetricsSource,
): BrokerMetrics {
  const registry = new prom.Registry();
  const registers = [registry];
  const s = src.stats;
  const counter = (name: string, help: string, read: () => number) =>
    new prom.Counter({
      name,
      help,
      registers,
      collect() {
        // Counters only go up: the current total is set as the increment from zero.
        this.reset();
        this.inc(read());
      },
    });
  const gauge = (name: string, help: string, read: () => number) =>
    new prom.Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });

  new prom.Gauge({
    name: 'petrel_connections',
    help: 'Open MQTT connections that completed CONNECT, by listener type and protocol version',
    labelNames: ['listener', 'protocol'],
    registers,
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const c of src.connections) {
        if (c.connectedAt === 0) continue;
        const key = `${c.transport}\0${c.protocolVersion}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const [key, n] of counts) {
        const [listener, protocol] = key.split('\0') as [string, string];
        this.set({ listener, protocol: PROTOCOL_NAMES[protocol] ?? protocol }, n);
      }
    },
  });
  counter('petrel_connects_total', 'CONNECTs accepted (CONNACK success)', () => s.clientsTotal);
  counter(
    'petrel_connections_refused_total',
    'Sockets closed on accept (connection limits, broker closing, PROXY header missing)',
    () => s.connectionsRefused,
  );
  counter(
    'petrel_connect_refusals_total',
    'CONNECTs refused by a connect-rate, pending-authentication or anonymity rule',
    () => s.connectsRefused,
  );
  counter(
    'petrel_auth_failures_total',
    'CONNECTs refused by authentication (bad or missing credentials)',
    () => s.authFailures,
  );
  counter(
    'petrel_rate_limit_disconnects_total',
    'Clients disconnected for exceeding the message or byte rate',
    () => s.rateLimited,
  );
  new prom.Gauge({
    name: 'petrel_sessions',
    help: 'Sessions by state: online (connected) or offline (persistent, awaiting their client)',
    labelNames: ['state'],
    registers,
    collect() {
      let online = 0;
      for (const session of src.sessions.values()) if (session.connection !== undefined) online++;
      this.set({ state: 'online' }, online);
      this.set({ state: 'offline' }, src.sessions.size - online);
    },
  });
  gauge('petrel_subscriptions', 'Subscriptions of all sessions', () => src.router.trie.count);
  gauge(
    'petrel_retained_messages',
    'Retained messages (without $SYS)',
    () => src.router.retained.count,
  );
  for (const [dir, help, arr] of [
    ['received', 'PUBLISH packets received from clients, by QoS', s.publishReceivedByQos],
    ['sent', 'PUBLISH packets sent to clients, by QoS', s.publishSentByQos],
  ] as const) {
    new prom.Counter({
      name: `petrel_messages_${dir}_total`,
      help,
      labelNames: ['qos'],
      registers,
      collect() {
        this.reset();
        for (let q = 0; q < 3; q++) this.inc({ qos: QOS[q] as string }, arr[q] ?? 0);
      },
    });
  }
  counter('petrel_received_bytes_total', 'Bytes read from MQTT connections', () => s.bytesReceived);
  counter('petrel_sent_bytes_total', 'Bytes written to MQTT connections', () => s.bytesSent);
  new prom.Counter({
    name: 'petrel_messages_dropped_total',
    help: 'Messages not delivered to a subscriber, by reason: queue_full, too_large (its Maximum Packet Size), expired (while queued), no_packet_id',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      const d = s.drops;
      this.inc({ reason: 'queue_full' }, d.queueFull);
      this.inc({ reason: 'too_large' }, d.tooLarge);
      this.inc({ reason: 'expired' }, d.expired);
      this.inc({ reason: 'no_packet_id' }, d.noPacketId);
    },
  });
  counter(
    'petrel_publishers_throttled_total',
    'Times a publisher stopped being read because a subscriber queue was full',
    () => s.publishersThrottled,
  );
  const sum =
    (f: (x: { queuedCount: number; queuedBytes: number; inflightCount: number }) => number) =>
    () => {
      let n = 0;
      for (const session of src.sessions.values()) n += f(session);
      return n;
    };
  gauge(
    'petrel_queued_messages',
    'Messages queued in all sessions',
    sum((x) => x.queuedCount),
  );
  gauge(
    'petrel_queued_bytes',
    'Payload bytes queued in all sessions',
    sum((x) => x.queuedBytes),
  );
  gauge(
    'petrel_inflight_messages',
    'Outbound QoS 1/2 messages awaiting acknowledgement',
    sum((x) => x.inflightCount),
  );
  gauge('petrel_store_healthy', '1 while the last store commit succeeded, else 0', () =>
    src.persist.store.healthy ? 1 : 0,
  );
  bridgeMetrics(prom, registers, src);

  const commits = src.persist.store.commitStats;
  if (commits !== undefined) {
    // A summary without quantiles (`_sum` and `_count`), filled from the store's own totals: the
    // prom-client classes only take observations, which would mean work per commit here.
    const name = 'petrel_store_commit_seconds';
    registry.registerMetric({
      name,
      get: () => ({
        name,
        help: 'Store commits (one per batch of changes) and their duration, the flush to disk (fsync) of sync durability included',
        type: 'summary',
        aggregator: 'sum',
        values: [
          { metricName: `${name}_sum`, labels: {}, value: commits.seconds },
          { metricName: `${name}_count`, labels: {}, value: commits.count },
        ],
      }),
    } as unknown as Prom.Metric);
    gauge(
      'petrel_store_last_commit_seconds',
      'Duration of the last store commit',
      () => commits.lastSeconds,
    );
  }

  const loop = new EventLoopWindow();
  new prom.Gauge({
    name: 'petrel_event_loop_delay_seconds',
    help: 'Event-loop delay over the last complete 10 s window, by quantile (0.5, 0.99, 1 = max)',
    labelNames: ['quantile'],
    registers,
    collect() {
      const f = loop.read();
      this.set({ quantile: '0.5' }, f.p50);
      this.set({ quantile: '0.99' }, f.p99);
      this.set({ quantile: '1' }, f.max);
    },
  });
  gauge(
    'petrel_event_loop_utilization_ratio',
    'Event-loop utilisation over the last complete 10 s window (0..1)',
    () => loop.read().utilization,
  );
  if (cluster !== undefined) clusterMetrics(cluster, counter, gauge);
  return { registry, stop: () => loop.stop() };
}

const PROTOCOL_NAMES: Record<string, string> = { '3': '3.1', '4': '3.1.1', '5': '5.0' };

/** Per-bridge gauges and counters, labelled with the bridge's name. */
function bridgeMetrics(prom: typeof Prom, registers: Prom.Registry[], src: MetricsSource): void {
  const perBridge = (name: string, help: string, read: (b: BridgeRow) => number) =>
    new prom.Gauge({
      name,
      help,
      labelNames: ['bridge'],
      registers,
      collect() {
        this.reset();
        for (const b of src.bridges()) this.set({ bridge: b.name }, read(b));
      },
    });
  perBridge('petrel_bridge_connected', '1 while the bridge is connected, else 0', (b) =>
    b.connected ? 1 : 0,
  );
  perBridge(
    'petrel_bridge_queued_messages',
    'Messages waiting for the remote broker (queued or in flight)',
    (b) => b.queued,
  );
  new prom.Counter({
    name: 'petrel_bridge_forwarded_total',
    help: 'Messages a bridge forwarded, by direction (in: from the remote, out: to it)',
    labelNames: ['bridge', 'direction'],
    registers,
    collect() {
      this.reset();
      for (const b of src.bridges()) {
        this.inc({ bridge: b.name, direction: 'in' }, b.forwardedIn);
        this.inc({ bridge: b.name, direction: 'out' }, b.forwardedOut);
      }
    },
  });
}

type BridgeRow = ReturnType<MetricsSource['bridges']> extends Iterable<infer R> ? R : never;

type Register = (name: string, help: string, read: () => number) => unknown;

/** The NATS link and forwarding figures of a clustered broker. */
function clusterMetrics(c: ClusterMetricsSource, counter: Register, gauge: Register): void {
  const s = c.stats;
  gauge('petrel_cluster_nats_connected', '1 while the link to NATS is up, else 0', () =>
    c.natsState === 'connected' ? 1 : 0,
  );
  gauge(
    'petrel_cluster_nodes_alive',
    'Nodes of the cluster alive as this node sees them, itself included',
    () => {
      let n = 1;
      for (const peer of c.interest.nodes.values()) if (peer.alive) n++;
      return n;
    },
  );
  counter(
    'petrel_cluster_messages_forwarded_total',
    'Messages sent to other nodes (one per receiving node)',
    () => s.forwarded,
  );
  counter(
    'petrel_cluster_messages_received_total',
    'Messages received from other nodes',
    () => s.received,
  );
  counter(
    'petrel_cluster_forward_failures_total',
    'QoS 1/2 forwards not confirmed in time',
    () => s.forwardFailures,
  );
  counter(
    'petrel_cluster_duplicates_total',
    'Forwarded messages dropped as duplicates',
    () => s.duplicates,
  );
  gauge(
    'petrel_cluster_forward_lag_seconds',
    'Round trip of the last confirmed forward',
    () => s.lastLagMs / 1000,
  );
}
