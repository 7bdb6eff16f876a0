import type { EventEmitter } from 'node:events';
import type { ResolvedOptions } from './options.js';
import { defaultPort } from './options.js';
import { socksConnect } from './socks.js';

/** A byte stream to the broker: TCP, TLS or WebSocket. */
export interface Transport {
  /** Queues bytes; false when the transport's buffer is above its high-water mark. */
  write(data: Buffer): boolean;
  /** Closes after flushing what was written. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
  /** Stops delivering data (back-pressure towards the broker). */
  pause(): void;
  resume(): void;
}

/** What a Node socket and a `ws` WebSocket share. */
type NodeEmitter = Pick<EventEmitter, 'on' | 'once' | 'off'>;

/** Callbacks of an open transport. `onClose` is called exactly once. */
export interface TransportEvents {
  onData(chunk: Buffer): void;
  onDrain(): void;
  onClose(error: Error | undefined): void;
}

/** Opens the transport named by the URL scheme; resolves once bytes can flow. */
export async function openTransport(
  options: ResolvedOptions,
  events: TransportEvents,
): Promise<Transport> {
  const url = options.url;
  switch (url.protocol) {
    case 'ws:':
    case 'wss:':
      return openWebSocket(options, events);
    default:
      return openSocket(options, events);
  }
}

function hostOf(url: URL): string {
  // IPv6 literals come bracketed from URL.hostname.
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h || 'localhost';
}

async function openSocket(options: ResolvedOptions, events: TransportEvents): Promise<Transport> {
  const url = options.url;
  const secure = url.protocol === 'mqtts:' || url.protocol === 'ssl:' || url.protocol === 'tls:';
  const host = hostOf(url);
  const port = url.port ? Number(url.port) : defaultPort(url.protocol);
  const net = await import('node:net');
  // A Unix socket path replaces host and port; a TCP socket may be bound to a local address.
  const where =
    options.socketPath !== undefined
      ? { path: options.socketPath }
      : options.localAddress !== undefined
        ? { host, port, localAddress: options.localAddress }
        : { host, port };
  const psk = options.tls.psk;
  // Through a SOCKS5 proxy: the tunnel first, then TLS (if any) over it.
  let tunnel: import('node:net').Socket | undefined;
  if (options.proxy !== undefined) {
    const proxy = options.proxy;
    const raw = net.connect({
      host: proxy.hostname.startsWith('[') ? proxy.hostname.slice(1, -1) : proxy.hostname,
      port: proxy.port ? Number(proxy.port) : 1080,
    });
    await opened(raw, 'connect', () => raw.destroy());
    try {
      await socksConnect(raw, proxy, host, port);
    } catch (err) {
      raw.destroy();
      throw err;
    }
    tunnel = raw;
  }
  const at = tunnel !== undefined ? { socket: tunnel } : where;
  const socket = secure
    ? (await import('node:tls')).connect(
        psk !== undefined
          ? {
              ...at,
              ciphers: options.tls.ciphers ?? 'PSK',
              // Node negotiates PSK only up to TLS 1.2; the key is the broker's identity.
              maxVersion: 'TLSv1.2',
              checkServerIdentity: () => undefined,
              pskCallback: () => ({ psk: Buffer.from(psk.key), identity: psk.identity }),
            }
          : {
              ...at,
              ca: options.tls.ca,
              cert: options.tls.cert,
              key: options.tls.key,
              ciphers: options.tls.ciphers,
              servername: options.tls.servername ?? (net.isIP(host) ? undefined : host),
              rejectUnauthorized: options.tls.rejectUnauthorized ?? true,
            },
      )
    : (tunnel ?? net.connect(where));
  if (options.socketPath === undefined) socket.setNoDelay(true);
  if (secure || tunnel === undefined) {
    await opened(socket, secure ? 'secureConnect' : 'connect', () => socket.destroy());
  } else socket.resume();
  socket.on('data', (chunk: Buffer) => events.onData(chunk));
  socket.on('drain', () => events.onDrain());
  reportClose(socket, events);
  return {
    write: (data) => socket.write(data),
    end: () => {
      socket.end();
    },
    destroy: () => socket.destroy(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}

/** Resolves on `openEvent`; an error before it destroys the stream (`abort`) and rejects. */
function opened(stream: NodeEmitter, openEvent: string, abort: () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      abort();
      reject(err);
    };
    stream.once('error', onError);
    stream.once(openEvent, () => {
      stream.off('error', onError);
      resolve();
    });
  });
}

/** Reports the close once, with the first error seen before it. */
function reportClose(stream: NodeEmitter, events: TransportEvents): void {
  let closed = false;
  let failure: Error | undefined;
  stream.on('error', (err: Error) => {
    failure ??= err;
  });
  stream.on('close', () => {
    if (closed) return;
    closed = true;
    events.onClose(failure);
  });
}

interface BrowserSocket {
  binaryType: string;
  readyState: number;
  bufferedAmount: number;
  send(data: Uint8Array): void;
  close(): void;
  onopen: (() => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onclose: (() => void) | null;
  onmessage: ((ev: { data: ArrayBuffer }) => void) | null;
}

async function openWebSocket(
  options: ResolvedOptions,
  events: TransportEvents,
): Promise<Transport> {
  const href = options.url.href;
  const Native = (globalThis as { WebSocket?: new (url: string, p: string) => BrowserSocket })
    .WebSocket;
  if (typeof process === 'undefined' && Native !== undefined) {
    return openBrowserWebSocket(new Native(href, options.wsProtocol), events);
  }
  const { WebSocket } = await import('ws');
  const wsOptions: import('ws').ClientOptions & { servername?: string } = {
    ca: options.tls.ca,
    cert: options.tls.cert,
    key: options.tls.key,
    rejectUnauthorized: options.tls.rejectUnauthorized ?? true,
    headers: options.wsHeaders,
    perMessageDeflate: false,
  };
  if (options.tls.servername !== undefined) wsOptions.servername = options.tls.servername;
  if (options.localAddress !== undefined) wsOptions.localAddress = options.localAddress;
  const ws = new WebSocket(href, options.wsProtocol, wsOptions);
  ws.binaryType = 'nodebuffer';
  await opened(ws, 'open', () => ws.terminate());
  ws.on('message', (data: Buffer) => events.onData(data));
  reportClose(ws, events);
  return {
    write: (data) => {
      ws.send(data);
      return true;
    },
    end: () => ws.close(),
    destroy: () => ws.terminate(),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
  };
}

async function openBrowserWebSocket(
  ws: BrowserSocket,
  events: TransportEvents,
): Promise<Transport> {
  ws.binaryType = 'arraybuffer';
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('WebSocket connection failed'));
  });
  let paused: Buffer[] | undefined;
  let closed = false;
  ws.onerror = null;
  ws.onmessage = (ev) => {
    const chunk = Buffer.from(ev.data);
    if (paused !== undefined) paused.push(chunk);
    else events.onData(chunk);
  };
  ws.onclose = () => {
    if (closed) return;
    closed = true;
    events.onClose(undefined);
  };
  return {
    write: (data) => {
      ws.send(data);
      return true;
    },
    end: () => ws.close(),
    destroy: () => ws.close(),
    // Browsers cannot stop a WebSocket from reading: hold the data instead.
    pause: () => {
      paused ??= [];
    },
    resume: () => {
      const held = paused;
      paused = undefined;
      if (held !== undefined) for (const c of held) events.onData(c);
    },
  };
}
