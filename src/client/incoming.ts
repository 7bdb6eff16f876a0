// Bytes and packets from the broker: framing, decoding and the dispatch on packet type.
import { PacketType } from '../codec/constants.js';
import { decodePacket } from '../codec/decode.js';
import { MqttError } from '../codec/errors.js';
import type { AuthPacket, DisconnectPacket, Packet, Properties } from '../codec/types.js';
import type { Connection } from './connection.js';
import type { ClientCore } from './core.js';
import { ClientError, ClientErrorCode, protocolError, reasonText } from './errors.js';

/** A chunk arrived on `conn`. */
export function onData(ctx: ClientCore, conn: Connection, chunk: Buffer): void {
  if (conn !== ctx.conn || !conn.open) return;
  ctx.keepAlive.received = true;
  try {
    conn.framer.push(chunk);
  } catch (err) {
    protocolFailure(ctx, conn, err);
  }
}

/** A whole packet arrived on `conn` (the framer's callback). */
export function onFrame(ctx: ClientCore, conn: Connection, header: number, body: Buffer): void {
  if (!conn.open) return;
  const packet = decodePacket(header, body, ctx.version);
  if (ctx.events.listenerCount('packetreceive') > 0) ctx.events.emit('packetreceive', packet);
  handle(ctx, conn, packet);
}

/** The broker broke the protocol: fail the attempt, or DISCONNECT (v5) and drop the connection. */
export function protocolFailure(ctx: ClientCore, conn: Connection, err: unknown): void {
  const e =
    err instanceof MqttError ? err : new ClientError(ClientErrorCode.ConnectionLost, String(err));
  if (ctx.lifecycle.pendingConnack !== undefined) {
    ctx.lifecycle.failConnecting(conn, e);
    return;
  }
  if (ctx.version === 5 && conn.open) {
    ctx.send({ type: PacketType.DISCONNECT, reasonCode: e.reasonCode, properties: undefined });
    conn.flush();
  }
  ctx.emitError(e);
  conn.transport?.destroy();
}

function handle(ctx: ClientCore, conn: Connection, packet: Packet): void {
  switch (packet.type) {
    case PacketType.CONNACK:
      if (ctx.lifecycle.pendingConnack === undefined) {
        throw protocolError('CONNACK received twice');
      }
      ctx.lifecycle.onConnack(conn, packet);
      return;
    case PacketType.PUBLISH:
      ctx.inbound.onPublish(packet);
      return;
    case PacketType.PUBACK:
      ctx.outbound.onAck(ctx.outbound.inflight.onPuback(packet));
      return;
    case PacketType.PUBREC:
      ctx.outbound.onAck(ctx.outbound.inflight.onPubrec(packet));
      return;
    case PacketType.PUBREL:
      ctx.inbound.onPubrel(packet);
      return;
    case PacketType.PUBCOMP:
      ctx.outbound.onAck(ctx.outbound.inflight.onPubcomp(packet));
      return;
    case PacketType.SUBACK:
    case PacketType.UNSUBACK:
      ctx.control.onAck(packet);
      return;
    case PacketType.PINGRESP:
      ctx.keepAlive.pong();
      return;
    case PacketType.DISCONNECT:
      onDisconnect(ctx, conn, packet);
      return;
    case PacketType.AUTH:
      onAuth(ctx, conn, packet);
      return;
    case PacketType.CONNECT:
    case PacketType.SUBSCRIBE:
    case PacketType.UNSUBSCRIBE:
    case PacketType.PINGREQ:
      throw protocolError(`unexpected packet type ${packet.type} from the broker`);
  }
}

function onDisconnect(ctx: ClientCore, conn: Connection, packet: DisconnectPacket): void {
  ctx.events.emit('disconnect', packet.reasonCode, packet.properties);
  if (packet.reasonCode < 0x80) {
    conn.transport?.destroy();
    return;
  }
  const err = new ClientError(
    ClientErrorCode.DisconnectedByBroker,
    `broker disconnected: ${reasonText(packet.reasonCode)}${
      packet.properties?.reasonString ? ` (${packet.properties.reasonString})` : ''
    }`,
    packet.reasonCode,
  );
  ctx.emitError(err);
  // Another connection took the session over, or we are banned: reconnecting would only fight
  // over the client id, so the client closes for good.
  if (packet.reasonCode === 0x8e || packet.reasonCode === 0x8a) {
    conn.transport?.destroy();
    ctx.lifecycle.shutdown(err);
    return;
  }
  conn.transport?.destroy();
}

function onAuth(ctx: ClientCore, conn: Connection, packet: AuthPacket): void {
  const hook = ctx.opts.onAuth;
  const method = ctx.opts.properties.authenticationMethod;
  if (hook === undefined || method === undefined) {
    throw protocolError('AUTH received but no onAuth hook or authentication method is set');
  }
  if (packet.reasonCode === 0) return; // re-authentication succeeded
  Promise.resolve(
    hook({
      reasonCode: packet.reasonCode,
      authenticationMethod: packet.properties?.authenticationMethod,
      authenticationData: packet.properties?.authenticationData,
      properties: packet.properties,
    }),
  ).then(
    (answer) => {
      if (!conn.open || conn !== ctx.conn) return;
      const properties: Properties = { authenticationMethod: method };
      if (answer.authenticationData !== undefined) {
        properties.authenticationData = answer.authenticationData;
      }
      if (answer.reasonString !== undefined) properties.reasonString = answer.reasonString;
      if (answer.userProperties !== undefined) properties.userProperties = answer.userProperties;
      ctx.send({ type: PacketType.AUTH, reasonCode: 0x18, properties });
    },
    (err: unknown) => protocolFailure(ctx, conn, err),
  );
}
