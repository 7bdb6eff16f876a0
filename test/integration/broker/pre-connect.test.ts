import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodePacket } from '../../../src/codec/encode.js';
import { delay, RawClient, startBroker, type TestBroker } from '../../helpers/broker.js';
import { varint } from '../conformance/hex.js';

// Doors closed before CONNECT: the first byte must start a CONNECT, and before authentication a
// packet may claim at most maxConnectPacketSize (checked on the remaining length, before any of
// the body is read).

/** A fixed header claiming `length` body bytes. */
function header(first: number, length: number): Buffer {
  return Buffer.concat([Buffer.from([first]), varint(length)]);
}

/** The variable header of a CONNECT of `level` (protocol name, level, flags, keep-alive). */
function connectStart(level: 4 | 5): Buffer {
  return Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, level, 0x02, 0, 30]);
}

/** Writes `total` bytes of zeros in 64 KiB chunks while the socket lasts. */
async function flood(c: RawClient, total: number): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024);
  for (let sent = 0; sent < total && !c.closed && !c.socket.destroyed; sent += chunk.length) {
    if (!c.socket.write(chunk)) {
      await Promise.race([
        new Promise((r) => c.socket.once('drain', r)),
        c.closedPromise,
        delay(200),
      ]);
    }
  }
}

describe('doors closed before CONNECT', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker({ maxConnectPacketSize: 65_536 });
  });
  after(() => tb.close());

  test('[MQTT-3.1.0-1] an HTTP request on the MQTT port is closed at its first byte, unanswered', async () => {
    const c = await RawClient.open(tb.port);
    let got = 0;
    c.socket.on('data', (d: Buffer) => {
      got += d.length;
    });
    c.send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await c.waitClose(1000);
    assert.equal(got, 0);
  });

  test('[MQTT-3.1.0-1] a first byte that is not CONNECT closes the connection, even alone', async () => {
    for (const first of [0x30, 0x82, 0x20, 0xe0, 0x16 /* a TLS ClientHello */]) {
      const c = await RawClient.open(tb.port);
      c.send(Buffer.from([first]));
      await c.waitClose(1000);
    }
  });

  test('a CONNECT delivered one byte at a time is accepted', async () => {
    const c = await RawClient.open(tb.port, 4);
    const bytes = encodePacket(
      {
        type: 1,
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepAlive: 30,
        clientId: 'byte-by-byte',
        username: undefined,
        password: undefined,
        will: undefined,
        properties: undefined,
      },
      4,
    );
    for (const b of bytes) {
      c.send(Buffer.from([b]));
      await delay(1);
    }
    const p = await c.next();
    assert.equal(p.type, 2);
    c.destroy();
  });

  test('a CONNECT claiming 256 MB is closed at its header; the broker reads next to nothing of what follows', async () => {
    const before = tb.broker.stats.bytesReceived;
    const c = await RawClient.open(tb.port, 4);
    c.send(Buffer.concat([header(0x10, 268_435_455), connectStart(4)]));
    const flooding = flood(c, 32 * 1024 * 1024);
    await c.waitClose(3000);
    await flooding;
    const read = tb.broker.stats.bytesReceived - before;
    assert.ok(read < 1024 * 1024, `read ${read} bytes`);
  });

  test('a first PUBLISH claiming 256 MB is closed at once', async () => {
    const c = await RawClient.open(tb.port, 4);
    c.send(header(0x30, 268_435_455));
    await c.waitClose(1000);
  });

  test('[MQTT-3.2.2-15] 5.0: a CONNECT larger than maxConnectPacketSize gets CONNACK 0x95, then the close', async () => {
    const c = await RawClient.open(tb.port, 5);
    c.send(Buffer.concat([header(0x10, 2 * 1024 * 1024), connectStart(5)]));
    const p = await c.next(1000);
    assert.equal(p.type, 2);
    assert.equal(p.type === 2 ? p.reasonCode : -1, 0x95);
    await c.waitClose(1000);
  });

  test('3.1.1: the same CONNECT is closed without a CONNACK (no return code for it)', async () => {
    const c = await RawClient.open(tb.port, 4);
    c.send(Buffer.concat([header(0x10, 2 * 1024 * 1024), connectStart(4)]));
    await c.waitClose(1000);
    assert.ok(await c.silent(50));
  });

  test('an oversized CONNECT header sent one byte at a time is closed once its length is known', async () => {
    const c = await RawClient.open(tb.port, 5);
    for (const b of header(0x10, 100_000)) {
      c.send(Buffer.from([b]));
      await delay(2);
    }
    await c.waitClose(1000);
  });
});
