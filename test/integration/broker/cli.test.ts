import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../../../src/auth/hash.js';
import { RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'petrel-broker-cli-'));

function run(args: string[]): {
  child: ReturnType<typeof spawn>;
  stderr: () => string;
  exit: Promise<number | null>;
} {
  // The command line stores state in ./data by default: keep it inside the test's directory.
  const child = spawn(process.execPath, [MAIN, 'broker', ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exit };
}

async function waitFor(get: () => string, re: RegExp, ms = 5000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = get().match(re);
    if (m !== null) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; got: ${get()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('petrel broker', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('starts, serves clients, and on SIGTERM sends v5 clients DISCONNECT 0x8B and exits 0', async () => {
    const p = run(['-p', '0', '-H', '127.0.0.1']);
    const m = await waitFor(p.stderr, /listening on mqtt:\/\/127\.0\.0\.1:(\d+)/);
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
    const m = await waitFor(p.stderr, /listening on mqtt:\/\/127\.0\.0\.1:(\d+)/);
    await waitFor(p.stderr, /listening on ws:\/\/127\.0\.0\.1:\d+\/mqtt/);
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
      const m = await waitFor(p.stderr, /listening on mqtt:\/\/127\.0\.0\.1:(\d+)/);
      const port = Number(m[1]);
      const bad = await RawClient.open(port, 4);
      bad.send({
        type: 1,
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepAlive: 0,
        clientId: 'x',
        username: 'alice',
        password: Buffer.from('wrong'),
        will: undefined,
        properties: undefined,
      });
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
