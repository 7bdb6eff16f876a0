// mosquitto's connection flags as real processes: -A (bind address), --unix (Unix socket),
// -M (max inflight) and -S (DNS SRV lookup).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connect } from '../../../src/client/connect.js';
import { PacketType } from '../../../src/codec/constants.js';
import type { TestBroker } from '../../helpers/broker.js';
import { startBroker } from '../../helpers/broker.js';
import type { FakeBroker } from '../client/fake-broker.js';
import { connack, startFakeBroker } from '../client/fake-broker.js';
import { startDnsServer } from './dns-server.js';
import { killAll, runTool, start } from './tools.js';

const T = { timeout: 10_000 };
const preload = fileURLToPath(new URL('./dns-preload.js', import.meta.url));

let seq = 0;
const topic = (name: string): string => `petrel-cli/${process.pid}/${name}/${++seq}`;

/** A relay to `port` listening on a TCP port or a Unix socket path; records peer addresses. */
interface Relay {
  server: Server;
  peers: Array<string | undefined>;
  close(): Promise<void>;
}

async function startRelay(port: number, listenOn: string | number): Promise<Relay> {
  const sockets = new Set<Socket>();
  const peers: Array<string | undefined> = [];
  const server = createServer((down) => {
    peers.push(down.remoteAddress);
    const up = netConnect(port, '127.0.0.1');
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        down.destroy();
        up.destroy();
      });
    }
    down.pipe(up);
    up.pipe(down);
  });
  await new Promise<void>((resolve) => {
    if (typeof listenOn === 'string') server.listen(listenOn, resolve);
    else server.listen(listenOn, '127.0.0.1', resolve);
  });
  return {
    server,
    peers,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function relayPort(r: Relay): string {
  const a = r.server.address();
  return String(typeof a === 'object' && a !== null ? a.port : 0);
}

describe('petrel pub/sub connection flags', () => {
  let broker: TestBroker;
  let dir: string;
  const closers: Array<() => Promise<void>> = [];
  before(async () => {
    broker = await startBroker();
    dir = mkdtempSync(join(tmpdir(), 'petrel-cli-flags-'));
  });
  after(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    killAll();
    for (const c of closers.splice(0)) await c();
  });

  test(
    '--unix: pub and sub reach the broker over a Unix socket, not host and port',
    T,
    async () => {
      const path = join(dir, 'mqtt.sock');
      const relay = await startRelay(broker.port, path);
      closers.push(() => relay.close());
      const t = topic('unix');
      // -p 1 would refuse: only the socket path can work.
      const where = ['--unix', path, '-h', '127.0.0.1', '-p', '1'];
      const sub = start('petrel', ['sub', ...where, '-t', t, '-C', '1', '-q', '1', '-d']);
      await sub.waitFor('SUBACK');
      const pub = await runTool('petrel', ['pub', ...where, '-t', t, '-m', 'over unix', '-q', '1']);
      assert.equal(pub.code, 0, pub.stderr);
      assert.equal(await sub.exit, 0, sub.stderr());
      assert.ok(sub.stdout().split('\n').includes('over unix'), sub.stdout());
      assert.equal(relay.peers.length, 2);
    },
  );

  test('--unix: a missing socket exits 1 with one line naming the path', T, async () => {
    const path = join(dir, 'absent.sock');
    const r = await runTool('petrel', ['pub', '--unix', path, '-t', 't', '-m', 'x']);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.startsWith(`petrel pub: cannot connect to ${path}: `), r.stderr);
    assert.equal(r.stderr.split('\n').length, 2);
  });

  test('-A binds the connection to the given local address', T, async () => {
    const relay = await startRelay(broker.port, 0);
    closers.push(() => relay.close());
    const t = topic('bind');
    const listener = await connect(broker.url, { reconnect: false });
    closers.push(() => listener.disconnect());
    await listener.subscribe(t, { qos: 1 });
    const got = new Promise<string>((resolve) => {
      listener.on('message', (m) => resolve(m.payload.toString()));
    });
    const port = relayPort(relay);
    const pub = await runTool('petrel', [
      'pub',
      '-A',
      '127.0.0.2',
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-t',
      t,
      '-m',
      'bound',
      '-q',
      '1',
    ]);
    assert.equal(pub.code, 0, pub.stderr);
    assert.equal(await got, 'bound');
    assert.deepEqual(relay.peers, ['127.0.0.2']);
    const sub = await runTool('petrel', [
      'sub',
      '-A',
      '127.0.0.3',
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-t',
      t,
      '-W',
      '0.2',
    ]);
    assert.equal(sub.code, 27, sub.stderr);
    assert.deepEqual(relay.peers, ['127.0.0.2', '127.0.0.3']);
  });

  test('-A: an address not on this host exits 1; not an address exits 2 naming -A', T, async () => {
    const p = String(broker.port);
    const off = await runTool('petrel', ['pub', '-A', '192.0.2.1', '-p', p, '-t', 't', '-m', 'x']);
    assert.equal(off.code, 1);
    assert.match(off.stderr, /^petrel pub: cannot connect to .*EADDRNOTAVAIL.*\n$/);
    const bad = await runTool('petrel', ['sub', '-A', 'nowhere', '-p', p, '-t', 't']);
    assert.equal(bad.code, 2);
    assert.ok(bad.stderr.startsWith("petrel sub: option '-A'"), bad.stderr);
  });

  test('-S finds host and port in the _mqtt._tcp SRV record', T, async () => {
    const dns = await startDnsServer({
      '_mqtt._tcp.petrel.test': [
        { priority: 20, weight: 100, port: 1, target: '127.0.0.1' },
        { priority: 10, weight: 5, port: broker.port, target: '127.0.0.1' },
      ],
    });
    closers.push(() => dns.close());
    const extras = { nodeArgs: ['--import', preload], env: { PETREL_TEST_DNS: dns.address } };
    const t = topic('srv');
    const listener = await connect(broker.url, { reconnect: false });
    closers.push(() => listener.disconnect());
    await listener.subscribe(t, { qos: 1 });
    const got = new Promise<string>((resolve) => {
      listener.on('message', (m) => resolve(m.payload.toString()));
    });
    const pub = await runTool(
      'petrel',
      ['pub', '-S', '-h', 'petrel.test', '-t', t, '-m', 'via srv', '-q', '1'],
      undefined,
      8000,
      extras,
    );
    assert.equal(pub.code, 0, pub.stderr);
    assert.equal(await got, 'via srv');
    assert.ok(dns.questions.includes('_mqtt._tcp.petrel.test'), dns.questions.join());
    const none = await runTool(
      'petrel',
      ['sub', '-S', '-h', 'nothing.test', '-t', t],
      undefined,
      8000,
      extras,
    );
    assert.equal(none.code, 1);
    assert.match(
      none.stderr,
      /^petrel sub: SRV lookup of _mqtt\._tcp\.nothing\.test failed: .*\n$/,
    );
  });
});

describe('petrel pub -M', () => {
  let fake: FakeBroker | undefined;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  afterEach(async () => {
    killAll();
    for (const t of timers) clearTimeout(t);
    timers.clear();
    await fake?.close();
    fake = undefined;
  });

  /** A broker that acknowledges each QoS 1 PUBLISH after 30 ms; returns the peak in flight. */
  async function peakInFlight(extra: string[]): Promise<{ peak: number; received: number }> {
    let outstanding = 0;
    let peak = 0;
    let received = 0;
    fake = await startFakeBroker((conn, p) => {
      if (p.type === PacketType.CONNECT) conn.send(connack());
      else if (p.type === PacketType.PUBLISH) {
        received++;
        outstanding++;
        peak = Math.max(peak, outstanding);
        const timer = setTimeout(() => {
          timers.delete(timer);
          outstanding--;
          conn.send({
            type: PacketType.PUBACK,
            packetId: p.packetId,
            reasonCode: 0,
            properties: undefined,
          });
        }, 30);
        timers.add(timer);
      }
    });
    const port = new URL(fake.url).port;
    const lines = 'a\nb\nc\nd\ne\nf\n';
    const r = await runTool(
      'petrel',
      ['pub', '-h', '127.0.0.1', '-p', port, '-t', 'm/x', '-q', '1', '-l', ...extra],
      lines,
    );
    assert.equal(r.code, 0, r.stderr);
    return { peak, received };
  }

  test(
    '-M 2 keeps at most two QoS 1 messages unacknowledged; without it all six go at once',
    T,
    async () => {
      const limited = await peakInFlight(['-M', '2']);
      assert.deepEqual(limited, { peak: 2, received: 6 });
      await fake?.close();
      fake = undefined;
      const free = await peakInFlight([]);
      assert.equal(free.received, 6);
      assert.ok(free.peak > 2, `peak ${free.peak}`);
    },
  );
});
