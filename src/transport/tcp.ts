import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/** Starts a TCP listener; resolves once it is bound. `onSocket` gets every accepted socket. */
export function listenTcp(
  port: number,
  host: string,
  onSocket: (socket: Socket) => void,
): Promise<Server> {
  const server = createServer({ noDelay: true }, onSocket);
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}
