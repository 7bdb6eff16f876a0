// Bridges over every transport (TCP, TLS with a client certificate, WebSocket, WebSocket over
// TLS), fail-over through the address list, and the `$SYS` state of a bridge.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BridgeOptions } from '../../../src/bridge/options.js';
import type { Broker } from '../../../src/broker/broker.js';
import { createBroker } from '../../../src/broker.js';
import { freePort } from '../../helpers/mosquitto.js';
import { makeCerts, type TestCerts } from '../client/certs.js';
import { bridgeState, collect, until } from './helpers.js';

describe('bridge transports', () => {
  let certs: TestCerts;
  let remote: Broker;
  let local: Broker;
  const portOf = (type: string) => remote.addresses().find((a) => a.type === type)?.port ?? 0;

  before(async () => {
    certs = makeCerts();
    remote = createBroker({
      certFile: certs.serverCert,
      keyFile: certs.serverKey,
      listeners: [
        { type: 'tcp', port: 0 },
        { type: 'ws', port: 0 },
        { type: 'tls', port: 0, caFile: certs.ca, requireCertificate: true },
        { type: 'wss', port: 0 },
      ],
    });
    await remote.listen();
    const dead = await freePort();
    const out = (name: string): BridgeOptions['topics'] => [
      { pattern: `t/${name}`, direction: 'out', qos: 1 },
    ];
    local = createBroker({
      port: 0,
      sysInterval: 1,
      bridges: [
        {
          name: 'ws',
          transport: 'ws',
          addresses: [`127.0.0.1:${portOf('ws')}`],
          protocolVersion: 5,
          topics: out('ws'),
        },
        {
          name: 'tls',
          transport: 'mqtts',
          addresses: [`localhost:${portOf('tls')}`],
          tls: { caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey },
          topics: out('tls'),
        },
        {
          name: 'wss',
          transport: 'wss',
          addresses: [`localhost:${portOf('wss')}`],
          tls: { caFile: certs.ca },
          protocolVersion: 5,
          topics: out('wss'),
        },
        {
          // Nothing listens on the first address: the bridge moves on to the second.
          name: 'failover',
          addresses: [`127.0.0.1:${dead}`, `127.0.0.1:${portOf('tcp')}`],
          restartTimeout: 0.1,
          topics: out('failover'),
        },
      ],
    });
    await local.listen();
  });

  after(async () => {
    await local?.close();
    await remote?.close();
    certs?.remove();
  });

  it('connects over WebSocket, TLS with a client certificate and WSS, and fails over', async () => {
    const url = `mqtt://127.0.0.1:${local.port}`;
    for (const name of ['ws', 'tls', 'wss', 'failover']) await bridgeState(url, name, '1');
    const far = await collect(`mqtt://127.0.0.1:${portOf('tcp')}`, 't/#', 1);
    const pub = await collect(url, 'nothing', 0);
    try {
      for (const name of ['ws', 'tls', 'wss', 'failover']) {
        await pub.client.publish(`t/${name}`, name, { qos: 1 });
      }
      await far.waitFor(4);
      assert.deepEqual(far.messages.map((m) => m.topic).sort(), [
        't/failover',
        't/tls',
        't/ws',
        't/wss',
      ]);
    } finally {
      await far.close();
      await pub.close();
    }
  });

  it('reports its state in $SYS/broker/bridges/<name>/', async () => {
    const url = `mqtt://127.0.0.1:${local.port}`;
    const sys = await collect(url, '$SYS/broker/bridges/failover/#', 0);
    try {
      const value = (k: string) =>
        sys.messages.filter((m) => m.topic === `$SYS/broker/bridges/failover/${k}`).at(-1)?.payload;
      // Updated every sysInterval (1 s): the message of the test above has been forwarded.
      await until(() => value('forwarded/out') === '1', 5000, 'forwarded/out = 1');
      assert.equal(value('connected'), '1');
      assert.equal(value('queued'), '0');
      assert.equal(value('forwarded/in'), '0');
      assert.equal(value('last-error'), '');
    } finally {
      await sys.close();
    }
  });
});
