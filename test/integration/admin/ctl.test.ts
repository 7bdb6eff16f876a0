// `petrel ctl` against a real `petrel broker --http-port` with a token: each command as a user
// runs it, checked against what the broker and raw MQTT clients see.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { nextPublishOf, RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import type { Run } from '../../helpers/cli.js';
import { killAll, runCli, startCli } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-ctl-'));
const TOKEN = 'ctl-token-0123456789abcdef';
let broker: Run;
let url = '';
let port = 0;

const ctl = (args: string[], token = TOKEN) =>
  runCli(['ctl', '--url', url, ...args], { env: { PETREL_TOKEN: token } });

describe('petrel ctl', () => {
  before(async () => {
    const tokens = join(dir, 'tokens');
    writeFileSync(tokens, `${TOKEN}\n`);
    broker = startCli(
      [
        'broker',
        '-p',
        '0',
        '--durability',
        'none',
        '--http-port',
        '0',
        '--http-token-file',
        tokens,
      ],
      { cwd: dir },
    );
    port = Number((await broker.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/))[1]);
    url = (await broker.waitFor(/admin API on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
  });
  after(async () => {
    await broker.stop('SIGTERM');
    killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  test('clients lists a connected client; kick disconnects it with the reason code', async () => {
    const { client } = await RawClient.connect(port, 5, {
      clientId: 'ctl-victim',
      username: 'eve',
    });
    try {
      const list = await ctl(['clients']);
      assert.equal(list.code, 0, list.stderr);
      const lines = list.stdout.trim().split('\n');
      assert.match(lines[0] as string, /^CLIENT\s+PROTOCOL\s+ADDRESS\s+USER/);
      assert.match(lines[1] as string, /^ctl-victim\s+5\.0\s+127\.0\.0\.1\s+eve\s+0\s+0\s+\d{4}-/);
      const json = await ctl(['--json', 'clients', '--user', 'eve']);
      assert.equal(JSON.parse(json.stdout)[0].clientId, 'ctl-victim');
      const kick = await ctl(['kick', 'ctl-victim', '--reason-code', '142', '--reason', 'bye']);
      assert.equal(kick.code, 0, kick.stderr);
      assert.equal(kick.stdout, 'disconnected ctl-victim\n');
      const p = await client.next();
      assert.equal(p.type, 14);
      assert.equal((p as { reasonCode: number }).reasonCode, 142);
      const again = await ctl(['kick', 'ctl-victim']);
      assert.equal(again.code, 1);
      assert.match(
        again.stderr,
        /^petrel ctl: DELETE \/api\/v1\/clients\/ctl-victim: 404 connected client "ctl-victim" not found/,
      );
    } finally {
      client.destroy();
    }
  });

  test('pub -r, retained FILTER, retained-get and retained-delete', async () => {
    assert.equal((await ctl(['pub', 'ctl/a', 'twenty-one', '-r', '-q', '1'])).code, 0);
    assert.equal((await ctl(['pub', 'ctl/b', 'x', '-r'])).code, 0);
    const list = await ctl(['retained', 'ctl/#']);
    assert.deepEqual(
      list.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)),
      [
        ['ctl/a', '1', '10'],
        ['ctl/b', '0', '1'],
      ],
    );
    const get = await ctl(['retained-get', 'ctl/a']);
    assert.equal(get.stdout, 'twenty-one');
    assert.equal((await ctl(['retained-delete', 'ctl/a'])).code, 0);
    assert.equal((await ctl(['retained', 'ctl/#'])).stdout.trim().split('\n').length, 2);
    const bad = await ctl(['retained', 'a/#/b']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /400 querystring\.filter:/);
  });

  test('subscribe makes a session receive; subscriptions and sessions list it; unsubscribe', async () => {
    const { client } = await RawClient.connect(port, 4, { clientId: 'ctl-sub', clean: false });
    try {
      await subscribeRaw(client, [subOf('own/t', 0)]);
      const sub = await ctl(['subscribe', 'ctl-sub', 'given/#', '-q', '1']);
      assert.equal(sub.stdout, 'subscribed ctl-sub to given/# (QoS 1)\n');
      const subs = await ctl(['subscriptions', '--client', 'ctl-sub']);
      assert.deepEqual(
        subs.stdout
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.split(/\s+/)),
        [
          ['ctl-sub', '1', 'given/#'],
          ['ctl-sub', '0', 'own/t'],
        ],
      );
      await ctl(['pub', 'given/x', 'hi', '-q', '1']);
      assert.equal((await nextPublishOf(client)).topic, 'given/x');
      assert.match((await ctl(['sessions', '--online'])).stdout, /^ctl-sub\s+online/m);
      assert.equal((await ctl(['unsubscribe', 'ctl-sub', 'given/#'])).code, 0);
      assert.equal((await ctl(['--json', 'subscriptions', 'given/#'])).stdout, '[]\n');
      assert.equal((await ctl(['delete-session', 'ctl-sub'])).code, 0);
      await client.waitClose();
    } finally {
      client.destroy();
    }
  });

  test('refusals: a wrong token, a bad command line, nobody listening', async () => {
    const denied = await ctl(['clients'], 'wrong-token-0123456789');
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /401 a valid bearer token is required/);
    const unknown = await ctl(['frob']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frob'/);
    const extra = await ctl(['kick']);
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /kick takes ID/);
    const closed = await runCli(['ctl', '--url', 'http://127.0.0.1:1', 'info']);
    assert.equal(closed.code, 1);
    assert.match(closed.stderr, /connection refused/);
    const info = await ctl(['info']);
    assert.match(info.stdout, /^petrel \d+\.\d+\.\d+, up \d+ s\n {2}tcp 127\.0\.0\.1:\d+\n$/);
  });
});
