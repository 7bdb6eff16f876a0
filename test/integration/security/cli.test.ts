import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodePacket } from '../../../src/codec/encode.js';
import { publishOf, RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import type { Run } from '../../helpers/cli.js';
import { killAll, startCli } from '../../helpers/cli.js';
import { connectPacket } from '../../helpers/packets.js';
import type { TestCerts } from './helpers.js';
import { makeCerts, mqttConnect, trust } from './helpers.js';

describe('petrel broker security flags and reload', () => {
  let dir: string;
  let certs: TestCerts;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'petrel-sec-cli-'));
    certs = makeCerts();
  });
  after(() => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
    certs.remove();
  });

  function run(args: string[]): Run {
    return startCli(['broker', '--durability', 'none', ...args], { cwd: dir });
  }

  /** A TCP and a TLS listener on free ports, with the test certificate. */
  const tlsListener = () => [
    '-p',
    '0',
    '--tls-port',
    '0',
    '--cert',
    certs.serverCert,
    '--key',
    certs.serverKey,
  ];

  test('--tls-port/--cert/--key/--cafile/--require-certificate open an mqtts listener', async () => {
    const p = run([...tlsListener(), '--cafile', certs.ca, '--require-certificate']);
    try {
      const m = await p.waitFor(/listening on mqtts:\/\/127\.0\.0\.1:(\d+)/);
      const url = `mqtts://localhost:${m[1]}`;
      await assert.rejects(mqttConnect(url, trust(certs)));
      const c = await mqttConnect(url, trust(certs, true));
      c.end(true);
    } finally {
      p.child.kill('SIGTERM');
      assert.equal(await p.exit, 0);
    }
  });

  test('--crlfile without --cafile is a start-up error', async () => {
    const p = run([...tlsListener(), '--crlfile', certs.ca]);
    assert.equal(await p.exit, 1);
    assert.match(p.stderr(), /petrel broker: .*crlFile needs caFile/);
  });

  test('--proxy-protocol: a connection must open with a PROXY header; with one, MQTT follows', async () => {
    const p = run(['-p', '0', '--proxy-protocol']);
    try {
      const m = await p.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/);
      const port = Number(m[1]);
      const connect = encodePacket(connectPacket({ clientId: 'behind-lb' }), 4);
      const talk = (bytes: Buffer) =>
        new Promise<Buffer>((resolve) => {
          const s = netConnect(port, '127.0.0.1', () => s.write(bytes));
          let got = Buffer.alloc(0);
          s.on('data', (d: Buffer) => {
            got = Buffer.concat([got, d]);
            if (got.length >= 4) s.destroy();
          });
          s.on('error', () => {});
          s.on('close', () => resolve(got));
        });
      const header = Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.1 40000 1883\r\n');
      const ok = await talk(Buffer.concat([header, connect]));
      assert.deepEqual([...ok.subarray(0, 4)], [0x20, 2, 0, 0]);
      const refused = await talk(connect);
      assert.equal(refused.length, 0);
    } finally {
      p.child.kill('SIGTERM');
      assert.equal(await p.exit, 0);
    }
  });

  test('--tls-port without a certificate is a start-up error', async () => {
    const p = run(['-p', '0', '--tls-port', '0']);
    assert.equal(await p.exit, 1);
    assert.match(p.stderr(), /petrel broker: .*tls needs certFile and keyFile/);
  });

  test('a non-loopback listener without TLS is warned about and refuses anonymous clients', async () => {
    const p = run(['-p', '0', '-H', '0.0.0.0']);
    try {
      const m = await p.waitFor(/listening on mqtt:\/\/0\.0\.0\.0:(\d+)/);
      assert.match(p.stderr(), /non-loopback interface without TLS/);
      const { client, connack } = await RawClient.connect(Number(m[1]), 5);
      assert.equal(connack.reasonCode, 0x87);
      client.destroy();
    } finally {
      p.child.kill('SIGTERM');
      await p.exit;
    }
  });

  test('SIGHUP: a config that fails validation keeps the old one and logs why; a valid one applies live limits', async () => {
    const cfg = join(dir, 'reload.json');
    writeFileSync(cfg, JSON.stringify({ maxPublishRate: 0 }));
    const p = run(['-c', cfg, '-p', '0']);
    try {
      const m = await p.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/);
      const port = Number(m[1]);
      writeFileSync(cfg, JSON.stringify({ maxPublishRate: -3 }));
      p.child.kill('SIGHUP');
      await p.waitFor(/maxPublishRate: must be an integer.*keeping the previous configuration/);
      writeFileSync(cfg, JSON.stringify({ maxPublishRate: 1, maxPublishBurst: 2, port: 1 }));
      p.child.kill('SIGHUP');
      await p.waitFor(/configuration reloaded/);
      const { client } = await RawClient.connect(port, 5);
      for (let i = 0; i < 3; i++) client.send(publishOf('hup/x', 'm', 0));
      const d = await client.next().catch((e: Error) => new Error(`${e.message}: ${p.stderr()}`));
      assert.equal(d instanceof Error ? d.message : d.type === 14 && d.reasonCode, 0x96);
    } finally {
      p.child.kill('SIGTERM');
      await p.exit;
    }
  });

  test('SIGHUP reloads the ACL and removes subscriptions it no longer grants', async () => {
    const acl = join(dir, 'acl');
    writeFileSync(acl, 'topic read news/#\ntopic write news/#\n');
    const p = run(['-p', '0', '-c', writeConfig('acl.json', { aclFile: acl })]);
    try {
      const m = await p.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/);
      const port = Number(m[1]);
      const { client: sub } = await RawClient.connect(port, 5);
      assert.deepEqual(await subscribeRaw(sub, [subOf('news/#', 0)]), [0]);
      writeFileSync(acl, 'topic write news/#\n');
      p.child.kill('SIGHUP');
      await p.waitFor(/"removed":1/);
      const { client: pub } = await RawClient.connect(port, 5);
      pub.send(publishOf('news/a', 'x', 1, 1));
      const ack = await pub.next();
      assert.equal(ack.type === 4 && ack.reasonCode, 0x10); // no matching subscribers
      assert.equal(await sub.silent(150), true);
      sub.destroy();
      pub.destroy();
    } finally {
      p.child.kill('SIGTERM');
      await p.exit;
    }
  });

  function writeConfig(name: string, data: unknown): string {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(data));
    return path;
  }
});
