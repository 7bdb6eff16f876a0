import type { Server, Socket } from 'node:net';
import { createServer } from 'node:net';

/** Starts a TCP listener; resolves once it is bound. `onSocket` gets every accepted socket. */
export function listenTcp(
  port: number,
  host: string,
  onSocket: (socket: Socket) => void,
): Promise<Server> {
  // A larger write buffer than the 16 KiB default lets bursts to one subscriber go out in fewer
  // writev calls before backpressure sends deliveries to the session queue.
  const server = createServer({ noDelay: true, highWaterMark: 64 * 1024 }, onSocket);
  return bind(server, port, host);
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
