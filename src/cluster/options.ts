// The `cluster` section of the config (and `--cluster` / `--node-id`): validated without loading
// any NATS code, so that a bad value is reported before anything starts.

/** TLS towards the NATS servers (PEM files). */
export interface ClusterTlsOptions {
  /** CA bundle the servers' certificates must chain to. */
  caFile?: string;
  /** Client certificate (with `keyFile`) when the servers ask for one. */
  certFile?: string;
  keyFile?: string;
}

/** How a node joins a cluster (docs/cluster.md). */
export interface ClusterOptions {
  /** NATS server URLs (`nats://host:port`, `tls://host:port`); at least one. */
  servers: string[];
  /** This node's name, unique in the cluster: letters, digits, `-` and `_`, at most 64. */
  nodeId: string;
  /** NATS user name and password. */
  user?: string;
  pass?: string;
  /** NATS token. */
  token?: string;
  /** NATS credentials file (JWT and NKey seed). */
  credsFile?: string;
  tls?: ClusterTlsOptions;
  /** First token of every subject the cluster uses (default `petrel`): clusters sharing one NATS differ here. */
  subjectPrefix?: string;
  /** Interval of this node's heartbeat in ms (default 1000). */
  heartbeatMs?: number;
  /** A node unheard of for this long (ms) is taken for dead: no more routing to it (default 3000). */
  nodeTimeoutMs?: number;
  /** How long a QoS 1/2 forward waits for the other nodes' confirmation, ms (default 2000). */
  forwardTimeoutMs?: number;
  /** Copies JetStream keeps of the cluster's state (retained messages), 1-5 (default 1). */
  replicas?: number;
  /**
   * QoS 1/2 messages kept in JetStream for nodes taken for dead, delivered when they return:
   * at most this many (default 100000; 0 keeps none), ...
   */
  parkedMaxMsgs?: number;
  /** ... this many bytes (default 64 MiB) ... */
  parkedMaxBytes?: number;
  /** ... and none older than this, ms (default one hour); beyond them the oldest go. */
  parkedMaxAgeMs?: number;
}

/** The options with every default applied. */
export type ResolvedClusterOptions = ClusterOptions &
  Required<
    Pick<
      ClusterOptions,
      | 'subjectPrefix'
      | 'heartbeatMs'
      | 'nodeTimeoutMs'
      | 'forwardTimeoutMs'
      | 'replicas'
      | 'parkedMaxMsgs'
      | 'parkedMaxBytes'
      | 'parkedMaxAgeMs'
    >
  >;

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const URL_SCHEMES = ['nats:', 'tls:', 'ws:', 'wss:'];
const KEYS = new Set([
  'servers',
  'nodeId',
  'user',
  'pass',
  'token',
  'credsFile',
  'tls',
  'subjectPrefix',
  'heartbeatMs',
  'nodeTimeoutMs',
  'forwardTimeoutMs',
  'replicas',
  'parkedMaxMsgs',
  'parkedMaxBytes',
  'parkedMaxAgeMs',
]);

/** Splits `--cluster nats://a:4222,nats://b:4222`. */
export function splitServers(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function checkServer(url: unknown, where: string): string {
  if (typeof url !== 'string') return fail(`${where}: must be a URL string`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return fail(`${where}: '${url}' is not a URL (expected nats://host:port)`);
  }
  if (!URL_SCHEMES.includes(u.protocol)) {
    return fail(`${where}: '${url}' must start with nats://, tls://, ws:// or wss://`);
  }
  if (u.hostname === '') return fail(`${where}: '${url}' has no host`);
  return url;
}

function fail(message: string): never {
  throw new Error(message);
}

function positiveInt(v: unknown, key: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    fail(
      `cluster.${key}: must be a whole number of milliseconds 1-${max}, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function count(v: unknown, key: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(`cluster.${key}: must be a whole number ${min}-${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function text(v: unknown, key: string): string {
  if (typeof v !== 'string' || v === '') fail(`cluster.${key}: must be a non-empty string`);
  return v;
}

/**
 * Validates a `cluster` section; throws an Error whose message names the key and the problem
 * (`cluster.nodeId: ...`).
 */
export function parseClusterOptions(data: unknown): ClusterOptions {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    fail('cluster: must be an object with servers and nodeId');
  }
  const o = data as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KEYS.has(key)) fail(`cluster.${key}: unknown key (known: ${[...KEYS].join(', ')})`);
  }
  const servers = o.servers;
  if (!Array.isArray(servers) || servers.length === 0) {
    fail('cluster.servers: must list at least one NATS URL (--cluster nats://host:port)');
  }
  const out: ClusterOptions = {
    servers: servers.map((s, i) => checkServer(s, `cluster.servers[${i}]`)),
    nodeId: '',
  };
  if (o.nodeId === undefined) fail('cluster.nodeId: required (--node-id ID)');
  if (typeof o.nodeId !== 'string' || !NAME.test(o.nodeId)) {
    fail(`cluster.nodeId: ${JSON.stringify(o.nodeId)} must be 1-64 letters, digits, '-' or '_'`);
  }
  out.nodeId = o.nodeId;
  for (const key of ['user', 'pass', 'token', 'credsFile'] as const) {
    if (o[key] !== undefined) out[key] = text(o[key], key);
  }
  if (o.subjectPrefix !== undefined) {
    if (typeof o.subjectPrefix !== 'string' || !NAME.test(o.subjectPrefix)) {
      fail(
        `cluster.subjectPrefix: ${JSON.stringify(o.subjectPrefix)} must be 1-64 letters, digits, '-' or '_'`,
      );
    }
    out.subjectPrefix = o.subjectPrefix;
  }
  if (o.tls !== undefined) {
    if (typeof o.tls !== 'object' || o.tls === null || Array.isArray(o.tls)) {
      fail('cluster.tls: must be an object with caFile, certFile, keyFile');
    }
    const t = o.tls as Record<string, unknown>;
    const tls: ClusterTlsOptions = {};
    for (const key of Object.keys(t)) {
      if (key !== 'caFile' && key !== 'certFile' && key !== 'keyFile') {
        fail(`cluster.tls.${key}: unknown key (known: caFile, certFile, keyFile)`);
      }
      tls[key] = text(t[key], `tls.${key}`);
    }
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
      fail('cluster.tls: certFile and keyFile go together');
    }
    out.tls = tls;
  }
  if (o.heartbeatMs !== undefined)
    out.heartbeatMs = positiveInt(o.heartbeatMs, 'heartbeatMs', 60_000);
  if (o.nodeTimeoutMs !== undefined) {
    out.nodeTimeoutMs = positiveInt(o.nodeTimeoutMs, 'nodeTimeoutMs', 600_000);
  }
  if (o.forwardTimeoutMs !== undefined) {
    out.forwardTimeoutMs = positiveInt(o.forwardTimeoutMs, 'forwardTimeoutMs', 600_000);
  }
  if (o.replicas !== undefined) {
    const v = o.replicas;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 5) {
      fail(`cluster.replicas: must be a whole number 1-5, got ${JSON.stringify(v)}`);
    }
    out.replicas = v;
  }
  if (o.parkedMaxMsgs !== undefined) {
    out.parkedMaxMsgs = count(o.parkedMaxMsgs, 'parkedMaxMsgs', 0, 100_000_000);
  }
  if (o.parkedMaxBytes !== undefined) {
    out.parkedMaxBytes = count(o.parkedMaxBytes, 'parkedMaxBytes', 1024, 2 ** 40);
  }
  if (o.parkedMaxAgeMs !== undefined) {
    out.parkedMaxAgeMs = positiveInt(o.parkedMaxAgeMs, 'parkedMaxAgeMs', 30 * 86_400_000);
  }
  const r = resolveClusterOptions(out);
  if (r.nodeTimeoutMs <= r.heartbeatMs) {
    fail(
      `cluster.nodeTimeoutMs: ${r.nodeTimeoutMs} must exceed heartbeatMs (${r.heartbeatMs}), or live nodes would be taken for dead`,
    );
  }
  return out;
}

/** Applies the defaults. */
export function resolveClusterOptions(o: ClusterOptions): ResolvedClusterOptions {
  return {
    ...o,
    subjectPrefix: o.subjectPrefix ?? 'petrel',
    heartbeatMs: o.heartbeatMs ?? 1000,
    nodeTimeoutMs: o.nodeTimeoutMs ?? 3000,
    forwardTimeoutMs: o.forwardTimeoutMs ?? 2000,
    replicas: o.replicas ?? 1,
    parkedMaxMsgs: o.parkedMaxMsgs ?? 100_000,
    parkedMaxBytes: o.parkedMaxBytes ?? 64 * 1024 * 1024,
    parkedMaxAgeMs: o.parkedMaxAgeMs ?? 3_600_000,
  };
}
