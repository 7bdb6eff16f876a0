import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../shared/clock.js';
import type { TimingWheel } from '../shared/timing-wheel.js';
import type { ProxyHeader } from '../transport/proxy-protocol.js';
import type { PreAccept } from '../transport/tcp.js';
import { listenTcp, readProxyHeader } from '../transport/tcp.js';
import { listenTls, loadTlsOptions, watchFiles } from '../transport/tls.js';
import { listenWebSocket } from '../transport/websocket.js';
import { UNREAD } from './conn-state.js';
import type { BrokerAddress } from './events.js';
import type { Handshake } from './listener.js';
import { isLoopback, ListenerState } from './listener.js';
import type { ListenerType, ResolvedOptions } from './options.js';
import type { BrokerStats } from './sys.js';

/** What the listeners need of the broker: its settings, and a door for accepted connections. */
export interface ListenerHost {
  readonly options: ResolvedOptions;
  readonly log: Logger;
  readonly clock: Clock;
  readonly wheel: TimingWheel;
  readonly stats: BrokerStats;
  /** Whether new connections are taken (false before `listen` and once closing). */
  readonly accepting: boolean;
  /**
   * Takes a connected byte stream. `remoteAddress` may be left for the connection to read from
   * the socket when first needed (`UNREAD`); `peer` is the TLS socket under the stream;
   * `acceptedAt` (clock ms) starts the connect timeout earlier than now.
   */
  admit(
    socket: Duplex,
    remoteAddress: string | undefined | typeof UNREAD,
    transport: ListenerType | 'custom',
    listener: ListenerState | undefined,
    peer: TLSSocket | undefined,
    acceptedAt: number | undefined,
  ): void;
}

/**
 * The broker's network servers: binds the configured TCP, TLS, WebSocket and secure WebSocket
 * listeners, reads PROXY protocol headers, tracks TLS handshakes and HTTP upgrades still in
 * progress, watches and reloads certificates, and hands every accepted connection to the
 * broker ({@link ListenerHost.admit}). The broker itself builds no server.
 */
export class Listeners {
  private bound: ListenerState[] = [];

  constructor(private readonly host: ListenerHost) {}

  /** Binds every configured listener; on a failure, closes those already bound and rethrows. */
  async listen(): Promise<void> {
    const o = this.host.options;
    try {
      for (const spec of o.listeners) {
        const l = new ListenerState(spec, o, this.host.clock.now);
        await this.bind(l);
        this.bound.push(l);
        if (l.tls === undefined && !isLoopback(l.host)) {
          this.host.log.warn(
            { type: l.type, host: l.host, port: spec.port },
            'listener on a non-loopback interface without TLS: traffic and passwords travel in clear',
          );
        }
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private async bind(l: ListenerState): Promise<void> {
    const spec = l.spec;
    if (spec === undefined) return;
    const onRaw = (raw: Socket) => this.openHandshake(l, raw) !== undefined;
    // Listeners without the PROXY protocol keep their accept path untouched.
    const proxy: PreAccept | undefined = l.proxyProtocol
      ? (raw, proceed) => this.readProxyHeader(l, raw, proceed)
      : undefined;
    if (l.tls !== undefined) {
      l.tlsOptions = await loadTlsOptions(l.tls);
      if (this.host.options.watchCertificates) this.watchCertificates(l);
    }
    switch (spec.type) {
      case 'tcp':
        l.server =
          proxy === undefined
            ? await listenTcp(spec.port, l.host, (s: Socket) =>
                this.host.admit(s, UNREAD, 'tcp', l, undefined, undefined),
              )
            : await listenTcp(
                spec.port,
                l.host,
                (s: Socket) => {
                  const h = this.takeHandshake(l, s);
                  this.host.admit(s, h?.address ?? UNREAD, 'tcp', l, undefined, h?.at);
                },
                proxy,
              );
        return;
      case 'tls':
        l.server = await listenTls(
          spec.port,
          l.host,
          l.tlsOptions ?? {},
          onRaw,
          (s: TLSSocket) => {
            const h = this.takeHandshake(l, s);
            this.host.admit(
              s,
              h?.address ?? s.remoteAddress,
              'tls',
              l,
              s,
              h?.at ?? this.host.clock.now,
            );
          },
          proxy,
        );
        return;
      case 'ws':
      case 'wss':
        l.ws = await listenWebSocket(
          spec.port,
          l.host,
          l.path as string,
          this.host.options.maxPacketSize + 8,
          (stream, remote, socket) => {
            // On wss the CONNECT window starts at the upgrade (the handshake has its own bound).
            const h =
              spec.type === 'wss' || proxy !== undefined
                ? this.takeHandshake(l, socket)
                : undefined;
            this.host.admit(
              stream,
              h?.address ?? remote,
              spec.type,
              l,
              spec.type === 'wss' ? (socket as TLSSocket) : undefined,
              undefined,
            );
          },
          l.tlsOptions === undefined ? undefined : { options: l.tlsOptions, onRaw },
          proxy,
        );
        return;
    }
  }

  /**
   * A client starts its TLS handshake, HTTP upgrade or PROXY protocol header: refused (undefined)
   * when the listener is full or closing.
   */
  private openHandshake(l: ListenerState, raw: Socket): Handshake | undefined {
    if (!this.host.accepting || l.full) {
      this.host.stats.connectionsRefused++;
      return undefined;
    }
    const key = `${raw.remoteAddress}|${raw.remotePort}`;
    const entry: Handshake = { raw, at: this.host.clock.now, address: undefined };
    l.handshakes.set(key, entry);
    raw.once('close', () => {
      if (l.handshakes.get(key) === entry) l.handshakes.delete(key);
    });
    return entry;
  }

  /**
   * The socket under `s` (the TCP socket itself, or a TLS socket over it: same remote address
   * and port) became a broker connection: no longer a handshake. Returns its entry: when the TCP
   * connection was accepted, and the PROXY protocol address.
   */
  private takeHandshake(l: ListenerState, s: Socket): Handshake | undefined {
    const key = `${s.remoteAddress}|${s.remotePort}`;
    const entry = l.handshakes.get(key);
    l.handshakes.delete(key);
    return entry;
  }

  /**
   * A connection of a `proxyProtocol` listener: its PROXY header must arrive first, within the
   * connect timeout; then `proceed` hands the socket on (MQTT, TLS handshake or HTTP upgrade)
   * with the header's client address recorded for the connection. Anything else closes it.
   */
  private readProxyHeader(l: ListenerState, raw: Socket, proceed: () => void): void {
    const entry = this.openHandshake(l, raw);
    if (entry === undefined) {
      raw.destroy();
      return;
    }
    readProxyHeader(
      raw,
      this.host.wheel,
      entry.at + this.host.options.connectTimeoutMs,
      (header: ProxyHeader | undefined, reason: string, silent: boolean) => {
        if (header !== undefined) {
          entry.address = header.sourceAddress;
          proceed();
          return;
        }
        l.proxyRefused++;
        this.host.stats.connectionsRefused++;
        const fields = { remoteAddress: raw.remoteAddress, port: l.spec?.port, reason };
        const msg = 'PROXY protocol header missing or invalid, connection closed';
        // A balancer's TCP health check connects and closes without a byte: not worth info.
        if (silent) this.host.log.debug(fields, msg);
        else this.host.log.info(fields, msg);
      },
    );
  }

  /** Reloads a listener's certificate when its files change (editors often replace them). */
  private watchCertificates(l: ListenerState): void {
    const tls = l.tls;
    if (tls === undefined) return;
    const files = [tls.certFile, tls.keyFile, tls.caFile, tls.crlFile].filter(
      (f) => f !== undefined,
    );
    l.unwatch = watchFiles(files, () => {
      this.reloadListener(l).then(
        () => this.host.log.info({ port: l.spec?.port }, 'TLS certificate reloaded'),
        (err: unknown) =>
          this.host.log.error(
            { err: (err as Error).message },
            'TLS certificate reload failed, keeping the previous one',
          ),
      );
    });
  }

  private async reloadListener(l: ListenerState): Promise<void> {
    if (l.tls === undefined || !this.host.accepting) return;
    const options = await loadTlsOptions(l.tls);
    l.setSecureContext(options); // throws when the key does not match the certificate
  }

  /**
   * Re-reads the certificate, key and CA files of every TLS listener (what SIGHUP does in
   * `petrel broker`). New handshakes use them; established connections are not touched. A
   * listener whose files cannot be read or do not fit keeps its previous certificate, and the
   * promise rejects naming the problem.
   */
  async reloadCertificates(): Promise<void> {
    const problems: string[] = [];
    for (const l of this.bound) {
      try {
        await this.reloadListener(l);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (problems.length > 0) throw new Error(problems.join('; '));
  }

  /** Bound listeners (actual ports when 0 was asked for). */
  addresses(): BrokerAddress[] {
    const out: BrokerAddress[] = [];
    for (const l of this.bound) {
      const server = l.server ?? l.ws?.http;
      const a = server?.address() as AddressInfo | null | undefined;
      if (a === null || a === undefined || l.type === 'custom') continue;
      const entry: BrokerAddress = { type: l.type, host: a.address, port: a.port };
      if (l.path !== undefined && (l.type === 'ws' || l.type === 'wss')) entry.path = l.path;
      out.push(entry);
    }
    return out;
  }

  /** Stops accepting and closes every server (handshakes in progress are dropped). */
  async close(): Promise<void> {
    const ls = this.bound;
    this.bound = [];
    await Promise.all(
      ls.map(
        (l) =>
          new Promise<void>((resolve) => {
            l.unwatch?.();
            // Sockets still in their TLS handshake are not connections yet: close() would wait.
            for (const h of l.handshakes.values()) h.raw.destroy();
            if (l.server !== undefined) l.server.close(() => resolve());
            else if (l.ws !== undefined) {
              l.ws.wss.close();
              closeHttp(l.ws.http, resolve);
            } else resolve();
          }),
      ),
    );
  }
}

function closeHttp(server: HttpServer, done: () => void): void {
  server.close(() => done());
  server.closeAllConnections();
}
