// `petrel broker --workers N --http-port`: each worker is a broker of its own, so each keeps an
// admin listener of its own (not one port shared round robin among the workers).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RawClient } from '../../helpers/broker.js';
import { killAll, startCli } from '../../helpers/cli.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats, startNats } from '../../helpers/nats.js';
import { call } from './helpers.js';

describe('petrel broker --workers with --http-port', { skip: !hasNats(), timeout: 40_000 }, () => {
  let nats: NatsHandle;
  before(async () => {
    nats = await startNats();
  });
  after(async () => {
    killAll();
    await nats?.close();
  });

  test('every worker answers on its own port, about its own broker', async () => {
    const p = startCli([
      'broker',
      '--workers',
      '2',
      '--cluster',
      nats.url,
      '--node-id',
      'hw',
      '-p',
      '0',
      '--durability',
      'none',
      '--http-port',
      '0',
    ]);
    try {
      const urls = new Set<string>();
      const re = /admin API on (http:\/\/127\.0\.0\.1:\d+)/g;
      await p.waitFor(/admin API on[\s\S]*admin API on/, 20_000);
      for (const m of `${p.stdout()}${p.stderr()}`.matchAll(re)) urls.add(m[1] as string);
      assert.equal(urls.size, 2, [...urls].join(' '));
      const mqttPort = Number((await p.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/))[1]);
      const { client } = await RawClient.connect(mqttPort, 5, { clientId: 'on-one-worker' });
      try {
        // Exactly one worker holds the client, and it is always the same one that says so.
        const seen: number[] = [];
        for (const url of urls) {
          assert.equal((await call(url, '/readyz')).status, 200);
          const first = (await call(url, '/api/v1/clients')).json.total as number;
          const second = (await call(url, '/api/v1/clients')).json.total as number;
          assert.equal(first, second, `${url} answers for one process`);
          seen.push(first);
        }
        assert.deepEqual(seen.sort(), [0, 1]);
      } finally {
        client.destroy();
      }
    } finally {
      await p.stop('SIGTERM');
    }
  });
});
