// A clustered `petrel broker --http-port`: /readyz follows the NATS link, and /metrics carries the
// cluster's figures.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { killAll, startCli } from '../../helpers/cli.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats, startNats } from '../../helpers/nats.js';
import { call } from './helpers.js';

describe('admin listener of a clustered broker', { skip: !hasNats(), timeout: 40_000 }, () => {
  let nats: NatsHandle | undefined;
  before(async () => {
    nats = await startNats();
  });
  after(async () => {
    killAll();
    await nats?.close();
  });

  test('readyz reports the NATS link; metrics count nodes and forwarding; NATS gone → 503', async () => {
    const p = startCli([
      'broker',
      '--cluster',
      (nats as NatsHandle).url,
      '--node-id',
      'adm1',
      '-p',
      '0',
      '--durability',
      'none',
      '--http-port',
      '0',
    ]);
    try {
      const url = (
        await p.waitFor(/admin API on (http:\/\/127\.0\.0\.1:\d+)/, 15_000)
      )[1] as string;
      const ready = await call(url, '/readyz');
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.json, { status: 'ok', listeners: true, store: true, cluster: true });
      const text = (await call(url, '/metrics')).text;
      assert.match(text, /^petrel_cluster_nats_connected 1$/m);
      assert.match(text, /^petrel_cluster_nodes_alive 1$/m);
      assert.match(text, /^petrel_cluster_messages_forwarded_total 0$/m);
      assert.match(text, /^# TYPE petrel_cluster_forward_lag_seconds gauge$/m);
      await nats?.close();
      nats = undefined;
      let last = ready;
      for (let i = 0; i < 100 && last.status === 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        last = await call(url, '/readyz');
      }
      assert.equal(last.status, 503);
      assert.equal(last.json.cluster, false);
      assert.match((await call(url, '/metrics')).text, /^petrel_cluster_nats_connected 0$/m);
    } finally {
      // Killed: with NATS gone, a graceful stop waits on the cluster link's drain, which is not
      // what this test is about.
      await p.stop('SIGKILL');
    }
  });
});
