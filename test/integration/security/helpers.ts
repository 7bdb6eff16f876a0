// Shared pieces of the broker security tests: a broker with TLS listeners on certificates made
// by openssl at test time, and a promise-based MQTT.js connection.

import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, renameSync } from 'node:fs';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { connect as tlsConnect } from 'node:tls';
import type { IClientOptions, MqttClient } from 'mqtt';
import { connect } from 'mqtt';
import type { Broker, BrokerOptions } from '../../../src/broker.js';
import { createBroker } from '../../../src/broker.js';
import type { TestCerts } from '../client/certs.js';

export { makeCerts } from '../client/certs.js';
export type { TestCerts };

/** Starts a broker with the given options (port 0 everywhere, $SYS off). */
export async function start(options: BrokerOptions): Promise<Broker> {
  const broker = createBroker({ port: 0, sysInterval: 0, closeTimeoutMs: 300, ...options });
  await broker.listen();
  return broker;
}

/** Port of the first listener of `type`. */
export function portOf(broker: Broker, type: 'tcp' | 'tls' | 'ws' | 'wss'): number {
  const a = broker.addresses().find((x) => x.type === type);
  if (a === undefined) throw new Error(`no ${type} listener`);
  return a.port;
}

/** Connects MQTT.js; rejects on the first error (no reconnect). */
export async function mqttConnect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const c = connect(url, { reconnectPeriod: 0, connectTimeout: 3000, ...options });
  try {
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
      c.once('close', () => reject(new Error('closed before CONNACK')));
    });
  } catch (err) {
    c.end(true);
    throw err;
  }
  return c;
}

/** Publishes on `topic` with `pub` and waits until `sub` (already subscribed) receives it. */
export async function roundTrip(pub: MqttClient, sub: MqttClient, topic: string): Promise<void> {
  const got = new Promise<string>((resolve) =>
    sub.once('message', (_t, payload) => resolve(payload.toString())),
  );
  await pub.publishAsync(topic, 'ping', { qos: 1 });
  assert((await got) === 'ping', 'message not received');
}

function assert(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

/** TLS options trusting the test CA (and presenting the client certificate when `client`). */
export function trust(certs: TestCerts, client = false): IClientOptions {
  const o: IClientOptions = { ca: readFileSync(certs.ca), servername: 'localhost' };
  if (client) {
    o.cert = readFileSync(certs.clientCert);
    o.key = readFileSync(certs.clientKey);
  }
  return o;
}

/** A bare TLS handshake with the broker; resolves with the socket once secure. */
export async function handshake(
  port: number,
  certs: TestCerts,
  extra: ConnectionOptions = {},
): Promise<TLSSocket> {
  const s = tlsConnect({
    host: '127.0.0.1',
    port,
    ca: readFileSync(certs.ca),
    servername: 'localhost',
    ...extra,
  });
  s.on('error', () => {});
  await Promise.race([
    once(s, 'secureConnect'),
    once(s, 'close').then(() => {
      throw new Error('closed during the handshake');
    }),
  ]);
  return s;
}

/**
 * Issues a fresh server certificate (new key, same CA, `CN=localhost`, subject O=`org`) into
 * `cert`/`key` paths, for reload tests.
 */
export function reissueServerCert(certs: TestCerts, cert: string, key: string, org: string): void {
  const run = (args: string[]) =>
    execFileSync('openssl', args, { cwd: certs.dir, stdio: 'ignore' });
  run([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${key}.tmp`,
    '-out',
    'reissue.csr',
    '-subj',
    `/CN=localhost/O=${org}`,
  ]);
  run([
    'x509',
    '-req',
    '-in',
    'reissue.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    `${cert}.tmp`,
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
  // Key first, then certificate, each by rename: a watcher sees complete files only.
  renameSync(`${key}.tmp`, key);
  renameSync(`${cert}.tmp`, cert);
}
