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
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}
