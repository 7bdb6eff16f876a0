import type { Packet, Properties } from '../codec/types.js';
import type { ConnackInfo, Message } from './types.js';

/** Events of {@link MqttClient}; each entry is the listener's argument list. */
export interface ClientEvents {
  /** CONNACK accepted (first connection and every reconnection). */
  connect: [ConnackInfo];
  /** A reconnection attempt is about to start. */
  reconnect: [attempt: number];
  /** The connection was lost; the client will try to reconnect. */
  offline: [error: Error | undefined];
  /** The client is closed for good. */
  close: [];
  /** A message arrived. */
  message: [Message];
  /** The broker sent DISCONNECT (v5). */
  disconnect: [reasonCode: number, properties: Properties | undefined];
  /** A failure that is not tied to a call (protocol error, failed reconnect attempt…). */
  error: [Error];
  /** Every packet written, for debugging (`-d`). */
  packetsend: [Packet];
  /** Every packet received, for debugging (`-d`). */
  packetreceive: [Packet];
}

/** Connection states. */
export type ClientState =
  | 'new'
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'disconnecting'
  | 'closed';

/** How the client's parts raise events on the `MqttClient`, whose `emit` is protected. */
export interface EventSink {
  emit<K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]): boolean;
  listenerCount(event: keyof ClientEvents): number;
}
