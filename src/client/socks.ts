import type { Socket } from 'node:net';

// SOCKS5 (RFC 1928) CONNECT, with username/password authentication (RFC 1929) when the proxy
// URL carries credentials: how mosquitto's tools reach a broker through `--proxy`.

const REPLIES = [
  'succeeded',
  'general SOCKS server failure',
  'connection not allowed by ruleset',
  'network unreachable',
  'host unreachable',
  'connection refused',
  'TTL expired',
  'command not supported',
  'address type not supported',
];

/** Reads exactly `n` bytes (or rejects when the proxy closes first). */
function readExactly(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let have = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      have = Buffer.concat([have, chunk]);
      if (have.length < n) return;
      cleanup();
      socket.pause();
      // Bytes past the reply belong to the broker: give them back to the stream.
      if (have.length > n) socket.unshift(have.subarray(n));
      resolve(have.subarray(0, n));
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error('SOCKS proxy closed the connection'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    socket.on('data', onData);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.resume();
  });
}

/** A SOCKS5 proxy URL: `socks5://` or `socks5h://[user[:password]@]host[:port]`. */
export function parseProxy(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`proxy '${url}' is not a URL`);
  }
  if (u.protocol !== 'socks5:' && u.protocol !== 'socks5h:') {
    throw new TypeError(`proxy '${url}': only socks5:// and socks5h:// are supported`);
  }
  if (u.hostname === '') throw new TypeError(`proxy '${url}' has no host`);
  return u;
}

/**
 * Asks the SOCKS5 proxy behind `socket` (already connected to it) to connect to `host:port`.
 * Resolves once the proxy reports the connection made; the socket then carries the broker's
 * bytes. Rejects with the proxy's reason otherwise.
 */
export async function socksConnect(
  socket: Socket,
  proxy: URL,
  host: string,
  port: number,
): Promise<void> {
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  const auth = user !== '';
  socket.write(Buffer.from(auth ? [5, 2, 0, 2] : [5, 1, 0]));
  const choice = await readExactly(socket, 2);
  if (choice[0] !== 5) throw new Error('SOCKS proxy answered with another protocol version');
  if (choice[1] === 2) {
    if (!auth) throw new Error('SOCKS proxy asks for a user name the proxy URL does not give');
    const u = Buffer.from(user, 'utf8');
    const p = Buffer.from(pass, 'utf8');
    if (u.length > 255 || p.length > 255) throw new Error('SOCKS user name or password too long');
    socket.write(Buffer.concat([Buffer.from([1, u.length]), u, Buffer.from([p.length]), p]));
    const status = await readExactly(socket, 2);
    if (status[1] !== 0) throw new Error('SOCKS proxy refused the user name or password');
  } else if (choice[1] !== 0) {
    throw new Error('SOCKS proxy accepts none of the offered authentication methods');
  }
  const name = Buffer.from(host, 'utf8');
  if (name.length > 255) throw new Error('host name too long for SOCKS');
  const req = Buffer.concat([
    Buffer.from([5, 1, 0, 3, name.length]),
    name,
    Buffer.from([port >> 8, port & 0xff]),
  ]);
  socket.write(req);
  const head = await readExactly(socket, 4);
  if (head[1] !== 0) {
    const why = REPLIES[head[1] as number] ?? `reply ${head[1]}`;
    throw new Error(`SOCKS proxy could not connect to ${host}:${port}: ${why}`);
  }
  // The bound address that follows: IPv4, a name, or IPv6, then the port.
  const atyp = head[3];
  let rest: number;
  if (atyp === 1) rest = 4 + 2;
  else if (atyp === 4) rest = 16 + 2;
  else if (atyp === 3) rest = ((await readExactly(socket, 1))[0] as number) + 2;
  else throw new Error('SOCKS proxy replied with an unknown address type');
  await readExactly(socket, rest);
}
