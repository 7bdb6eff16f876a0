// A Mosquitto broker bridged to Petrel (Petrel is the remote), with Mosquitto's defaults:
// try_private (protocol level 0x84) and notifications with a will in $SYS/broker/connection/.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Broker } from '../../../src/broker/broker.js';
import { createBroker } from '../../../src/broker.js';
import { hasMosquitto, type MosquittoHandle, startMosquitto } from '../../helpers/mosquitto.js';
import { collect, payloads, until } from './helpers.js';

const skip = hasMosquitto() ? false : 'mosquitto is not installed';

describe('Mosquitto bridged to Petrel', { skip }, () => {
  let petrel: Broker;
  let mosquitto: MosquittoHandle;
  let local: string;

  before(async () => {
    petrel = createBroker({ port: 0 });
    await petrel.listen();
    local = `mqtt://127.0.0.1:${petrel.port}`;
    mosquitto = await startMosquitto({
      config: [
        'connection petrel',
        `address 127.0.0.1:${petrel.port}`,
        'remote_clientid edge-1',
        'restart_timeout 1',
        'topic chat/# both 1',
        'topic up/# out 2 "" edge/',
        // Mosquitto's prefixes: local (its side) first, then remote (Petrel's side).
        'topic down/# in 2 edge/ ""',
      ],
    });
    // Mosquitto announces the bridge with a retained `1` on its notification topic.
    const state = await collect(local, '$SYS/broker/connection/edge-1/state', 0);
    try {
      await until(() => state.messages.at(-1)?.payload === '1', 10_000, 'the bridge notification');
    } finally {
      await state.close();
    }
  });

  after(async () => {
    await mosquitto?.close();
    await petrel?.close();
  });

  it('a Mosquitto bridge (try_private) gets none of its own messages back from Petrel', async () => {
    const onPetrel = await collect(local, 'chat/#', 1);
    const onMosquitto = await collect(mosquitto.url, 'chat/#', 1, { protocolVersion: 4 });
    try {
      await onMosquitto.client.publish('chat/m', 'from-mosquitto', { qos: 1 });
      await onPetrel.client.publish('chat/p', 'from-petrel', { qos: 1 });
      await onPetrel.waitFor(2);
      await onMosquitto.waitFor(2);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(payloads(onPetrel).sort(), ['from-mosquitto', 'from-petrel']);
      assert.deepEqual(payloads(onMosquitto).sort(), ['from-mosquitto', 'from-petrel']);
    } finally {
      await onPetrel.close();
      await onMosquitto.close();
    }
  });

  it('carries QoS 2 both ways with prefixes', async () => {
    const onPetrel = await collect(local, 'edge/up/#', 2);
    const onMosquitto = await collect(mosquitto.url, 'edge/down/#', 2, { protocolVersion: 4 });
    try {
      await onMosquitto.client.publish('up/1', 'u', { qos: 2 });
      await onPetrel.client.publish('down/1', 'd', { qos: 2 });
      await onPetrel.waitFor(1);
      await onMosquitto.waitFor(1);
      assert.deepEqual(onPetrel.messages, [
        { topic: 'edge/up/1', payload: 'u', qos: 2, retain: false },
      ]);
      assert.deepEqual(onMosquitto.messages, [
        { topic: 'edge/down/1', payload: 'd', qos: 2, retain: false },
      ]);
    } finally {
      await onPetrel.close();
      await onMosquitto.close();
    }
  });

  it('an ordinary client still may not publish to the bridge state topics', async () => {
    const c = await collect(local, 'x', 0, { protocolVersion: 4 });
    const watch = await collect(local, '$SYS/broker/connection/#', 0);
    try {
      await c.client.publish('$SYS/broker/connection/fake/state', '0', { qos: 0 });
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(watch.messages.every((m) => m.payload === '1'));
    } finally {
      await c.close();
      await watch.close();
    }
  });
});
