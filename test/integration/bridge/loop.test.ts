// No loops: two Petrels that each bridge the same (overlapping) topics to the other. Every
// message is seen exactly once on each side; without the bridge mark it would circle forever.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BridgeOptions } from '../../../src/bridge/options.js';
import type { Broker } from '../../../src/broker/broker.js';
import { createBroker } from '../../../src/broker.js';
import { bridgeState, collect } from './helpers.js';

function bridgeTo(name: string, port: number, version: 4 | 5): BridgeOptions {
  return {
    name,
    addresses: [`127.0.0.1:${port}`],
    protocolVersion: version,
    restartTimeout: 0.2,
    // Two overlapping filters: a message on loop/a/x matches both.
    topics: [
      { pattern: 'loop/#', direction: 'out', qos: 1 },
      { pattern: 'loop/+/x', direction: 'out', qos: 2 },
    ],
  };
}

// Over 5.0 the bridges' user property stops the loop; over 3.1.1, try_private does (the
// receiving Petrel marks what a bridge connection publishes).
for (const version of [5, 4] as const)
  describe(`two Petrels bridged to each other on overlapping topics over MQTT ${version === 5 ? '5.0' : '3.1.1'}`, () => {
    let a: Broker;
    let b: Broker;

    before(async () => {
      a = createBroker({ port: 0, sysInterval: 1 });
      b = createBroker({ port: 0, sysInterval: 1 });
      await a.listen();
      await b.listen();
      await a.updateBridges([bridgeTo('to-b', b.port, version)]);
      await b.updateBridges([bridgeTo('to-a', a.port, version)]);
      await bridgeState(`mqtt://127.0.0.1:${a.port}`, 'to-b', '1');
      await bridgeState(`mqtt://127.0.0.1:${b.port}`, 'to-a', '1');
    });

    after(async () => {
      await a?.close();
      await b?.close();
    });

    it('counts each message exactly once on each side', async () => {
      const onA = await collect(`mqtt://127.0.0.1:${a.port}`, 'loop/#', 2);
      const onB = await collect(`mqtt://127.0.0.1:${b.port}`, 'loop/#', 2);
      try {
        await onA.client.publish('loop/a/x', 'from-a-x', { qos: 2 });
        await onA.client.publish('loop/a/y', 'from-a-y', { qos: 1 });
        await onB.client.publish('loop/b/x', 'from-b-x', { qos: 1 });
        await onB.client.publish('loop/b/z', 'from-b-z', { qos: 0 });
        await onA.waitFor(4);
        await onB.waitFor(4);
        // A loop would bring messages back within a few round trips on loopback.
        await new Promise((r) => setTimeout(r, 800));
        const expected = ['from-a-x', 'from-a-y', 'from-b-x', 'from-b-z'];
        assert.deepEqual(onA.messages.map((m) => m.payload).sort(), expected);
        assert.deepEqual(onB.messages.map((m) => m.payload).sort(), expected);
        const bridgeA = a.sessions.get('$bridge/to-b');
        assert.ok(bridgeA !== undefined && bridgeA.queuedCount + bridgeA.inflightCount === 0);
      } finally {
        await onA.close();
        await onB.close();
      }
    });
  });
