import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { decodePacket } from '../../../src/codec/decode.js';
import { encodePacket } from '../../../src/codec/encode.js';
import { Framer } from '../../../src/codec/framer.js';
import type { Packet } from '../../../src/codec/types.js';
import type { TestBroker } from '../../helpers/broker.js';
import { startBroker } from '../../helpers/broker.js';
import { connectPacket } from '../../helpers/packets.js';

function openWs(
  port: number,
  protocol = 'mqtt',
): Promise<{ ws: WebSocket; packets: Packet[]; next(): Promise<Packet> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, protocol);
    const packets: Packet[] = [];
    let wake: (() => void) | undefined;
    const framer = new Framer((h, b) => {
      packets.push(decodePacket(h, b, 4));
      wake?.();
    });
    ws.on('message', (data: Buffer) => framer.push(data));
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
        packets,
        async next() {
          for (let i = 0; i < 100; i++) {
            const p = packets.shift();
            if (p !== undefined) return p;
            await new Promise<void>((r) => {
              const t = setTimeout(r, 20);
              wake = () => {
                clearTimeout(t);
                r();
              };
            });
          }
          throw new Error('no packet');
        },
      }),
    );
  });
}

const CONNECT = encodePacket(connectPacket({ keepAlive: 30, clientId: 'wsraw' }), 4);

describe('MQTT over WebSocket', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker({ wsPort: 0 });
  });
  after(() => tb.close());

  test('subprotocol mqtt is selected; a CONNECT split across frames works', async () => {
    const c = await openWs(tb.wsPort as number);
    assert.equal(c.ws.protocol, 'mqtt');
    c.ws.send(CONNECT.subarray(0, 5));
    c.ws.send(CONNECT.subarray(5));
    const ack = await c.next();
    assert.equal(ack.type, 2);
    c.ws.close();
  });

  test('several packets in one frame are all processed', async () => {
    const c = await openWs(tb.wsPort as number);
    const sub = encodePacket(
      {
        type: 8,
        packetId: 1,
        subscriptions: [
          {
            topicFilter: 'ws/t',
            qos: 0,
            noLocal: false,
            retainAsPublished: false,
            retainHandling: 0,
          },
        ],
        properties: undefined,
      },
      4,
    );
    c.ws.send(Buffer.concat([CONNECT, sub, Buffer.from([0xc0, 0x00])]));
    assert.equal((await c.next()).type, 2);
    assert.equal((await c.next()).type, 9);
    assert.equal((await c.next()).type, 13);
    c.ws.close();
  });

  test('[MQTT-6.0.0-1] a text frame closes the connection', async () => {
    const c = await openWs(tb.wsPort as number);
    const closed = new Promise<void>((resolve) => c.ws.on('close', () => resolve()));
    c.ws.send('not binary');
    await closed;
  });

  test('a WebSocket upgrade on a path other than /mqtt is refused', async () => {
    const refused = new WebSocket(`ws://127.0.0.1:${tb.wsPort}/other`, 'mqtt');
    await new Promise<void>((resolve) => {
      refused.on('error', () => resolve());
      refused.on('unexpected-response', () => resolve());
    });
    refused.terminate();
  });

  for (const protocolVersion of [4, 5] as const) {
    test(`MQTT.js over WebSocket and TCP exchange messages (v${protocolVersion})`, async () => {
      const ws = await mqtt.connectAsync(`ws://127.0.0.1:${tb.wsPort}/mqtt`, {
        protocolVersion,
        reconnectPeriod: 0,
      });
      const tcp = await mqtt.connectAsync(tb.url, { protocolVersion, reconnectPeriod: 0 });
      await ws.subscribeAsync('bridge/#', { qos: 1 });
      const got = new Promise<string>((resolve) =>
        ws.on('message', (_t, p) => resolve(p.toString())),
      );
      await tcp.publishAsync('bridge/x', 'hello', { qos: 1 });
      assert.equal(await got, 'hello');
      await ws.endAsync();
      await tcp.endAsync();
    });
  }
});

describe('MQTT over WebSocket: dropped connections', () => {
  test('[MQTT-3.1.2-8] the will of a WebSocket client whose connection drops is published', async () => {
    const tb = await startBroker({ wsPort: 0 });
    try {
      const watcher = await mqtt.connectAsync(tb.url, { reconnectPeriod: 0 });
      await watcher.subscribeAsync('wswill/t');
      const got = new Promise<string>((resolve) =>
        watcher.on('message', (_t, p) => resolve(p.toString())),
      );
      const c = await openWs(tb.wsPort as number);
      c.ws.send(
        encodePacket(
          connectPacket({
            keepAlive: 30,
            clientId: 'wsdrop',
            will: {
              topic: 'wswill/t',
              payload: Buffer.from('dropped'),
              qos: 0,
              retain: false,
              properties: undefined,
            },
          }),
          4,
        ),
      );
      assert.equal((await c.next()).type, 2);
      c.ws.terminate();
      assert.equal(await got, 'dropped');
      await watcher.endAsync();
    } finally {
      await tb.close();
    }
  });
});

describe('several listeners', () => {
  test('explicit listeners: two TCP ports and one WebSocket share one broker', async () => {
    const tb = await startBroker({
      listeners: [
        { type: 'tcp', port: 0 },
        { type: 'tcp', port: 0 },
        { type: 'ws', port: 0, path: '/custom' },
      ],
    });
    try {
      const addrs = tb.broker.addresses();
      assert.deepEqual(
        addrs.map((a) => a.type),
        ['tcp', 'tcp', 'ws'],
      );
      const [a, b, w] = addrs;
      assert.equal(w?.path, '/custom');
      const c1 = await mqtt.connectAsync(`mqtt://127.0.0.1:${a?.port}`, { reconnectPeriod: 0 });
      const c2 = await mqtt.connectAsync(`mqtt://127.0.0.1:${b?.port}`, { reconnectPeriod: 0 });
      const c3 = await mqtt.connectAsync(`ws://127.0.0.1:${w?.port}/custom`, {
        reconnectPeriod: 0,
      });
      await c1.subscribeAsync('multi/t');
      const got = new Promise<string>((resolve) =>
        c1.on('message', (_t, p) => resolve(p.toString())),
      );
      await c3.publishAsync('multi/t', 'via ws');
      assert.equal(await got, 'via ws');
      await Promise.all([c1.endAsync(), c2.endAsync(), c3.endAsync()]);
    } finally {
      await tb.close();
    }
  });
});
