import { MqttError } from '../codec/errors.js';
import type { ConnackPacket } from '../codec/types.js';
import { Backoff } from '../shared/backoff.js';
import { Connection } from './connection.js';
import type { ClientCore, ConnackSettler, LifecyclePart } from './core.js';
import { ClientError, ClientErrorCode, ConnectionRefusedError } from './errors.js';
import { onData, onFrame } from './incoming.js';
import { connectPacket } from './packets.js';
import { openTransport } from './transport.js';
import type { ConnackInfo } from './types.js';

/**
 * The connection lifecycle: connection attempts up to CONNACK (with the v5 to 3.1.1 fallback),
 * restoring the session after it, losing the connection and reconnecting with backoff, and the
 * final shutdown.
 */
export class Lifecycle implements LifecyclePart {
  /** The attempt waiting for CONNACK, if any. */
  pendingConnack: ConnackSettler | undefined = undefined;
  private readonly backoff: Backoff | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(private readonly ctx: ClientCore) {
    this.backoff = ctx.opts.reconnect === false ? undefined : new Backoff(ctx.opts.reconnect);
  }

  /** The first connection: resolves on CONNACK; on failure the client is shut down. */
  async start(): Promise<ConnackInfo> {
    const ctx = this.ctx;
    ctx.state = 'connecting';
    try {
      return await this.attempt();
    } catch (err) {
      if (
        err instanceof ConnectionRefusedError &&
        ctx.opts.protocolFallback &&
        ctx.version === 5 &&
        (err.reasonCode === 0x84 || err.reasonCode === 1)
      ) {
        ctx.version = 4;
        try {
          return await this.attempt();
        } catch (err2) {
          this.shutdown(err2 as Error);
          throw err2;
        }
      }
      this.shutdown(err as Error);
      throw err;
    }
  }

  /** Stops a pending reconnection attempt. */
  stopReconnect(): void {
    if (this.reconnectTimer !== undefined) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
    }
  }

  /** Ends the attempt on `conn` with `err`. */
  failConnecting(conn: Connection, err: Error): void {
    conn.open = false;
    conn.transport?.destroy();
    const pending = this.pendingConnack;
    this.pendingConnack = undefined;
    pending?.reject(err);
  }

  /** CONNACK: refused, or the connection is up: take its limits and restore the session. */
  onConnack(conn: Connection, packet: ConnackPacket): void {
    const ctx = this.ctx;
    const pending = this.pendingConnack;
    if (packet.reasonCode !== 0) {
      const err = new ConnectionRefusedError(
        packet.reasonCode,
        ctx.version,
        packet.properties?.reasonString,
      );
      this.failConnecting(conn, err);
      return;
    }
    const props = packet.properties ?? {};
    if (props.assignedClientIdentifier !== undefined) {
      ctx.clientId = props.assignedClientIdentifier;
    }
    ctx.limits.update(props, ctx.opts.maxInflight);
    ctx.aliases.reset(
      ctx.version === 5 ? (ctx.opts.properties.topicAliasMaximum ?? 0) : 0,
      ctx.version === 5 && ctx.opts.autoTopicAlias ? (props.topicAliasMaximum ?? 0) : 0,
    );
    const info: ConnackInfo = {
      sessionPresent: packet.sessionPresent,
      reasonCode: packet.reasonCode,
      properties: props,
      protocolVersion: ctx.version,
      clientId: ctx.clientId,
    };
    ctx.connack = info;
    const keepAlive = props.serverKeepAlive ?? ctx.opts.keepAlive;
    const keepAliveMs = keepAlive * 1000;
    ctx.state = ctx.state === 'disconnecting' ? 'disconnecting' : 'connected';
    this.backoff?.reset();
    ctx.offline.stop();
    ctx.keepAlive.start(keepAliveMs);
    this.restoreSession(packet.sessionPresent);
    this.pendingConnack = undefined;
    pending?.resolve(info);
    ctx.events.emit('connect', info);
    ctx.outbound.drain();
  }

  /** Keep-alive found the connection dead. */
  onKeepAliveTimeout(): void {
    const conn = this.ctx.conn;
    if (conn === undefined || !conn.open) return;
    this.ctx.emitError(
      new ClientError(ClientErrorCode.ConnectionLost, 'keep-alive timeout: no PINGRESP'),
    );
    conn.transport?.destroy();
  }

  /** Final state: everything pending fails with `err`, streams end, timers stop. */
  shutdown(err: Error): void {
    const ctx = this.ctx;
    if (ctx.state === 'closed') return;
    ctx.state = 'closed';
    const connecting = this.pendingConnack;
    this.pendingConnack = undefined;
    connecting?.reject(err);
    this.stopReconnect();
    ctx.offline.stop();
    ctx.keepAlive.stop();
    const conn = ctx.conn;
    if (conn !== undefined) {
      conn.open = false;
      conn.transport?.destroy();
    }
    ctx.outbound.failAll(err);
    ctx.control.failAll(err);
    ctx.streams.endAll();
    ctx.idle.notify();
    ctx.events.emit('close');
  }

  private async attempt(): Promise<ConnackInfo> {
    const ctx = this.ctx;
    const conn: Connection = new Connection(
      (header, body) => onFrame(ctx, conn, header, body),
      ctx.opts.properties.maximumPacketSize,
    );
    ctx.conn = conn;
    ctx.aliases.reset(ctx.version === 5 ? (ctx.opts.properties.topicAliasMaximum ?? 0) : 0, 0);
    let settle: ConnackSettler | undefined;
    const connackPromise = new Promise<ConnackInfo>((resolve, reject) => {
      settle = { resolve, reject };
    });
    this.pendingConnack = settle;
    const timer = setTimeout(() => {
      this.failConnecting(
        conn,
        new ClientError(
          ClientErrorCode.ConnectTimeout,
          `no CONNACK within ${ctx.opts.connectTimeout} ms`,
        ),
      );
    }, ctx.opts.connectTimeout);
    try {
      const transportPromise = openTransport(ctx.opts, {
        onData: (chunk) => onData(ctx, conn, chunk),
        onDrain: () => {
          conn.writable = true;
          if (conn === ctx.conn && ctx.state === 'connected') ctx.outbound.drain();
        },
        onClose: (err) => this.onTransportClose(conn, err),
      });
      // If the attempt is abandoned (timeout, disconnect) while the transport is still opening,
      // close it whenever it arrives; a late failure is already reported.
      transportPromise.then(
        (t) => {
          if (!conn.open) t.destroy();
        },
        () => undefined,
      );
      const transport = await Promise.race([
        transportPromise,
        connackPromise.then(() => undefined),
      ]);
      if (transport === undefined || !conn.open) return await connackPromise;
      conn.transport = transport;
      ctx.send(connectPacket(ctx.opts, ctx.version, ctx.clientId));
      return await connackPromise;
    } catch (err) {
      const e =
        err instanceof MqttError
          ? err
          : new ClientError(
              ClientErrorCode.ConnectionFailed,
              `cannot connect to ${ctx.opts.socketPath ?? ctx.opts.url.host}: ${(err as Error).message}`,
            );
      this.failConnecting(conn, e);
      throw e;
    } finally {
      clearTimeout(timer);
      if (this.pendingConnack === settle) this.pendingConnack = undefined;
    }
  }

  /** After CONNACK: resend what the session still owes, or rebuild what it lost. */
  private restoreSession(sessionPresent: boolean): void {
    const ctx = this.ctx;
    if (!sessionPresent) ctx.inbound.clear();
    ctx.outbound.inflight.resend(sessionPresent);
    if (!sessionPresent && ctx.opts.resubscribe) {
      for (const packet of ctx.subscriptions.resubscribePackets()) {
        ctx.control.request(packet, true).catch((err: Error) => ctx.emitError(err));
      }
    }
    ctx.control.resume();
  }

  private onTransportClose(conn: Connection, err: Error | undefined): void {
    const ctx = this.ctx;
    const wasOpen = conn.open;
    conn.open = false;
    if (conn !== ctx.conn || conn.closing) return;
    ctx.keepAlive.stop();
    if (this.pendingConnack !== undefined) {
      this.failConnecting(
        conn,
        new ClientError(
          ClientErrorCode.ConnectionFailed,
          `connection closed before CONNACK${err ? `: ${err.message}` : ''}`,
        ),
      );
      return;
    }
    if (!wasOpen && ctx.state !== 'connected' && ctx.state !== 'disconnecting') return;
    if (ctx.state === 'closed') return;
    // While disconnect() waits for in-flight work, keep reconnecting within its timeout.
    if (this.backoff !== undefined) {
      this.goOffline(err);
      return;
    }
    this.shutdown(
      new ClientError(
        ClientErrorCode.ConnectionLost,
        `connection lost${err ? `: ${err.message}` : ''}`,
      ),
    );
  }

  private goOffline(err: Error | undefined): void {
    const ctx = this.ctx;
    if (ctx.state === 'connected') ctx.state = 'reconnecting';
    ctx.offline.markOffline(Date.now());
    ctx.events.emit('offline', err);
    ctx.offline.schedule();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.backoff === undefined || this.reconnectTimer !== undefined) return;
    const ctx = this.ctx;
    const delay = this.backoff.next();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (ctx.state !== 'reconnecting' && ctx.state !== 'disconnecting') return;
      ctx.events.emit('reconnect', this.backoff?.attempts ?? 0);
      this.attempt().catch((err: Error) => {
        if (ctx.state === 'closed') return;
        ctx.emitError(err);
        this.scheduleReconnect();
      });
    }, delay);
  }
}
