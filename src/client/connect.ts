import { MqttClient } from './client.js';
import type { ClientOptions } from './options.js';

/**
 * Creates a client and connects it; resolves once CONNACK accepts the connection (the CONNACK
 * is in `client.connackInfo`), rejects with a `ConnectionRefusedError` or `ClientError`.
 *
 * @example
 * const client = await connect('mqtt://localhost:1883', { protocolVersion: 5 });
 */
export async function connect(
  url?: string | ClientOptions,
  options: ClientOptions = {},
): Promise<MqttClient> {
  const client = new MqttClient(url, options);
  await client.connect();
  return client;
}
