// Petrel bridged to a real Mosquitto (a child process on a free port): both directions at QoS
// 0, 1 and 2 with prefixes on each side, over MQTT 3.1.1 (with try_private) and 5.0.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Broker } from '../../../src/broker/broker.js';
import { createBroker } from '../../../src/broker.js';
import { hasMosquitto, type MosquittoHandle, startMosquitto } from '../../helpers/mosquitto.js';
import { bridgeState, collect, payloads } from './helpers.js';

const skip = hasMosquitto() ? false : 'mosquitto is not installed';

for (const version of [4, 5] as const) {
  describe(`Petrel bridged to Mosquitto over MQTT ${version === 5 ? '5.0' : '3.1.1'}`, {
    skip,
  }, () => {
    let mosquitto: MosquittoHandle;
    let petrel: Broker;
    let local: string;

    before(async () => {
      mosquitto = await startMosquitto();
      petrel = createBroker({
        port: 0,
        sysInterval: 1,
        bridges: [
          {
            name: 'mosq',
            addresses: [`127.0.0.1:${mosquitto.port}`],
            protocolVersion: version,
            restartTimeout: 0.2,
            topics: [
              {
                pattern: 'up/#',
                direction: 'out',
                qos: 2,
                localPrefix: 'site/',
                remotePrefix: 'hq/',
              },
              {
                pattern: 'down/#',
                direction: 'in',
                qos: 2,
                localPrefix: 'site/',
                remotePrefix: 'hq/',
              },
              {
                pattern: 'chat/#',
                direction: 'both',
                qos: 1,
                localPrefix: 'l/',
                remotePrefix: 'r/',
              },
            ],
          },
        ],
      });
      await petrel.listen();
      local = `mqtt://127.0.0.1:${petrel.port}`;
      await bridgeState(local, 'mosq', '1');
    });

    after(async () => {
      await petrel?.close();
      await mosquitto?.close();
    });

    it('carries local messages out at QoS 0, 1 and 2, local prefix replaced by the remote one', async () => {
      const far = await collect(mosquitto.url, 'hq/up/#', 2, { protocolVersion: 4 });
      const pub = await collect(local, 'nothing', 0);
      try {
        for (const qos of [0, 1, 2] as const) {
          await pub.client.publish(`site/up/q${qos}`, `out-${qos}`, { qos });
        }
        await far.waitFor(3);
        assert.deepEqual(far.messages.map((m) => [m.topic, m.payload, m.qos]).sort(), [
          ['hq/up/q0', 'out-0', 0],
          ['hq/up/q1', 'out-1', 1],
          ['hq/up/q2', 'out-2', 2],
        ]);
      } finally {
        await far.close();
        await pub.close();
      }
    });

    it('carries remote messages in at QoS 0, 1 and 2, remote prefix replaced by the local one', async () => {
      const near = await collect(local, 'site/down/#', 2);
      const pub = await collect(mosquitto.url, 'nothing', 0, { protocolVersion: 4 });
      try {
        for (const qos of [0, 1, 2] as const) {
          await pub.client.publish(`hq/down/q${qos}`, `in-${qos}`, { qos });
        }
        await near.waitFor(3);
        assert.deepEqual(near.messages.map((m) => [m.topic, m.payload, m.qos]).sort(), [
          ['site/down/q0', 'in-0', 0],
          ['site/down/q1', 'in-1', 1],
          ['site/down/q2', 'in-2', 2],
        ]);
      } finally {
        await near.close();
        await pub.close();
      }
    });

    it('a `both` topic crosses each way once and never comes back (No Local / try_private)', async () => {
      const near = await collect(local, 'l/chat/#', 1);
      const far = await collect(mosquitto.url, 'r/chat/#', 1, { protocolVersion: 4 });
      try {
        await near.client.publish('l/chat/a', 'from-petrel', { qos: 1 });
        await far.client.publish('r/chat/b', 'from-mosquitto', { qos: 1 });
        await near.waitFor(2);
        await far.waitFor(2);
        // Anything echoed back would arrive within a few round trips.
        await new Promise((r) => setTimeout(r, 500));
        assert.deepEqual(payloads(near).sort(), ['from-mosquitto', 'from-petrel']);
        assert.deepEqual(payloads(far).sort(), ['from-mosquitto', 'from-petrel']);
      } finally {
        await near.close();
        await far.close();
      }
    });
  });
}
