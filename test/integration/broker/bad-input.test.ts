import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  nextPublishOf,
  publishOf,
  RawClient,
  startBroker,
  subOf,
  subscribeRaw,
} from '../../helpers/broker.js';

describe('bad input', () => {
  test('garbage after CONNECT closes only that connection, within a second; others keep being served', async () => {
    const tb = await startBroker();
    try {
      const { client: s } = await RawClient.connect(tb.port, 5);
      await subscribeRaw(s, [subOf('ok/t', 1)]);
      tb.broker.publish('ok/r', 'kept', { retain: true, qos: 1 });
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(3, 4, 5),
          fc.integer({ min: 0, max: 255 }),
          fc.uint8Array({ minLength: 0, maxLength: 100 }),
          async (v, header, body) => {
            const { client: bad } = await RawClient.connect(tb.port, v as 3 | 4 | 5);
            // One complete frame with a random header and body (it may even be valid), then a
            // frame of the reserved packet type 0, which is always malformed.
            bad.send(
              Buffer.concat([
                Buffer.from([header, body.length]),
                Buffer.from(body),
                Buffer.from([0x00, 0x00]),
              ]),
            );
            await bad.waitClose(1000);
          },
        ),
        { numRuns: 40 },
      );
      // a few random streams with a valid-looking header
      for (let i = 0; i < 20; i++) {
        const { client: bad } = await RawClient.connect(tb.port, 4);
        bad.send(Buffer.concat([Buffer.from([0x30 | (i & 0x0f), 0x7f]), randomBytes(10)]));
        bad.destroy();
      }
      const { client: p } = await RawClient.connect(tb.port, 4);
      p.send(publishOf('ok/t', 'still here', 1, 1));
      assert.equal((await p.next()).type, 4);
      assert.equal((await nextPublishOf(s)).payload.toString(), 'still here');
      const { client: r } = await RawClient.connect(tb.port, 4);
      await subscribeRaw(r, [subOf('ok/r', 1)]);
      assert.equal((await nextPublishOf(r)).payload.toString(), 'kept');
      s.destroy();
      p.destroy();
      r.destroy();
    } finally {
      await tb.close();
    }
  });

  test('a malformed packet from a v5 client gets DISCONNECT 0x81 before the close', async () => {
    const tb = await startBroker();
    try {
      const { client } = await RawClient.connect(tb.port, 5);
      // SUBSCRIBE with no subscriptions (property length 0, then nothing): malformed / protocol error
      client.send(Buffer.from([0x82, 0x03, 0x00, 0x01, 0x00]));
      const d = await client.next();
      assert.equal(d.type, 14);
      assert.ok(d.type === 14 && (d.reasonCode === 0x81 || d.reasonCode === 0x82));
      await client.waitClose(1000);
    } finally {
      await tb.close();
    }
  });
});
