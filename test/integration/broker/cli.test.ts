import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { hashPassword } from '../../../src/auth/hash.js';
import { RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import type { Run } from '../../helpers/cli.js';
import { killAll, startCli } from '../../helpers/cli.js';
import { connectPacket } from '../../helpers/packets.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-broker-cli-'));

/** `petrel broker <args>`, storing state inside the test's directory (./data by default). */
function run(args: string[]): Run {
  return startCli(['broker', ...args], { cwd: dir });
}

describe('petrel broker', () => {
  after(() => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  test('starts, serves clients, and on SIGTERM sends v5 clients DISCONNECT 0x8B and exits 0', async () => {
    const p = run(['-p', '0', '-H', '127.0.0.1']);
    const m = await p.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/);
    const port = Number(m[1]);
    const { client } = await RawClient.connect(port, 5);
    p.child.kill('SIGTERM');
    const d = await client.next(3000);
    assert.equal(d.type === 14 && d.reasonCode, 0x8b);
    assert.equal(await p.exit, 0);
  });

  test('a config file sets options; flags override it', async () => {
    const cfg = join(dir, 'ok.json');
    writeFileSync(cfg, JSON.stringify({ port: 1, maxKeepAlive: 10, wsPort: 0 }));
    const p = run(['-c', cfg, '-p', '0']);
    const m = await p.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/);
    await p.waitFor(/listening on ws:\/\/127\.0\.0\.1:\d+\/mqtt/);
    const { client, connack } = await RawClient.connect(Number(m[1]), 5, { keepAlive: 60 });
    assert.equal(connack.properties?.serverKeepAlive, 10);
    client.destroy();
    p.child.kill('SIGINT');
    assert.equal(await p.exit, 0);
  });

  test('a bad config exits 1 naming the key and the problem', async () => {
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ maxInflight: 'lots' }));
    const p = run(['-c', cfg]);
    assert.equal(await p.exit, 1);
    assert.match(p.stderr(), /petrel broker: .*bad\.json: maxInflight: must be an integer/);
    const q = run(['-c', join(dir, 'missing.json')]);
    assert.equal(await q.exit, 1);
    assert.match(q.stderr(), /cannot read/);
    const r = run(['--port', 'abc']);
    assert.equal(await r.exit, 1);
    assert.match(r.stderr(), /--port/);
  });

  test('passwordFile and aclFile from the config are enforced', async () => {
    const pw = join(dir, 'passwd');
    const hash = await hashPassword('secret', { params: { ln: 4, r: 8, p: 1 } });
    writeFileSync(pw, `alice:${hash}\n`);
    const acl = join(dir, 'acl');
    writeFileSync(acl, 'user alice\ntopic readwrite alice/#\n');
    const cfg = join(dir, 'auth.json');
    writeFileSync(cfg, JSON.stringify({ port: 0, passwordFile: pw, aclFile: acl }));
    const p = run(['-c', cfg]);
    try {
      const m = await p.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/);
      const port = Number(m[1]);
      const bad = await RawClient.open(port, 4);
      bad.send(connectPacket({ clientId: 'x', username: 'alice', password: Buffer.from('wrong') }));
      const refused = await bad.next(5000);
      assert.equal(refused.type === 2 && refused.reasonCode, 4);
      const { client, connack } = await RawClient.connect(port, 5, {
        username: 'alice',
        password: Buffer.from('secret'),
      });
      assert.equal(connack.reasonCode, 0);
      assert.deepEqual(
        await subscribeRaw(client, [subOf('alice/x', 0), subOf('bob/x', 0)]),
        [0, 0x87],
      );
      client.destroy();
    } finally {
      p.child.kill('SIGTERM');
      await p.exit;
    }
  });
});
