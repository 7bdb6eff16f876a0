import type { Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import type { TimerTarget, TimingWheel } from '../shared/timing-wheel.js';
import { Timer } from '../shared/timing-wheel.js';
import type { ProxyHeader } from './proxy-protocol.js';
import { ProxyHeaderDecoder } from './proxy-protocol.js';

/**
 * Runs on each accepted TCP socket before the listener's own handling of it (MQTT, the TLS
 * handshake, the HTTP upgrade). Calls `proceed` once the socket may go on, or destroys it. Used
 * for the PROXY protocol header.
 */
export type PreAccept = (raw: Socket, proceed: () => void) => void;

/**
 * Starts a TCP listener; resolves once it is bound. `onSocket` gets every accepted socket, after
 * `preAccept` let it through when there is one.
 */
export function listenTcp(
  port: number,
  host: string,
  onSocket: (socket: Socket) => void,
  preAccept?: PreAccept,
): Promise<Server> {
  // A larger write buffer than the 16 KiB default lets bursts to one subscriber go out in fewer
  // writev calls before backpressure sends deliveries to the session queue.
  const server = createServer({ noDelay: true, highWaterMark: 64 * 1024 }, onSocket);
  if (preAccept !== undefined) gateConnections(server, preAccept, true);
  return bind(server, port, host);
}

/**
 * Puts `preAccept` in front of every `connection` listener `server` has so far: for a TLS or
 * HTTP server, its own (the handshake, the request parser), which Node documents as driven by
 * that event. `resume`: the server's handling reads the socket as a stream (plain TCP, HTTP),
 * which {@link readProxyHeader} left paused; a TLS server must not have it resumed, as it takes
 * the bytes left in the socket's buffer itself on the next tick.
 */
export function gateConnections(server: Server, preAccept: PreAccept, resume: boolean): void {
  const own = server.listeners('connection') as Array<(raw: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (raw: Socket) => {
    preAccept(raw, () => {
      for (const f of own) f.call(server, raw);
      if (resume && !raw.destroyed) raw.resume();
    });
  });
}

/**
 * Outcome of {@link readProxyHeader}: the header, or why the socket was refused; `silent` when
 * the peer closed without sending a byte (a balancer's TCP health check).
 */
export type ProxyHeaderCallback = (
  header: ProxyHeader | undefined,
  reason: string,
  silent: boolean,
) => void;

/**
 * Reads the PROXY protocol header that must open `raw`. On success calls `done(header)` with the
 * socket paused and the bytes after the header put back in front of its buffer, so whatever
 * reads it next sees the client's stream from its first byte. On a missing or malformed header,
 * an early close, or no complete header by `deadline` (clock ms, checked on `wheel`), calls
 * `done(undefined, reason)` and destroys the socket.
 */
export function readProxyHeader(
  raw: Socket,
  wheel: TimingWheel,
  deadline: number,
  done: ProxyHeaderCallback,
): void {
  new ProxyHeaderReader(raw, wheel, deadline, done);
}

class ProxyHeaderReader implements TimerTarget {
  private readonly decoder = new ProxyHeaderDecoder();
  private readonly timer = new Timer(this, 0);
  private finished = false;

  constructor(
    private readonly raw: Socket,
    private readonly wheel: TimingWheel,
    deadline: number,
    private readonly done: ProxyHeaderCallback,
  ) {
    raw.on('data', this.onData);
    raw.on('end', this.onEnd);
    raw.on('close', this.onEnd);
    raw.on('error', this.onError);
    wheel.scheduleAt(this.timer, deadline);
  }

  onTimer(): void {
    this.fail('no complete PROXY protocol header within the connect timeout');
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.finished) return;
    const r = this.decoder.push(chunk);
    switch (r.status) {
      case 'incomplete':
        return;
      case 'invalid':
        this.fail(r.reason);
        return;
      case 'done': {
        const raw = this.raw;
        raw.pause();
        this.detach();
        if (r.rest.length > 0) raw.unshift(r.rest);
        this.done(r.header, '', false);
        return;
      }
    }
  };

  private readonly onEnd = (): void => {
    if (this.decoder.buffered === 0) this.fail('closed before sending anything', true);
    else this.fail('closed within the PROXY protocol header');
  };

  private readonly onError = (err: Error): void => {
    this.fail(`socket error before the PROXY protocol header: ${err.message}`);
  };

  private detach(): void {
    this.finished = true;
    this.wheel.cancel(this.timer);
    const raw = this.raw;
    raw.off('data', this.onData);
    raw.off('end', this.onEnd);
    raw.off('close', this.onEnd);
    raw.off('error', this.onError);
  }

  private fail(reason: string, silent = false): void {
    if (this.finished) return;
    this.detach();
    // Errors after this point (a reset while closing) concern nobody.
    this.raw.on('error', () => {});
    try {
      this.done(undefined, reason, silent);
    } finally {
      this.raw.destroy();
    }
  }
}

/**
 * Binds any `net.Server` (plain, TLS, HTTP, HTTPS); resolves with it once listening, rejects
 * with the bind error (address in use, permission) instead of letting it be emitted.
 */
export function bind<S extends Server>(server: S, port: number, host: string): Promise<S> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}
