import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { WebSocketStream } from './ws-stream.js';

/** A running WebSocket listener. */
export interface WebSocketListener {
  http: Server;
  wss: WebSocketServer;
}

/**
 * Starts an MQTT-over-WebSocket listener: HTTP upgrade on `path`, subprotocol `mqtt` (or the
 * legacy `mqttv3.1`), binary frames. Each connection is handed over as a byte stream, so MQTT
 * packets may be split across frames or share one.
 */
export function listenWebSocket(
  port: number,
  host: string,
  path: string,
  maxPayload: number,
  onStream: (stream: Duplex, remoteAddress: string | undefined) => void,
): Promise<WebSocketListener> {
  const http = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('MQTT over WebSocket: connect with the "mqtt" subprotocol\n');
  });
  const wss = new WebSocketServer({
    server: http,
    path,
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
    onStream(new WebSocketStream(ws), req.socket.remoteAddress);
  });
  wss.on('error', () => {
    // Errors of the HTTP server surface through `http`.
  });
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    http.once('error', onError);
    http.listen(port, host, () => {
      http.off('error', onError);
      resolve({ http, wss });
    });
  });
}
