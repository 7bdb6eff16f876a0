import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket, TlsOptions } from 'node:tls';
import { WebSocketServer } from 'ws';
import type { PreAccept } from './tcp.js';
import { bind, gateConnections } from './tcp.js';
import { WebSocketStream } from './ws-stream.js';

/** A running WebSocket listener. */
export interface WebSocketListener {
  /** The HTTP server (an `https.Server`, which has `setSecureContext`, for `wss`). */
  http: Server;
  wss: WebSocketServer;
}

/**
 * Starts an MQTT-over-WebSocket listener: HTTP upgrade on `path` (`*`: any), subprotocol `mqtt` (or the
 * legacy `mqttv3.1`), binary frames. Each connection is handed over as a byte stream, so MQTT
 * packets may be split across frames or share one. With `preAccept` (the PROXY protocol), each
 * TCP connection goes through it before the TLS handshake or HTTP request, and `tls.onRaw` is
 * not called (`preAccept` does that work).
 */
export function listenWebSocket(
  port: number,
  host: string,
  path: string,
  maxPayload: number,
  onStream: (stream: Duplex, remoteAddress: string | undefined, socket: Socket) => void,
  tls?: { options: TlsOptions; onRaw: (raw: Socket) => boolean },
  preAccept?: PreAccept,
): Promise<WebSocketListener> {
  const reply = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('MQTT over WebSocket: connect with the "mqtt" subprotocol\n');
  };
  let http: Server;
  if (tls === undefined) http = createServer(reply);
  else {
    const https = createHttpsServer(tls.options, reply);
    if (preAccept === undefined) {
      https.on('connection', (raw: Socket) => {
        if (!tls.onRaw(raw)) raw.destroy();
      });
    }
    https.on('tlsClientError', (_err: Error, socket: TLSSocket) => socket.destroy());
    http = https as unknown as Server;
  }
  if (preAccept !== undefined) gateConnections(http, preAccept, tls === undefined);
  const wss = new WebSocketServer({
    server: http,
    // "*" takes every path, as Mosquitto's WebSocket listeners do.
    ...(path === '*' ? {} : { path }),
    maxPayload,
    perMessageDeflate: false,
    handleProtocols: (protocols) => {
      if (protocols.has('mqtt')) return 'mqtt';
      if (protocols.has('mqttv3.1')) return 'mqttv3.1';
      return false;
    },
  });
  wss.on('connection', (ws, req) => {
    ws.binaryType = 'nodebuffer';
    onStream(new WebSocketStream(ws), req.socket.remoteAddress, req.socket);
  });
  wss.on('error', () => {
    // Errors of the HTTP server surface through `http`.
  });
  return bind(http, port, host).then(() => ({ http, wss }));
}
