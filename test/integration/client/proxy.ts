// A TCP proxy between a client and a broker that can cut connections, hold traffic in either
// direction and record what the client sent: the way to observe resends with DUP.
import type { Server, Socket } from 'node:net';
import { createServer, connect as netConnect } from 'node:net';

export interface Proxy {
  readonly port: number;
  readonly url: string;
  /** Bytes the client sent, per accepted connection, in order. */
  readonly upstream: Buffer[][];
  /** Drop (never forward) data in this direction until `release`. */
  blackhole(direction: 'up' | 'down'): void;
  release(): void;
  /** Destroy every open connection pair. */
  cut(): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<Proxy> {
  const pairs = new Set<[Socket, Socket]>();
  const upstream: Buffer[][] = [];
  let dropUp = false;
  let dropDown = false;
  const server: Server = createServer((client) => {
    const log: Buffer[] = [];
    upstream.push(log);
    const broker = netConnect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, broker];
    pairs.add(pair);
    client.on('data', (d: Buffer) => {
      log.push(Buffer.from(d));
      if (!dropUp) broker.write(d);
    });
    broker.on('data', (d: Buffer) => {
      if (!dropDown) client.write(d);
    });
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      broker.destroy();
    };
    client.on('close', end);
    broker.on('close', end);
    client.on('error', end);
    broker.on('error', end);
  });
  const cut = (): void => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    upstream,
    blackhole(direction) {
      if (direction === 'up') dropUp = true;
      else dropDown = true;
    },
    release() {
      dropUp = false;
      dropDown = false;
    },
    cut,
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
