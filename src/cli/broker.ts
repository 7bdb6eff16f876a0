// `petrel broker`: runs a broker until SIGINT/SIGTERM.
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { adminOptionsJsonSchema } from '../admin/options.js';
import { Acl } from '../auth/acl.js';
import type { DynamicAuthHooks, DynamicSecurity } from '../auth/dynamic/index.js';
import { createAuthHooks } from '../auth/hooks.js';
import { PasswordAuthenticator } from '../auth/password-file.js';
import type { Broker } from '../broker/broker.js';
import { createBroker } from '../broker/create.js';
import type { BrokerHooks } from '../broker/hooks.js';
import type { BrokerOptions } from '../broker/options.js';
import { optionsJsonSchema } from '../broker/options.js';
import type { ClusterOptions } from '../cluster/options.js';
import { splitServers } from '../cluster/options.js';
import { LmdbStore } from '../persistence/lmdb/index.js';
import type { Store } from '../persistence/types.js';
import type { BrokerConfig, ConfigFormat } from './config.js';
import { ConfigError, loadConfig, parseConfig } from './config.js';
import { workerIndex } from './worker-index.js';

const HELP = `Usage: petrel broker [options]

Runs an MQTT 3.1/3.1.1/5.0 broker.

Options:
  -p, --port PORT       TCP port (default 1883)
  -H, --host HOST       interface to bind (default 127.0.0.1)
      --ws-port PORT    also listen for MQTT over WebSocket on PORT (path /mqtt)
      --tls-port PORT   also listen for MQTT over TLS on PORT (needs --cert and --key)
      --wss-port PORT   also listen for MQTT over WebSocket over TLS on PORT
      --cert FILE       PEM certificate chain of the TLS listeners
      --key FILE        PEM private key of the TLS listeners
      --cafile FILE     PEM CA bundle that client certificates must chain to
      --crlfile FILE    PEM revocation list(s) for client certificates (needs --cafile)
      --require-certificate
                        refuse TLS clients without a valid client certificate
      --use-identity-as-username
                        the client certificate's CN is the user name
      --tls-version V   lowest TLS version accepted: TLSv1.2 (default) or TLSv1.3
      --ciphers LIST    OpenSSL cipher list for TLS 1.2
      --proxy-protocol  every connection opens with a PROXY protocol v1/v2 header (only behind
                        a trusted load balancer: the address in it is believed)
      --allow-anonymous accept clients without a user name on every listener (default:
                        only on loopback listeners, and not with a password file)
      --dynamic-security
                        runtime users, roles and ACL rules in the store, managed through the
                        admin API and \`petrel ctl user|role\` (docs/admin.md)
      --http-port PORT  serve the admin API, /metrics and /healthz on PORT (docs/admin.md)
      --http-host HOST  interface of the admin API (default 127.0.0.1; another needs tokens)
      --http-token-file FILE
                        bearer tokens of the admin API, one per line
  -c, --config FILE     config file: Petrel's JSON (docs/config.md) or a mosquitto.conf
                        (docs/mosquitto.md), told apart by content
      --config-format F auto (default), json or mosquitto
  -d, --data-dir DIR    directory of the LMDB store (default ./data beside the config file,
                        else in the working directory)
      --durability MODE sync (default: acknowledge after the commit is on disk), batched,
                        or none (memory only)
      --cluster URLS    join a cluster through NATS: comma-separated nats:// URLs (needs
                        --node-id; see docs/cluster.md)
      --node-id ID      this node's name in the cluster (letters, digits, - and _)
      --workers N       run N cluster nodes in N processes sharing the listening ports
                        (needs --cluster; worker i is node ID-i with store DIR/worker-i)
  -v, --verbose         debug logging
      --pid-file FILE   write the process id to FILE (for petrel reload); removed on exit
      --schema          print the JSON schema of the config file and exit
  -h, --help            show this help
`;

interface Args {
  port?: number;
  host?: string;
  wsPort?: number;
  config?: string;
  configFormat: ConfigFormat;
  dataDir?: string;
  durability?: string;
  pidFile?: string;
  /** `--cluster`: NATS server URLs. */
  clusterServers?: string[];
  /** `--node-id`. */
  nodeId?: string;
  /** `--workers N`. */
  workers?: number;
  /** `--http-*` flags: keys of the config's `http` section (override the file's). */
  http: Record<string, unknown>;
  /** Flags that map 1:1 to config keys (override the file). */
  keys: Record<string, unknown>;
  verbose: boolean;
  help: boolean;
  schema: boolean;
}

function parsePort(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !/^\d+$/.test(v) || n > 65535) {
    throw new ConfigError(`${flag}: expected a port number 0-65535, got ${v ?? 'nothing'}`);
  }
  return n;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    verbose: false,
    help: false,
    schema: false,
    keys: {},
    configFormat: 'auto',
    http: {},
  };
  const file = (flag: string, v: string | undefined): string => {
    if (v === undefined || v === '') throw new ConfigError(`${flag}: expected a file`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const next = () => argv[++i];
    switch (flag) {
      case '-p':
      case '--port':
        a.port = parsePort(flag, next());
        break;
      case '-H':
      case '--host': {
        const h = next();
        if (h === undefined || h === '') throw new ConfigError(`${flag}: expected a host`);
        a.host = h;
        break;
      }
      case '--ws-port':
        a.wsPort = parsePort(flag, next());
        break;
      case '--tls-port':
        a.keys.tlsPort = parsePort(flag, next());
        break;
      case '--wss-port':
        a.keys.wssPort = parsePort(flag, next());
        break;
      case '--cert':
        a.keys.certFile = file(flag, next());
        break;
      case '--key':
        a.keys.keyFile = file(flag, next());
        break;
      case '--cafile':
        a.keys.caFile = file(flag, next());
        break;
      case '--crlfile':
        a.keys.crlFile = file(flag, next());
        break;
      case '--require-certificate':
        a.keys.requireCertificate = true;
        break;
      case '--proxy-protocol':
        a.keys.proxyProtocol = true;
        break;
      case '--use-identity-as-username':
        a.keys.useIdentityAsUsername = true;
        break;
      case '--tls-version': {
        const v = next();
        if (v !== 'TLSv1.2' && v !== 'TLSv1.3') {
          throw new ConfigError(`${flag}: expected TLSv1.2 or TLSv1.3, got ${v ?? 'nothing'}`);
        }
        a.keys.tlsMinVersion = v;
        break;
      }
      case '--ciphers': {
        const v = next();
        if (v === undefined || v === '') throw new ConfigError(`${flag}: expected a cipher list`);
        a.keys.ciphers = v;
        break;
      }
      case '--allow-anonymous':
        a.keys.allowAnonymous = true;
        break;
      case '--dynamic-security':
        a.keys.dynamicSecurity = true;
        break;
      case '--http-port':
        a.http.port = parsePort(flag, next());
        break;
      case '--http-host': {
        const h = next();
        if (h === undefined || h === '') throw new ConfigError(`${flag}: expected a host`);
        a.http.host = h;
        break;
      }
      case '--http-token-file':
        a.http.tokenFile = file(flag, next());
        break;
      case '-c':
      case '--config': {
        const c = next();
        if (c === undefined) throw new ConfigError(`${flag}: expected a file`);
        a.config = c;
        break;
      }
      case '--config-format': {
        const f = next();
        if (f !== 'auto' && f !== 'json' && f !== 'mosquitto') {
          throw new ConfigError(`${flag}: expected auto, json or mosquitto, got ${f ?? 'nothing'}`);
        }
        a.configFormat = f;
        break;
      }
      case '-d':
      case '--data-dir': {
        const d = next();
        if (d === undefined || d === '') throw new ConfigError(`${flag}: expected a directory`);
        a.dataDir = d;
        break;
      }
      case '--durability': {
        const d = next();
        if (d !== 'sync' && d !== 'batched' && d !== 'none') {
          throw new ConfigError(`${flag}: expected sync, batched or none, got ${d ?? 'nothing'}`);
        }
        a.durability = d;
        break;
      }
      case '-v':
      case '--verbose':
        a.verbose = true;
        break;
      case '-h':
      case '--help':
        a.help = true;
        break;
      case '--schema':
        a.schema = true;
        break;
      case '--cluster': {
        const v = next();
        const servers = v === undefined ? [] : splitServers(v);
        if (servers.length === 0) throw new ConfigError(`${flag}: expected nats://host:port[,...]`);
        a.clusterServers = servers;
        break;
      }
      case '--workers': {
        const v = next();
        const n = Number(v);
        if (v === undefined || !/^\d+$/.test(v) || n < 1 || n > 64) {
          throw new ConfigError(
            `${flag}: expected a number of workers 1-64, got ${v ?? 'nothing'}`,
          );
        }
        a.workers = n;
        break;
      }
      case '--node-id': {
        const v = next();
        if (v === undefined || v === '') throw new ConfigError(`${flag}: expected a node id`);
        a.nodeId = v;
        break;
      }
      case '--pid-file': {
        const f = next();
        if (f === undefined || f === '') throw new ConfigError(`${flag}: expected a file`);
        a.pidFile = resolve(f);
        break;
      }
      default:
        throw new ConfigError(`unknown option '${flag}' (see petrel broker --help)`);
    }
  }
  return a;
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** A compact human format for terminals: `12:00:01 INFO  message key=value`. */
function prettyStream(): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      try {
        const o = JSON.parse(chunk.toString()) as Record<string, unknown>;
        const { time, level, msg, pid: _p, hostname: _h, name: _n, ...rest } = o;
        const t = new Date(time as number).toISOString().slice(11, 19);
        const extras = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        process.stderr.write(
          `${t} ${(LEVEL_NAMES[level as number] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${extras ? ` ${extras}` : ''}\n`,
        );
      } catch {
        process.stderr.write(chunk);
      }
      cb();
    },
  });
}

function makeLogger(level: string): Logger {
  if (process.stderr.isTTY) return pino({ level, base: undefined }, prettyStream());
  return pino({ level, name: 'petrel' }, pino.destination(2));
}

/** A mosquitto.conf's warnings reach the operator even when its log_type hides warnings. */
function reportWarnings(warnings: string[], log: Logger): void {
  for (const w of warnings) {
    if (log.isLevelEnabled('warn')) log.warn(w);
    else process.stderr.write(`petrel broker: warning: ${w}\n`);
  }
}

interface AuthSetup {
  hooks: BrokerHooks;
  /** Re-reads the password file and ACL (SIGHUP); keeps the old ones when a file is bad. */
  reload(): Promise<void>;
  /** Runtime users and rules (`dynamicSecurity`), attached to the broker before `listen()`. */
  dynamic?: DynamicSecurity;
}

async function makeHooks(cfg: BrokerConfig): Promise<AuthSetup | undefined> {
  const dynamicOn = cfg.dynamicSecurity === true;
  if (cfg.passwordFile === undefined && cfg.aclFile === undefined && !dynamicOn) return undefined;
  const passwords =
    cfg.passwordFile !== undefined ? await PasswordAuthenticator.load(cfg.passwordFile) : undefined;
  const acl = cfg.aclFile !== undefined ? await Acl.load(cfg.aclFile) : undefined;
  const opts: Parameters<typeof createAuthHooks>[0] = {
    // With users to check (a file or runtime ones), no user name is no access unless asked for.
    allowAnonymous: cfg.allowAnonymous ?? (passwords === undefined && !dynamicOn),
  };
  if (passwords !== undefined) opts.passwords = passwords;
  if (acl !== undefined) opts.acl = acl;
  const h = createAuthHooks(opts);
  let decide: Pick<DynamicAuthHooks, keyof DynamicAuthHooks> = h;
  let dynamic: DynamicSecurity | undefined;
  if (dynamicOn) {
    // Loaded only when configured, like the other optional parts.
    const mod = await import('../auth/dynamic/index.js');
    dynamic = new mod.DynamicSecurity({ reserved: (u) => passwords?.has(u) === true });
    decide = mod.withDynamicSecurity(h, dynamic, passwords);
  }
  const aclFile = cfg.aclFile;
  const hooks: BrokerHooks = {
    authorizePublish: (c, m) => decide.authorizePublish(c, m),
    authorizeSubscribe: (c, s) => decide.authorizeSubscribe(c, s),
    authorizeRead: (c, t) => decide.authorizeRead(c, t),
  };
  // Without users to check nothing can check a user name: leave authentication to the
  // broker's listener rule (anonymous on loopback or with allowAnonymous, refused elsewhere).
  if (passwords !== undefined || dynamicOn) hooks.authenticate = (r) => decide.authenticate(r);
  return {
    hooks,
    ...(dynamic !== undefined ? { dynamic } : {}),
    async reload() {
      if (passwords !== undefined) await passwords.reload();
      if (aclFile !== undefined) h.setAcl(await Acl.load(aclFile));
    },
  };
}

/**
 * The command line is durable by default (an embedded broker defaults to memory): unless
 * `durability` is `none`, state lives in an LMDB store in `dataDir`.
 */
function makeStore(
  cfg: BrokerConfig,
  configFile: string | undefined,
  log: Logger,
): Store | undefined {
  const durability = cfg.durability ?? 'sync';
  if (durability === 'none') return undefined;
  const base = configFile !== undefined ? dirname(resolve(configFile)) : process.cwd();
  const dir = resolve(base, cfg.dataDir ?? 'data');
  log.info({ dir, durability }, 'store: LMDB');
  return new LmdbStore({
    dir,
    durability,
    intervalMs: cfg.batchIntervalMs ?? 10,
    log,
    onCorrupt: cfg.storeOnCorrupt ?? 'refuse',
  });
}

const SCHEMES = { tcp: 'mqtt', tls: 'mqtts', ws: 'ws', wss: 'wss' } as const;

/** The broker options of a config (without the keys only the command line uses). */
function brokerOptionsOf(cfg: BrokerConfig): BrokerOptions {
  const {
    passwordFile: _pf,
    aclFile: _af,
    dynamicSecurity: _ds,
    logLevel: _ll,
    dataDir: _dd,
    storeOnCorrupt: _oc,
    cluster: _cl,
    http: _http,
    ...brokerCfg
  } = cfg;
  // With --workers the first worker alone runs the bridges (the others would take over each
  // other's remote sessions); the cluster carries the other workers' messages to it.
  if ((workerIndex() ?? 0) > 0) delete brokerCfg.bridges;
  return brokerCfg;
}

/**
 * SIGHUP: re-reads the config file (a file that fails validation changes nothing and is logged),
 * applies the options a running broker can take, then reloads the password file and ACL
 * (re-checking existing subscriptions) and the TLS certificates. Each part that fails keeps its
 * previous state.
 */
async function reload(
  broker: Broker,
  configFile: string | undefined,
  format: ConfigFormat,
  overrides: Record<string, unknown>,
  started: BrokerConfig,
  auth: AuthSetup | undefined,
  log: Logger,
): Promise<string[]> {
  // What failed, for the admin API's answer (each is logged too); the rest was applied.
  const failures: string[] = [];
  if (configFile !== undefined) {
    let next: BrokerConfig;
    try {
      const warnings: string[] = [];
      next = parseConfig(
        { ...(await loadConfig(configFile, format, warnings)), ...overrides },
        configFile,
      );
      reportWarnings(warnings, log);
      // Checked in full before anything changes; unchanged bridges keep their connections.
      await broker.updateBridges(brokerOptionsOf(next).bridges);
      const restart = broker.updateOptions(brokerOptionsOf(next));
      for (const key of ['passwordFile', 'aclFile', 'dataDir', 'storeOnCorrupt'] as const) {
        if (next[key] !== started[key]) restart.push(key);
      }
      if (JSON.stringify(next.cluster) !== JSON.stringify(started.cluster)) restart.push('cluster');
      if (restart.length > 0) {
        log.warn({ options: restart }, 'changed options apply only after a restart');
      }
      log.info('configuration reloaded');
    } catch (err) {
      log.error(
        { err: (err as Error).message },
        'configuration reload failed, keeping the previous configuration',
      );
      return [`configuration: ${(err as Error).message}`];
    }
  }
  if (auth !== undefined) {
    try {
      await auth.reload();
      log.info('password file and ACL reloaded');
      const removed = await broker.reauthorizeSubscriptions();
      if (removed > 0) log.info({ removed }, 'subscriptions no longer allowed were removed');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'reload failed, keeping the previous files');
      failures.push(`password file and ACL: ${(err as Error).message}`);
    }
  }
  try {
    await broker.reloadCertificates();
  } catch (err) {
    log.error(
      { err: (err as Error).message },
      'TLS certificate reload failed, keeping the previous certificates',
    );
    failures.push(`TLS certificates: ${(err as Error).message}`);
  }
  return failures;
}

/** Entry point of `petrel broker`; resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  let args: Args;
  let cfg: BrokerConfig = {};
  const warnings: string[] = [];
  const overrides: Record<string, unknown> = {};
  try {
    args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (args.schema) {
      const schema = optionsJsonSchema() as { properties: Record<string, unknown> };
      schema.properties.http = adminOptionsJsonSchema();
      process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
      return 0;
    }
    if (args.config !== undefined) cfg = await loadConfig(args.config, args.configFormat, warnings);
    Object.assign(overrides, args.keys);
    if (args.port !== undefined) overrides.port = args.port;
    if (args.host !== undefined) overrides.host = args.host;
    if (args.wsPort !== undefined) overrides.wsPort = args.wsPort;
    if (args.dataDir !== undefined) overrides.dataDir = resolve(args.dataDir);
    if (args.durability !== undefined) overrides.durability = args.durability;
    if (args.clusterServers !== undefined || args.nodeId !== undefined) {
      const base = (cfg.cluster ?? {}) as Partial<ClusterOptions>;
      overrides.cluster = {
        ...base,
        ...(args.clusterServers !== undefined ? { servers: args.clusterServers } : {}),
        ...(args.nodeId !== undefined ? { nodeId: args.nodeId } : {}),
      };
    }
    if (Object.keys(args.http).length > 0) overrides.http = { ...cfg.http, ...args.http };
    cfg = parseConfig({ ...cfg, ...overrides }, args.config ?? 'command line');
    if (args.workers !== undefined) {
      if (cfg.cluster === undefined) {
        throw new ConfigError('--workers: needs --cluster (each worker is a node of the cluster)');
      }
      const i = workerIndex();
      if (i !== undefined) {
        cfg.cluster = { ...cfg.cluster, nodeId: `${cfg.cluster.nodeId}-${i}` };
        const base = args.config !== undefined ? dirname(resolve(args.config)) : process.cwd();
        cfg.dataDir = join(resolve(base, cfg.dataDir ?? 'data'), `worker-${i}`);
      }
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`petrel broker: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const log = makeLogger(args.verbose ? 'debug' : (cfg.logLevel ?? 'info'));
  reportWarnings(warnings, log);
  if (args.workers !== undefined && workerIndex() === undefined) {
    const { runPrimary } = await import('./workers.js');
    if (args.pidFile !== undefined) writeFileSync(args.pidFile, `${process.pid}\n`);
    const code = await runPrimary(args.workers, log);
    if (args.pidFile !== undefined) rmSync(args.pidFile, { force: true });
    return code;
  }
  let auth: AuthSetup | undefined;
  try {
    auth = await makeHooks(cfg);
  } catch (err) {
    process.stderr.write(`petrel broker: ${(err as Error).message}\n`);
    return 1;
  }
  const options: BrokerOptions = { ...brokerOptionsOf(cfg), logger: log };
  const store = makeStore(cfg, args.config, log);
  if (store !== undefined) options.store = store;
  if (auth !== undefined) options.hooks = auth.hooks;
  let broker: ReturnType<typeof createBroker>;
  try {
    broker = createBroker(options);
    if (auth?.dynamic !== undefined) {
      const { attachDynamicSecurity } = await import('../auth/dynamic/index.js');
      attachDynamicSecurity(broker, auth.dynamic);
    }
    await broker.listen();
  } catch (err) {
    process.stderr.write(`petrel broker: ${(err as Error).message}\n`);
    return 1;
  }
  for (const a of broker.addresses()) {
    const path = a.path === '*' ? '/ (any path)' : (a.path ?? '');
    log.info(`listening on ${SCHEMES[a.type]}://${a.host}:${a.port}${path}`);
  }
  let clusterNode: { close(): Promise<void> } | undefined;
  if (cfg.cluster !== undefined) {
    try {
      // Loaded only now: a broker without a cluster loads no NATS code.
      const { startCluster } = await import('../cluster/index.js');
      clusterNode = await startCluster(broker, cfg.cluster);
    } catch (err) {
      process.stderr.write(`petrel broker: ${(err as Error).message}\n`);
      await broker.close();
      return 1;
    }
  }
  const b = broker;
  const doReload = () => reload(b, args.config, args.configFormat, overrides, cfg, auth, log);
  if (cfg.http !== undefined) {
    try {
      // Loaded only when configured: a plain `petrel broker` loads no HTTP code.
      const { startHttp } = await import('./http.js');
      const server = await startHttp(broker, cfg.http, cfg, args.config, doReload, auth?.dynamic);
      log.info(`admin API on ${server.url}`);
    } catch (err) {
      process.stderr.write(`petrel broker: ${(err as Error).message}\n`);
      await clusterNode?.close();
      await broker.close();
      return 1;
    }
  }
  const onHup = () => {
    doReload().catch((err: unknown) => log.error({ err: (err as Error).message }, 'reload failed'));
  };
  process.on('SIGHUP', onHup);
  // Written only once SIGHUP is handled, so `petrel reload` can never kill a starting broker.
  if (args.pidFile !== undefined && workerIndex() === undefined) {
    writeFileSync(args.pidFile, `${process.pid}\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve();
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  process.off('SIGHUP', onHup);
  // The broker first: the wills of the clients it closes still reach the other nodes.
  await broker.close();
  await clusterNode?.close();
  if (args.pidFile !== undefined && workerIndex() === undefined) {
    rmSync(args.pidFile, { force: true });
  }
  // A worker's channel to the primary would keep it alive.
  if (workerIndex() !== undefined) process.disconnect?.();
  log.info('stopped');
  return 0;
}
