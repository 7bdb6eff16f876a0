// `petrel broker` is durable by default: an LMDB store in ./data (or --data-dir), acks after commit.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { nextPublishOf, publishOf, RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import type { Run } from '../../helpers/cli.js';
import { killAll, startCli } from '../../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'petrel-cli-store-'));

interface Proc extends Run {
  /** The MQTT port, once the broker listens. */
  port: () => Promise<number>;
}

function start(args: string[], cwd: string): Proc {
  const r = startCli(['broker', '-p', '0', ...args], { cwd });
  const listening = /listening on mqtt:\/\/127\.0\.0\.1:(\d+)/;
  return { ...r, port: async () => Number((await r.waitFor(listening, 8000))[1]) };
}

function freshDir(name: string): string {
  return mkdtempSync(join(root, `${name}-`));
}

describe('petrel broker with its default durable store', () => {
  after(() => {
    killAll();
    rmSync(root, { recursive: true, force: true });
  });

  test('defaults to ./data (mode 0700) and keeps retained messages and sessions across a SIGKILL', async () => {
    const cwd = freshDir('default');
    const a = start([], cwd);
    try {
      const port = await a.port();
      assert.equal(statSync(join(cwd, 'data')).mode & 0o777, 0o700);
      // A persistent v3.1.1 session subscribes, then goes away.
      const sub = await RawClient.connect(port, 4, { clientId: 'keeper', clean: false });
      assert.deepEqual(await subscribeRaw(sub.client, [subOf('q/#', 1)]), [1]);
      sub.client.send({ type: 14, reasonCode: 0, properties: undefined });
      await sub.client.waitClose();
      // A retained message and a QoS 1 message for the offline session, both PUBACKed.
      const pub = await RawClient.connect(port, 4);
      pub.client.send(publishOf('r/t', 'kept', 1, 1, { retain: true }));
      assert.equal((await pub.client.next()).type, 4);
      pub.client.send(publishOf('q/x', 'queued', 1, 2));
      assert.equal((await pub.client.next()).type, 4);
      pub.client.destroy();
    } finally {
      await a.stop('SIGKILL');
    }
    const b = start([], cwd);
    try {
      const port = await b.port();
      const back = await RawClient.connect(port, 4, { clientId: 'keeper', clean: false });
      assert.equal(back.connack.sessionPresent, true);
      const queued = await nextPublishOf(back.client, 4000);
      assert.equal(queued.topic, 'q/x');
      assert.equal(queued.payload.toString(), 'queued');
      back.client.destroy();
      const late = await RawClient.connect(port, 4);
      assert.deepEqual(await subscribeRaw(late.client, [subOf('r/#', 0)]), [0]);
      const retained = await nextPublishOf(late.client, 4000);
      assert.equal(retained.retain, true);
      assert.equal(retained.payload.toString(), 'kept');
      late.client.destroy();
    } finally {
      assert.equal(await b.stop(), 0);
    }
  });

  test('--data-dir chooses the directory and a second broker on it exits 1 naming the lock', async () => {
    const cwd = freshDir('explicit');
    const dir = join(cwd, 'state');
    const a = start(['--data-dir', dir], cwd);
    try {
      await a.port();
      assert.ok(existsSync(dir));
      assert.equal(existsSync(join(cwd, 'data')), false);
      const b = start(['--data-dir', dir], cwd);
      assert.equal(await b.exit, 1);
      assert.match(b.stderr(), /petrel broker: .*in use by another broker/);
    } finally {
      assert.equal(await a.stop(), 0);
    }
  });

  test('dataDir in a config file is relative to the file; --durability none writes nothing', async () => {
    const cwd = freshDir('config');
    const cfgDir = join(cwd, 'etc');
    const work = join(cwd, 'work');
    mkdirSync(cfgDir);
    mkdirSync(work);
    const cfg = join(cfgDir, 'petrel.json');
    writeFileSync(cfg, JSON.stringify({ dataDir: 'store', storeOnCorrupt: 'refuse' }));
    const a = start(['-c', cfg], work);
    try {
      await a.port();
      assert.ok(existsSync(join(cfgDir, 'store')));
    } finally {
      assert.equal(await a.stop(), 0);
    }
    const m = start(['--durability', 'none'], work);
    try {
      await m.port();
      assert.equal(existsSync(join(work, 'data')), false);
    } finally {
      assert.equal(await m.stop(), 0);
    }
  });

  test('bad store flags and keys exit 1 naming them', async () => {
    const cwd = freshDir('bad');
    const a = start(['--durability', 'sometimes'], cwd);
    assert.equal(await a.exit, 1);
    assert.match(a.stderr(), /--durability: expected sync, batched or none, got sometimes/);
    const cfg = join(cwd, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ storeOnCorrupt: 'ignore' }));
    const b = start(['-c', cfg], cwd);
    assert.equal(await b.exit, 1);
    assert.match(b.stderr(), /storeOnCorrupt: must be one of refuse, salvage, reset/);
  });
});
