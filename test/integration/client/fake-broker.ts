// A scripted broker for behaviour neither Mosquitto nor Petrel shows on demand (inbound topic
// aliases, duplicate QoS 2 deliveries, AUTH challenges, silent brokers). Built on the codec.
import type { Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import type { ProtocolVersion } from '../../../src/codec/constants.js';
import { PacketType } from '../../../src/codec/constants.js';
import { decodePacket } from '../../../src/codec/decode.js';
import { encodePacket } from '../../../src/codec/encode.js';
import { Framer } from '../../../src/codec/framer.js';
import type { Packet, Properties } from '../../../src/codec/types.js';

export interface FakeConnection {
  version: ProtocolVersion;
  readonly received: Packet[];
  send(packet: Packet): void;
  /** Raw bytes, for packets the encoder would refuse to build. */
  sendRaw(bytes: Buffer): void;
  close(): void;
}

export interface FakeBroker {
  readonly url: string;
  readonly connections: FakeConnection[];
  close(): Promise<void>;
}

export type Script = (conn: FakeConnection, packet: Packet) => void;

/** Accepts a CONNECT with CONNACK (unless the script answers it) and hands packets to `script`. */
export async function startFakeBroker(script: Script): Promise<FakeBroker> {
  const sockets = new Set<Socket>();
  const connections: FakeConnection[] = [];
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const conn: FakeConnection = {
      version: 4,
      received: [],
      send: (p) => {
        if (!socket.destroyed) socket.write(encodePacket(p, conn.version));
      },
      sendRaw: (b) => {
        if (!socket.destroyed) socket.write(b);
      },
      close: () => socket.destroy(),
    };
    connections.push(conn);
    const framer = new Framer((header, body) => {
      const packet = decodePacket(header, body, conn.version);
      if (packet.type === PacketType.CONNECT) conn.version = packet.protocolVersion;
      conn.received.push(packet);
      script(conn, packet);
    });
    socket.on('data', (d: Buffer) => {
      try {
        framer.push(d);
      } catch {
        socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    connections,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** CONNACK accepting the connection. */
export function connack(properties: Properties = {}, sessionPresent = false): Packet {
  return {
    type: PacketType.CONNACK,
    sessionPresent,
    reasonCode: 0,
    properties,
  };
}
