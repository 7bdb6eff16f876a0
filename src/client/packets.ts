// Packets the client builds from its options: CONNECT and DISCONNECT.
import type { ProtocolVersion } from '../codec/constants.js';
import { PacketType } from '../codec/constants.js';
import type { ConnectPacket, DisconnectPacket, Properties, Will } from '../codec/types.js';
import type { ResolvedOptions } from './options.js';
import { connectProperties } from './options.js';
import { publishProperties } from './properties.js';
import type { DisconnectOptions } from './types.js';

/** The CONNECT for `opts` at protocol level `version` with the client id in effect. */
export function connectPacket(
  o: ResolvedOptions,
  version: ProtocolVersion,
  clientId: string,
): ConnectPacket {
  const v5 = version === 5;
  let will: Will | undefined;
  if (o.will !== undefined) {
    const { willDelayInterval, ...rest } = o.will.properties ?? {};
    const props = v5 ? (publishProperties(rest) ?? {}) : undefined;
    if (props !== undefined && willDelayInterval !== undefined) {
      props.willDelayInterval = willDelayInterval;
    }
    will = {
      topic: o.will.topic,
      payload:
        typeof o.will.payload === 'string'
          ? Buffer.from(o.will.payload, 'utf8')
          : (o.will.payload ?? Buffer.alloc(0)),
      qos: o.will.qos ?? 0,
      retain: o.will.retain ?? false,
      properties: props,
    };
  }
  return {
    type: PacketType.CONNECT,
    protocolName: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    // After the first session is established, reconnect without clean start when the user
    // asked for a persistent session; with clean start every reconnect starts afresh.
    clean: o.clean,
    keepAlive: o.keepAlive,
    clientId,
    username: o.username,
    password: o.password,
    will,
    properties: v5 ? connectProperties(o.properties) : undefined,
  };
}

/** The DISCONNECT of `disconnect(options)` (properties only where set; v3 ignores them). */
export function disconnectPacket(options: DisconnectOptions): DisconnectPacket {
  const properties: Properties = {};
  if (options.sessionExpiryInterval !== undefined) {
    properties.sessionExpiryInterval = options.sessionExpiryInterval;
  }
  if (options.reasonString !== undefined) properties.reasonString = options.reasonString;
  if (options.userProperties !== undefined) properties.userProperties = options.userProperties;
  return {
    type: PacketType.DISCONNECT,
    reasonCode: options.reasonCode ?? 0,
    properties: Object.keys(properties).length > 0 ? properties : undefined,
  };
}
