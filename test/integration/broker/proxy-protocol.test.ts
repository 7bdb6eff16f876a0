import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer, connect as netConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { IClientOptions, MqttClient } from 'mqtt';
import { pino } from 'pino';
import type { ListenerOptions } from '../../../src/broker/options.js';
import { validateOptions } from '../../../src/broker/options.js';
import type { Broker, BrokerOptions } from '../../../src/broker.js';
import { createBroker } from '../../../src/broker.js';
import { PROXY_V2_SIGNATURE } from '../../../src/transport/proxy-protocol.js';
import type { TestCerts } from '../security/helpers.js';
import { makeCerts, mqttConnect, roundTrip, trust } from '../security/helpers.js';

/** An MQTT 3.1.1 CONNECT, clean session, keep-alive 60, client id `raw`. */
const CONNECT = Buffer.from('100f00044d5154540402003c0003726177', 'hex');
/** CONNACK accepted, no session present. */
const CONNACK_OK = Buffer.from('20020000', 'hex');

interface Started {
  broker: Broker;
  /** Remote addresses the authenticate hook saw, in order. */
  seen: Array<string | undefined>;
  /** Client id and remote address the authorizePublish hook saw, per PUBLISH. */
  published: string[];
  /** Every log line, parsed. */
  logs: Array<Record<string, unknown>>;
  port(i: number): number;
  close(): Promise<void>;
}

/** A broker on the given listeners (all on 127.0.0.1 port 0), recording hook calls and logs. */
async function start(listeners: ListenerOptions[], extra: BrokerOptions = {}): Promise<Started> {
  const seen: Array<string | undefined> = [];
  const published: string[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const broker = createBroker({
    listeners,
    sysInterval: 0,
    closeTimeoutMs: 300,
    logger,
    hooks: {
      authenticate: (req) => {
        seen.push(req.remoteAddress);
        return true;
      },
      authorizePublish: (client) => {
        published.push(`${client.clientId}@${client.remoteAddress}`);
        return true;
      },
    },
    ...extra,
  });
  await broker.listen();
  const addrs = broker.addresses();
  return {
    broker,
    seen,
    published,
    logs,
    port: (i) => (addrs[i] as { port: number }).port,
    close: () => broker.close(),
  };
}

/**
 * A stand-in for a TCP load balancer: forwards each connection to `target`, prepending `header`
 * to the client's first chunk (one write, so header and CONNECT or ClientHello share a segment),
 * or with `split`, sending the header in 3-byte writes a few ms apart before that chunk.
 */
async function balancer(
  target: number,
  header: Buffer,
  split = false,
): Promise<Server & { port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer((c) => {
    const up = netConnect(target, '127.0.0.1');
    sockets.add(c).add(up);
    let first = true;
    let chain = Promise.resolve();
    const send = async (d: Buffer) => {
      if (!first) {
        up.write(d);
        return;
      }
      first = false;
      if (!split) {
        up.write(Buffer.concat([header, d]));
        return;
      }
      for (let i = 0; i < header.length; i += 3) {
        up.write(header.subarray(i, i + 3));
        await new Promise((r) => setTimeout(r, 3));
      }
      up.write(d);
    };
    c.on('data', (d: Buffer) => {
      chain = chain.then(() => send(d));
    });
    up.on('data', (d: Buffer) => c.write(d));
    const done = () => {
      c.destroy();
      up.destroy();
    };
    c.on('close', done);
    up.on('close', done);
    c.on('error', done);
    up.on('error', done);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const close = server.close.bind(server);
  return Object.assign(server, {
    port: (server.address() as AddressInfo).port,
    close(cb?: (err?: Error) => void) {
      for (const s of sockets) s.destroy();
      return close(cb);
    },
  });
}

function v1(src: string, sport = 40000): Buffer {
  const fam = src.includes(':') ? 'TCP6' : 'TCP4';
  const dst = fam === 'TCP6' ? '::1' : '127.0.0.1';
  return Buffer.from(`PROXY ${fam} ${src} ${dst} ${sport} 1883\r\n`);
}

function v2Ipv4(src: number[], tlvs: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(28);
  PROXY_V2_SIGNATURE.copy(b);
  b[12] = 0x21;
  b[13] = 0x11;
  b.writeUInt16BE(12 + tlvs.length, 14);
  Buffer.from(src).copy(b, 16);
  Buffer.from([127, 0, 0, 1]).copy(b, 20);
  b.writeUInt16BE(50000, 24);
  b.writeUInt16BE(1883, 26);
  return Buffer.concat([b, tlvs]);
}

function v2Ipv6(srcHex: string): Buffer {
  const b = Buffer.alloc(52);
  PROXY_V2_SIGNATURE.copy(b);
  b[12] = 0x21;
  b[13] = 0x21;
  b.writeUInt16BE(36, 14);
  Buffer.from(srcHex, 'hex').copy(b, 16);
  b[47] = 1;
  b.writeUInt16BE(50000, 48);
  b.writeUInt16BE(1883, 50);
  return b;
}

const V2_LOCAL = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);

/** Opens a raw socket, writes each chunk (pausing between them), collects what comes back. */
async function rawSession(
  port: number,
  chunks: Buffer[],
): Promise<{ received: () => Buffer; closed: Promise<void>; socket: Socket }> {
  const socket = netConnect({ port, host: '127.0.0.1', noDelay: true });
  socket.on('error', () => {});
  const got: Buffer[] = [];
  socket.on('data', (d: Buffer) => got.push(d));
  const closed = once(socket, 'close').then(() => undefined);
  await once(socket, 'connect');
  for (const c of chunks) {
    if (socket.destroyed) break;
    socket.write(c);
    await new Promise((r) => setTimeout(r, 5));
  }
  return { received: () => Buffer.concat(got), closed, socket };
}

/** Resolves once `socket` received `n` bytes (or rejects after `ms`). */
async function waitBytes(s: { received: () => Buffer }, n: number, ms = 3000): Promise<Buffer> {
  const end = Date.now() + ms;
  while (s.received().length < n) {
    if (Date.now() > end) throw new Error(`got ${s.received().length} of ${n} bytes`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return s.received();
}

function refusals(logs: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return logs.filter((l) => typeof l.msg === 'string' && l.msg.includes('PROXY protocol'));
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_r, reject) => {
        t = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(t);
  }
}

describe('PROXY protocol on a tcp listener', () => {
  test('MQTT.js through a balancer sending v1: the hook sees the header address, MQTT flows', async () => {
    const b = await start([
      { type: 'tcp', port: 0, host: '127.0.0.1', proxyProtocol: true },
      { type: 'tcp', port: 0, host: '127.0.0.1' },
    ]);
    const lb = await balancer(b.port(0), v1('203.0.113.9'));
    let proxied: MqttClient | undefined;
    let direct: MqttClient | undefined;
    try {
      proxied = await mqttConnect(`mqtt://127.0.0.1:${lb.port}`, { clientId: 'p' });
      direct = await mqttConnect(`mqtt://127.0.0.1:${b.port(1)}`, { clientId: 'd' });
      assert.deepEqual(b.seen, ['203.0.113.9', '127.0.0.1']);
      await direct.subscribeAsync('pp/t', { qos: 1 });
      await roundTrip(proxied, direct, 'pp/t');
      await proxied.subscribeAsync('pp/u', { qos: 1 });
      await roundTrip(direct, proxied, 'pp/u');
      assert.deepEqual(b.published, ['p@203.0.113.9', 'd@127.0.0.1']);
    } finally {
      proxied?.end(true);
      direct?.end(true);
      lb.close();
      await b.close();
    }
  });

  test('v2 over IPv6, fed one byte per write, then CONNECT: CONNACK, hook sees the IPv6 address', async () => {
    const b = await start([{ type: 'tcp', port: 0, host: '127.0.0.1', proxyProtocol: true }]);
    try {
      const hdr = v2Ipv6('20010db8000000000000000000000042');
      const bytes = [...hdr].map((x) => Buffer.from([x]));
      const s = await rawSession(b.port(0), [...bytes, CONNECT]);
      assert.deepEqual(await waitBytes(s, 4), CONNACK_OK);
      assert.deepEqual(b.seen, ['2001:db8::42']);
      s.socket.destroy();
    } finally {
      await b.close();
    }
  });

  test('v2 IPv4 with TLVs and the CONNECT in the same write', async () => {
    const b = await start([{ type: 'tcp', port: 0, host: '127.0.0.1', proxyProtocol: true }]);
    try {
      const tlvs = Buffer.from('0100046d717474', 'hex'); // ALPN "mqtt"
      const s = await rawSession(b.port(0), [
        Buffer.concat([v2Ipv4([198, 51, 100, 23], tlvs), CONNECT]),
      ]);
      assert.deepEqual(await waitBytes(s, 4), CONNACK_OK);
      assert.deepEqual(b.seen, ['198.51.100.23']);
      s.socket.destroy();
    } finally {
      await b.close();
    }
  });

  test('v2 LOCAL and v1 UNKNOWN keep the socket address', async () => {
    const b = await start([{ type: 'tcp', port: 0, host: '127.0.0.1', proxyProtocol: true }]);
    try {
      for (const hdr of [V2_LOCAL, Buffer.from('PROXY UNKNOWN\r\n')]) {
        const s = await rawSession(b.port(0), [hdr, CONNECT]);
        assert.deepEqual(await waitBytes(s, 4), CONNACK_OK);
        s.socket.destroy();
        await s.closed;
      }
      assert.deepEqual(b.seen, ['127.0.0.1', '127.0.0.1']);
    } finally {
      await b.close();
    }
  });

  test('a client without header is closed before MQTT parsing and logged; a plain listener still works', async () => {
    const b = await start([
      { type: 'tcp', port: 0, host: '127.0.0.1', proxyProtocol: true },
      { type: 'tcp', port: 0, host: '127.0.0.1' },
    ]);
    try {
      const s = await rawSession(b.port(0), [CONNECT]);
      await within(s.closed, 3000, 'close of a header-less connection');
      assert.equal(s.received().length, 0, 'no CONNACK');
      await assert.rejects(mqttConnect(`mqtt://127.0.0.1:${b.port(0)}`));
      assert.deepEqual(b.seen, [], 'the authenticate hook never ran');
      const logged = refusals(b.logs);
      assert.equal(logged.length, 2, 'one log line per refused connection');
      assert.equal(logged[0]?.level, 30, 'at info');
      assert.equal(b.broker.stats.connectionsRefused, 2);
      assert.equal(logged[0]?.remoteAddress, '127.0.0.1');
      assert.match(String(logged[0]?.reason), /no PROXY protocol header/);
      const ok = await mqttConnect(`mqtt://127.0.0.1:${b.port(1)}`);
      ok.end(true);
      assert.deepEqual(b.seen, ['127.0.0.1']);
    } finally {
      await b.close();
    }
  });

  const malformed: Array<[string, Buffer]> = [
    ['a v1 line with a bad address', Buffer.from('PROXY TCP4 1.2.3.999 127.0.0.1 1 2\r\n')],
    ['a v1 line over 107 bytes', Buffer.from(`PROXY UNKNOWN ${'x'.repeat(120)}\r\n`)],
    ['a v2 header with a bad signature', Buffer.from(v2Ipv4([1, 2, 3, 4]).fill(0x41, 4, 5))],
    [
      'a v2 header too short for its family',
      (() => {
        const h = v2Ipv4([1, 2, 3, 4]);
        h.writeUInt16BE(8, 14);
        return h.subarray(0, 24);
      })(),
    ],
  ];
  for (const [name, hdr] of malformed) {
    test(`${name} is closed, logged with its reason, and never reaches the hook`, async () => {
      const b = await start([{ type: 'tcp', port: 0, host: '127.0.0.1', proxyProtocol: true }]);
      try {
        const s = await rawSession(b.port(0), [Buffer.concat([hdr, CONNECT])]);
        await within(s.closed, 3000, 'close');
        assert.equal(s.received().length, 0);
        assert.deepEqual(b.seen, []);
        assert.equal(refusals(b.logs).length, 1);
      } finally {
        await b.close();
      }
    });
  }

  test('a header not complete within connectTimeoutMs is closed at the deadline', async () => {
    const b = await start([{ type: 'tcp', port: 0, host: '127.0.0.1', proxyProtocol: true }], {
      connectTimeoutMs: 300,
    });
    try {
      const t0 = Date.now();
      const s = await rawSession(b.port(0), [Buffer.from('PROXY TCP4 1.2.3.4 ')]);
      await within(s.closed, 3000, 'close at the connect timeout');
      const took = Date.now() - t0;
      assert.ok(took >= 250 && took < 2000, `closed after ${took} ms`);
      const [line] = refusals(b.logs);
      assert.match(String(line?.reason), /connect timeout/);
    } finally {
      await b.close();
    }
  });

  test('the header counts against the connect timeout: header, then no CONNECT, closes in time', async () => {
    const b = await start([{ type: 'tcp', port: 0, host: '127.0.0.1', proxyProtocol: true }], {
      connectTimeoutMs: 300,
    });
    try {
      const t0 = Date.now();
      const s = await rawSession(b.port(0), [v1('192.0.2.1')]);
      await within(s.closed, 3000, 'close at the connect timeout');
      assert.ok(Date.now() - t0 < 2000);
      const timeout = b.logs.find((l) => l.msg === 'connect timeout');
      assert.equal(timeout?.remoteAddress, '192.0.2.1', 'the log names the header address');
    } finally {
      await b.close();
    }
  });

  test('a connection closed without a byte (a balancer health check) is logged at debug only', async () => {
    const b = await start([{ type: 'tcp', port: 0, host: '127.0.0.1', proxyProtocol: true }]);
    try {
      const s = await rawSession(b.port(0), []);
      s.socket.end();
      await within(s.closed, 3000, 'close');
      const deadline = Date.now() + 2000;
      while (refusals(b.logs).length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
      const [line] = refusals(b.logs);
      assert.equal(line?.level, 20);
      assert.match(String(line?.reason), /before sending anything/);
    } finally {
      await b.close();
    }
  });

  test('the broker-level proxyProtocol is the default of every listener; a listener may turn it off', async () => {
    const b = await start(
      [
        { type: 'tcp', port: 0, host: '127.0.0.1' },
        { type: 'tcp', port: 0, host: '127.0.0.1', proxyProtocol: false },
      ],
      { proxyProtocol: true },
    );
    try {
      const s = await rawSession(b.port(0), [CONNECT]);
      await within(s.closed, 3000, 'close of a header-less connection');
      assert.equal(s.received().length, 0);
      const ok = await rawSession(b.port(1), [CONNECT]);
      assert.deepEqual(await waitBytes(ok, 4), CONNACK_OK);
      ok.socket.destroy();
      const viaHeader = await rawSession(b.port(0), [v1('192.0.2.200'), CONNECT]);
      assert.deepEqual(await waitBytes(viaHeader, 4), CONNACK_OK);
      viaHeader.socket.destroy();
      assert.deepEqual(b.seen, ['127.0.0.1', '192.0.2.200']);
    } finally {
      await b.close();
    }
  });

  test('close() does not wait for a socket still owing its header', async () => {
    const b = await start([{ type: 'tcp', port: 0, host: '127.0.0.1', proxyProtocol: true }]);
    const s = await rawSession(b.port(0), [Buffer.from('PROX')]);
    const t0 = Date.now();
    await b.close();
    assert.ok(Date.now() - t0 < 1000, `close took ${Date.now() - t0} ms`);
    await within(s.closed, 2000, 'socket closed by close()');
  });
});

describe('PROXY protocol on tls, ws and wss listeners', () => {
  let certs: TestCerts;
  before(() => {
    certs = makeCerts();
  });
  after(() => certs.remove());

  const cases: Array<[ListenerOptions['type'], string, (p: number) => string]> = [
    ['tls', '198.51.100.7', (p) => `mqtts://localhost:${p}`],
    ['ws', '2001:db8::7', (p) => `ws://127.0.0.1:${p}/mqtt`],
    ['wss', '192.0.2.77', (p) => `wss://localhost:${p}/mqtt`],
  ];
  for (const [type, address, url] of cases) {
    test(`${type}: MQTT.js through a balancer (header before the ${type === 'ws' ? 'HTTP upgrade' : 'TLS handshake'}) is seen from ${address}`, async () => {
      const secure = type !== 'ws';
      const b = await start([
        {
          type,
          port: 0,
          host: '127.0.0.1',
          proxyProtocol: true,
          ...(secure ? { certFile: certs.serverCert, keyFile: certs.serverKey } : {}),
        },
      ]);
      const lb = await balancer(b.port(0), v1(address));
      let c: MqttClient | undefined;
      try {
        const opts: IClientOptions = secure ? trust(certs) : {};
        c = await mqttConnect(url(lb.port), opts);
        assert.deepEqual(b.seen, [address]);
        await c.subscribeAsync('pp/x', { qos: 1 });
        await roundTrip(c, c, 'pp/x');
      } finally {
        c?.end(true);
        lb.close();
        await b.close();
      }
    });
  }

  test('tls: a header split over many writes, then the ClientHello: the handshake and MQTT work', async () => {
    const b = await start([
      {
        type: 'tls',
        port: 0,
        host: '127.0.0.1',
        proxyProtocol: true,
        certFile: certs.serverCert,
        keyFile: certs.serverKey,
      },
    ]);
    const lb = await balancer(b.port(0), v2Ipv4([100, 64, 0, 9]), true);
    let c: MqttClient | undefined;
    try {
      c = await mqttConnect(`mqtts://localhost:${lb.port}`, trust(certs));
      assert.deepEqual(b.seen, ['100.64.0.9']);
    } finally {
      c?.end(true);
      lb.close();
      await b.close();
    }
  });

  test('tls: a client speaking TLS without header is closed before any handshake work', async () => {
    const b = await start([
      {
        type: 'tls',
        port: 0,
        host: '127.0.0.1',
        proxyProtocol: true,
        certFile: certs.serverCert,
        keyFile: certs.serverKey,
      },
    ]);
    try {
      await assert.rejects(mqttConnect(`mqtts://localhost:${b.port(0)}`, trust(certs)));
      assert.deepEqual(b.seen, []);
      assert.equal(refusals(b.logs).length, 1);
    } finally {
      await b.close();
    }
  });
});

describe('proxyProtocol option', () => {
  test('is a boolean listener key of the config file', () => {
    assert.deepEqual(
      validateOptions({ listeners: [{ type: 'tcp', port: 1883, proxyProtocol: true }] }, true),
      [],
    );
    const [err] = validateOptions(
      { listeners: [{ type: 'tcp', port: 1883, proxyProtocol: 'yes' }] },
      true,
    );
    assert.match(String(err), /proxyProtocol must be true or false/);
    assert.deepEqual(validateOptions({ proxyProtocol: false }, true), []);
    assert.match(String(validateOptions({ proxyProtocol: 1 }, true)[0]), /proxyProtocol/);
  });
});
