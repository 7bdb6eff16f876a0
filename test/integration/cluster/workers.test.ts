// `petrel broker --workers N`: N node processes sharing the listening port, each a node of the
// cluster; messages cross between clients that landed on different workers; a killed worker is
// restarted.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  delay,
  nextPublishOf,
  publishOf,
  RawClient,
  subOf,
  subscribeRaw,
} from '../../helpers/broker.js';
import { runCli, startCli } from '../../helpers/cli.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats } from '../../helpers/nats.js';
import { processSuite } from './process.js';
import { until } from './util.js';

/** The `pid` of the log line saying `msg` with `node` (JSON log lines on stderr). */
function pidOf(log: string, msg: string, node: string): number | undefined {
  for (const line of log.split('\n')) {
    if (!line.includes(msg) || !line.includes(`"node":"${node}"`)) continue;
    return (JSON.parse(line) as { pid: number }).pid;
  }
  return undefined;
}

const count = (text: string, what: string) => text.split(what).length - 1;

describe('petrel broker --workers', { skip: !hasNats(), timeout: 50_000 }, () => {
  let nats: NatsHandle;
  let dir: string;
  const clients: RawClient[] = [];
  processSuite('petrel-workers-', clients, (n, d) => {
    nats = n;
    dir = d;
  });

  test('--workers values are checked', async () => {
    let r = await runCli(['broker', '--workers', '0', '--cluster', nats.url, '--node-id', 'w']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--workers: expected a number of workers 1-64, got 0/);
    r = await runCli(['broker', '--workers', '2', '-p', '0', '--durability', 'none']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--workers: needs --cluster/);
  });

  test('two workers share one port, route between their clients, and a killed worker is restarted', async () => {
    const cfg = join(dir, 'w.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        sysInterval: 1,
        cluster: { servers: [nats.url], nodeId: 'w', heartbeatMs: 200, nodeTimeoutMs: 1000 },
      }),
    );
    const run = startCli([
      'broker',
      '--workers',
      '2',
      '-p',
      '0',
      '--durability',
      'none',
      '-c',
      cfg,
    ]);
    const m = await run.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/);
    const port = Number(m[1]);
    await until(() => count(run.stderr(), 'cluster: joined') >= 2, 'both workers to join', 10_000);

    // The primary hands connections round robin; each client asks its node's id in $SYS.
    const byNode = new Map<string, RawClient>();
    for (let i = 0; i < 20 && byNode.size < 2; i++) {
      const { client } = await RawClient.connect(port, 5);
      clients.push(client);
      await subscribeRaw(client, [subOf('$SYS/broker/cluster/node', 0)]);
      const node = (await nextPublishOf(client, 3000)).payload.toString();
      if (byNode.has(node)) client.destroy();
      else byNode.set(node, client);
    }
    assert.deepEqual([...byNode.keys()].sort(), ['w-0', 'w-1']);
    const sub = byNode.get('w-0') as RawClient;
    const pub = byNode.get('w-1') as RawClient;
    await subscribeRaw(sub, [subOf('wk/t', 1)], 2);
    let got = '';
    for (let i = 1; i <= 50 && got === ''; i++) {
      pub.send(publishOf('wk/t', `w${i}`, 1, i));
      assert.equal((await pub.next()).type, 4);
      const p = await sub.next(100).catch(() => undefined);
      if (p?.type === 3 && p.topic === 'wk/t') got = p.payload.toString();
      else await delay(50);
    }
    assert.match(got, /^w\d+$/, 'a message from a client of w-1 reached a client of w-0');

    const victim = pidOf(run.stderr(), 'cluster: joined', 'w-1');
    assert.ok(victim !== undefined);
    process.kill(victim, 'SIGKILL');
    await run.waitFor('worker died, restarting it');
    await until(() => count(run.stderr(), 'cluster: joined') >= 3, 'w-1 to rejoin', 10_000);
    assert.equal(await run.stop('SIGTERM'), 0);
  });
});
