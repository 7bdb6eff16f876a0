// `petrel broker --cluster … --node-id …` and the `cluster` config section: bad values are
// named, and two node processes route to each other.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  delay,
  nextPublishOf,
  publishOf,
  RawClient,
  subOf,
  subscribeRaw,
} from '../../helpers/broker.js';
import { killAll, runCli } from '../../helpers/cli.js';
import { freePort } from '../../helpers/mosquitto.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats, startNats } from '../../helpers/nats.js';
import { startNodeProcess } from './process.js';

describe('petrel broker --cluster', { skip: !hasNats(), timeout: 40_000 }, () => {
  let nats: NatsHandle;
  let dir: string;
  before(async () => {
    nats = await startNats();
    dir = mkdtempSync(join(tmpdir(), 'petrel-cluster-cli-'));
  });
  after(async () => {
    killAll();
    await nats?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const refused = async (args: string[], text: string | RegExp) => {
    const r = await runCli(['broker', '-p', '0', '--durability', 'none', ...args], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      typeof text === 'string' ? new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : text,
    );
  };

  test('bad cluster values are refused with the key and the problem named', async () => {
    await refused(['--cluster', nats.url], 'cluster.nodeId: required (--node-id ID)');
    await refused(['--cluster', 'localhost:4222', '--node-id', 'n1'], 'must start with nats://');
    await refused(['--cluster', nats.url, '--node-id', 'a b'], 'cluster.nodeId: "a b" must be');
    await refused(['--cluster', ''], '--cluster: expected nats://host:port');
    const cfg = join(dir, 'bad.json');
    writeFileSync(
      cfg,
      JSON.stringify({ cluster: { servers: [nats.url], nodeId: 'n', heartbeatMs: -5 } }),
    );
    await refused(['-c', cfg], 'cluster.heartbeatMs: must be a whole number');
    writeFileSync(cfg, JSON.stringify({ cluster: { servers: [nats.url], nodeId: 'n', color: 1 } }));
    await refused(['-c', cfg], 'cluster.color: unknown key');
    writeFileSync(
      cfg,
      JSON.stringify({ cluster: { servers: [nats.url], nodeId: 'n', replicas: 9 } }),
    );
    await refused(['-c', cfg], 'cluster.replicas: must be a whole number 1-5, got 9');
    writeFileSync(
      cfg,
      JSON.stringify({ cluster: { servers: [nats.url], nodeId: 'n', parkedMaxMsgs: -1 } }),
    );
    await refused(['-c', cfg], 'cluster.parkedMaxMsgs: must be a whole number 0-100000000, got -1');
    writeFileSync(
      cfg,
      JSON.stringify({
        cluster: { servers: [nats.url], nodeId: 'n', heartbeatMs: 500, nodeTimeoutMs: 400 },
      }),
    );
    await refused(['-c', cfg], 'cluster.nodeTimeoutMs: 400 must exceed heartbeatMs (500)');
  });

  test('a node that cannot reach NATS at start exits with the servers named', async () => {
    const port = await freePort();
    await refused(
      ['--cluster', `nats://127.0.0.1:${port}`, '--node-id', 'lonely'],
      `cannot connect to NATS at nats://127.0.0.1:${port}`,
    );
  });

  test('guarantee 1: two node processes route to each other (config file section and flags)', async () => {
    const cfg = join(dir, 'n2.json');
    writeFileSync(
      cfg,
      JSON.stringify({ cluster: { servers: [nats.url], nodeId: 'n2', heartbeatMs: 300 } }),
    );
    const n1 = await startNodeProcess(nats.url, 'n1');
    const n2 = await startNodeProcess(nats.url, 'ignored', ['-c', cfg, '--node-id', 'n2']);
    const { client: sub } = await RawClient.connect(n2.port, 5);
    const { client: pub } = await RawClient.connect(n1.port, 4);
    try {
      await subscribeRaw(sub, [subOf('cli/t', 1)]);
      // Interest travels asynchronously: publish until n1 knows n2 wants it (bounded).
      let got: string | undefined;
      for (let i = 1; i <= 50 && got === undefined; i++) {
        pub.send(publishOf('cli/t', `try ${i}`, 1, i));
        assert.equal((await pub.next()).type, 4);
        const m = await sub.next(100).catch(() => undefined);
        if (m?.type === 3) got = m.payload.toString();
        else await delay(50);
      }
      assert.match(got ?? 'nothing', /^try \d+$/);
      pub.send(publishOf('cli/t', 'last', 1, 100));
      assert.equal((await pub.next()).type, 4);
      let m = await nextPublishOf(sub);
      while (m.payload.toString() !== 'last') m = await nextPublishOf(sub);
    } finally {
      sub.destroy();
      pub.destroy();
    }
    assert.equal(await n1.run.stop('SIGTERM'), 0);
    assert.equal(await n2.run.stop('SIGTERM'), 0);
  });
});
