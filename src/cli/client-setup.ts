// The client the common flags describe: URL, identity, TLS, v5 properties, SRV lookup.

import type { SrvRecord } from 'node:dns';
import { resolveSrv } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { MqttClient } from '../client/client.js';
import type { ClientOptions, ConnectProperties } from '../client/options.js';
import type { CommonArgs } from './args.js';
import { attachDebug } from './output.js';
import { errorMessage, fail } from './usage.js';

/** Client options from the common flags; `defaultId` names the tool (`petrel_pub`). */
export function clientOptions(a: CommonArgs, defaultId: string): ClientOptions {
  const scheme = a.tls ? 'mqtts' : 'mqtt';
  const host = a.host.includes(':') && !a.host.startsWith('[') ? `[${a.host}]` : a.host;
  const url = a.url ?? `${scheme}://${host}:${a.port ?? (a.tls ? 8883 : 1883)}`;
  const clientId =
    a.clientId ??
    `${a.idPrefix ?? `${defaultId}_`}${process.pid}`.slice(0, a.protocolVersion === 3 ? 23 : 65535);
  const properties: ConnectProperties = { ...a.properties.connect };
  if (a.sessionExpiry !== undefined) properties.sessionExpiryInterval = a.sessionExpiry;
  else if (!a.clean && a.protocolVersion === 5 && properties.sessionExpiryInterval === undefined) {
    // Like mosquitto: a persistent session (-c) under v5 never expires unless -x says so.
    properties.sessionExpiryInterval = 0xffffffff;
  }
  const options: ClientOptions = {
    url,
    protocolVersion: a.protocolVersion,
    clientId,
    clean: a.clean,
    keepAlive: a.keepAlive,
    connectTimeout: a.connectTimeout * 1000,
    properties,
    reconnect: false,
  };
  if (a.username !== undefined) options.username = a.username;
  if (a.password !== undefined) options.password = a.password;
  if (a.bindAddress !== undefined) options.localAddress = a.bindAddress;
  if (a.unixSocket !== undefined) options.socketPath = a.unixSocket;
  if (a.proxy !== undefined) options.proxy = a.proxy;
  if (a.maxInflight !== undefined) options.maxInflight = a.maxInflight;
  if (a.willTopic !== undefined) {
    options.will = {
      topic: a.willTopic,
      payload: a.willPayload ?? '',
      qos: a.willQos,
      retain: a.willRetain,
      properties: a.properties.will,
    };
  }
  if (a.tls || url.startsWith('mqtts:') || url.startsWith('wss:')) {
    options.tls = { rejectUnauthorized: !a.insecure };
    if (a.cafile !== undefined) options.tls.ca = readFileSync(a.cafile);
    if (a.cert !== undefined) options.tls.cert = readFileSync(a.cert);
    if (a.key !== undefined) options.tls.key = readFileSync(a.key);
    if (a.ciphers !== undefined) options.tls.ciphers = a.ciphers;
    if (a.psk !== undefined && a.pskIdentity !== undefined) {
      options.tls.psk = { identity: a.pskIdentity, key: a.psk };
    }
  }
  return options;
}

/**
 * `-S`: replaces host and port with the SRV record of `_mqtt._tcp.HOST` (`_secure-mqtt` with
 * TLS) of lowest priority, highest weight among those. Returns an exit code on failure.
 */
export async function applySrv(cmd: string, a: CommonArgs): Promise<number | undefined> {
  if (!a.srv) return undefined;
  const service = `${a.tls ? '_secure-mqtt' : '_mqtt'}._tcp.${a.host}`;
  let records: SrvRecord[];
  try {
    records = await resolveSrv(service);
  } catch (err) {
    return fail(cmd, `SRV lookup of ${service} failed: ${errorMessage(err)}`);
  }
  let best: SrvRecord | undefined;
  for (const r of records) {
    if (
      best === undefined ||
      r.priority < best.priority ||
      (r.priority === best.priority && r.weight > best.weight)
    ) {
      best = r;
    }
  }
  if (best === undefined) return fail(cmd, `SRV lookup of ${service} found no record`);
  a.host = best.name;
  a.port = best.port;
  return undefined;
}

/** A client for the common flags (`extra` on top), printing every packet with `-d`. */
export function createClient(
  cmd: string,
  args: CommonArgs,
  extra: Partial<ClientOptions> = {},
): MqttClient {
  const client = new MqttClient({ ...clientOptions(args, `petrel_${cmd}`), ...extra });
  if (args.debug) attachDebug(client);
  return client;
}

/**
 * Connects `client` (by default a new one for the common flags); on failure prints the error
 * and returns the exit code instead.
 */
export async function openClient(
  cmd: string,
  args: CommonArgs,
  client: MqttClient = createClient(cmd, args),
): Promise<MqttClient | number> {
  try {
    await client.connect();
  } catch (err) {
    return fail(cmd, errorMessage(err));
  }
  return client;
}
