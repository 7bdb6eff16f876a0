// A bridge's state in the admin API (GET /api/v1/bridges) and the Prometheus metrics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Broker } from '../../../src/broker/broker.js';
import { createBroker } from '../../../src/broker.js';
import { type AdminFixture, call, startWithAdmin } from '../admin/helpers.js';
import { collect } from './helpers.js';

describe('bridges in the admin API and metrics', () => {
  let remote: Broker;
  let f: AdminFixture;

  before(async () => {
    remote = createBroker({ port: 0 });
    await remote.listen();
    f = await startWithAdmin(
      {},
      {
        bridges: [
          {
            name: 'up',
            addresses: [`127.0.0.1:${remote.port}`],
            protocolVersion: 5,
            topics: [{ pattern: 'm/#', direction: 'out', qos: 1 }],
          },
        ],
      },
    );
  });

  after(async () => {
    await f?.admin.close();
    await f?.close();
    await remote?.close();
  });

  it('GET /api/v1/bridges and /metrics show it connected, with what it forwarded', async () => {
    const base = f.admin.url;
    let items: Array<Record<string, unknown>> = [];
    const read = async () => {
      items = (await call(base, '/api/v1/bridges')).json.items;
      return items[0]?.connected === true;
    };
    for (let i = 0; i < 250 && !(await read()); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(items[0]?.connected, true);
    const far = await collect(`mqtt://127.0.0.1:${remote.port}`, 'm/#', 1);
    const pub = await collect(f.url, 'nothing', 0);
    try {
      await pub.client.publish('m/1', 'x', { qos: 1 });
      await far.waitFor(1);
      const answer = await call(base, '/api/v1/bridges');
      assert.deepEqual(answer.json, {
        total: 1,
        items: [{ name: 'up', connected: true, queued: 0, forwardedIn: 0, forwardedOut: 1 }],
      });
      const metrics = (await call(base, '/metrics')).text;
      assert.match(metrics, /^petrel_bridge_connected\{bridge="up"\} 1$/m);
      assert.match(metrics, /^petrel_bridge_queued_messages\{bridge="up"\} 0$/m);
      assert.match(metrics, /^petrel_bridge_forwarded_total\{bridge="up",direction="out"\} 1$/m);
      assert.match(metrics, /^petrel_bridge_forwarded_total\{bridge="up",direction="in"\} 0$/m);
    } finally {
      await far.close();
      await pub.close();
    }
  });
});
