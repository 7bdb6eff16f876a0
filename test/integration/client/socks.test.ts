// The client (and `petrel pub`) through a SOCKS5 proxy: a small RFC 1928/1929 proxy in the test
// records what it was asked to connect to and relays the bytes.
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { MqttClient } from '../../../src/client/client.js';
import type { TestBroker } from '../../helpers/broker.js';
import { startBroker } from '../../helpers/broker.js';
import { runCli } from '../../helpers/cli.js';

interface Proxy {
  port: number;
  asked: string[];
  server: Server;
}

/** A SOCKS5 proxy: no auth, or user/password `u`/`p` when `auth`; refuses port 9 (0x05). */
function startProxy(auth: boolean): Promise<Proxy> {
  const asked: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    let buf = Buffer.alloc(0);
    let stage = 0;
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      if (stage === 0 && buf.length >= 2 && buf.length >= 2 + (buf[1] as number)) {
        const methods = [...buf.subarray(2, 2 + (buf[1] as number))];
        buf = buf.subarray(2 + (buf[1] as number));
        const want = auth ? 2 : 0;
        if (!methods.includes(want)) {
          c.end(Buffer.from([5, 0xff]));
          return;
        }
        c.write(Buffer.from([5, want]));
        stage = auth ? 1 : 2;
      }
      if (stage === 1 && buf.length >= 2) {
        const ul = buf[1] as number;
        if (buf.length < 3 + ul) return;
        const pl = buf[2 + ul] as number;
        if (buf.length < 3 + ul + pl) return;
        const user = buf.subarray(2, 2 + ul).toString();
        const pass = buf.subarray(3 + ul, 3 + ul + pl).toString();
        buf = buf.subarray(3 + ul + pl);
        const ok = user === 'u' && pass === 'p';
        c.write(Buffer.from([1, ok ? 0 : 1]));
        if (!ok) {
          c.end();
          return;
        }
        stage = 2;
      }
      if (stage === 2 && buf.length >= 5) {
        const len = buf[4] as number;
        if (buf.length < 5 + len + 2) return;
        const host = buf.subarray(5, 5 + len).toString();
        const port = buf.readUInt16BE(5 + len);
        buf = buf.subarray(7 + len);
        asked.push(`${host}:${port}`);
        stage = 3;
        c.off('data', onData);
        if (port === 9) {
          c.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]));
          return;
        }
        const up = createConnection({ host, port }, () => {
          c.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
          if (buf.length > 0) up.write(buf);
          c.pipe(up);
          up.pipe(c);
        });
        up.on('error', () => c.destroy());
        c.on('error', () => up.destroy());
        sockets.add(up);
        up.on('close', () => sockets.delete(up));
      }
    };
    c.on('data', onData);
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ port: typeof a === 'object' && a !== null ? a.port : 0, asked, server });
    });
  });
}

describe('client through a SOCKS5 proxy (--proxy)', { timeout: 9000 }, () => {
  let b: TestBroker;
  let open: Proxy;
  let authed: Proxy;
  before(async () => {
    b = await startBroker();
    open = await startProxy(false);
    authed = await startProxy(true);
  });
  after(async () => {
    for (const p of [open, authed]) p.server.close();
    await b.close();
  });

  test('connects, publishes and receives through the proxy, which resolves the host name', async () => {
    const c = new MqttClient(`mqtt://localhost:${b.port}`, {
      proxy: `socks5h://127.0.0.1:${open.port}`,
      reconnect: false,
    });
    await c.connect();
    await c.subscribe('socks/t', { qos: 1 });
    const got = new Promise<string>((resolve) =>
      c.once('message', (m) => resolve(m.payload.toString())),
    );
    await c.publish('socks/t', 'via proxy', { qos: 1 });
    assert.equal(await got, 'via proxy');
    await c.disconnect();
    assert.deepEqual(open.asked, [`localhost:${b.port}`]);
  });

  test('user and password from the proxy URL; wrong ones and a refused target are errors', async () => {
    const ok = new MqttClient(`mqtt://127.0.0.1:${b.port}`, {
      proxy: `socks5h://u:p@127.0.0.1:${authed.port}`,
      reconnect: false,
    });
    await ok.connect();
    await ok.disconnect();
    const bad = new MqttClient(`mqtt://127.0.0.1:${b.port}`, {
      proxy: `socks5h://u:wrong@127.0.0.1:${authed.port}`,
      reconnect: false,
    });
    await assert.rejects(bad.connect(), /user name or password/);
    const refused = new MqttClient('mqtt://127.0.0.1:9', {
      proxy: `socks5h://127.0.0.1:${open.port}`,
      reconnect: false,
    });
    await assert.rejects(
      refused.connect(),
      /could not connect to 127\.0\.0\.1:9: connection refused/,
    );
    assert.throws(() => new MqttClient('mqtt://x', { proxy: 'http://p:8080' }), /socks5/);
  });

  test('petrel pub --proxy publishes through it', async () => {
    const seen = new Promise<string>((resolve) => {
      b.broker.once('publish', (e: { payload: Buffer }) => resolve(e.payload.toString()));
    });
    const { code } = await runCli([
      'pub',
      '-p',
      String(b.port),
      '--proxy',
      `socks5h://127.0.0.1:${open.port}`,
      '-t',
      'socks/cli',
      '-m',
      'cli via proxy',
    ]);
    assert.equal(code, 0);
    assert.equal(await seen, 'cli via proxy');
  });
});
