// Guarantee 2 in `sync` mode: the publisher's PUBACK comes only once the node with the
// subscriber's persistent session has its copy on disk. The receiving node is killed with
// SIGKILL right after the PUBACK and restarted on the same LMDB directory: the message is there.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { nextPublishOf, publishOf, RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import { killAll, startCli } from '../../helpers/cli.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats, startNats } from '../../helpers/nats.js';
import { startNodeProcess } from './process.js';

describe('cluster delivery in sync mode', { skip: !hasNats(), timeout: 50_000 }, () => {
  let nats: NatsHandle;
  let dir: string;
  const clients: RawClient[] = [];
  before(async () => {
    nats = await startNats();
    dir = mkdtempSync(join(tmpdir(), 'petrel-cluster-sync-'));
  });
  after(async () => {
    for (const c of clients) c.destroy();
    killAll();
    await nats?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('guarantee 2: a PUBACK means the other node stored the message (it survives kill -9 of that node)', async () => {
    const cfg = join(dir, 'c.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        sysInterval: 1,
        cluster: { servers: [nats.url], nodeId: 'x', heartbeatMs: 200, nodeTimeoutMs: 1000 },
      }),
    );
    const n1 = await startNodeProcess(nats.url, 'd1', ['-c', cfg, '--node-id', 'd1']);
    const data = join(dir, 'd2-data');
    const args = [
      'broker',
      '-p',
      '0',
      '-d',
      data,
      '--durability',
      'sync',
      '-c',
      cfg,
      '--node-id',
      'd2',
    ];
    let n2 = startCli(args);
    let port = Number((await n2.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/))[1]);
    await n2.waitFor('cluster: joined');

    const session = {
      clientId: 'durable',
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    };
    const { client: s1 } = await RawClient.connect(port, 5, session);
    clients.push(s1);
    await subscribeRaw(s1, [subOf('dur/t', 1)]);
    s1.send({ type: 14, reasonCode: 0, properties: undefined });
    await s1.waitClose();

    // d1 learns d2's interest: its $SYS view counts d2's filters.
    const { client: watch } = await RawClient.connect(n1.port, 5);
    clients.push(watch);
    await subscribeRaw(watch, [subOf('$SYS/broker/cluster/nodes/d2/filters', 0)]);
    for (let i = 0; i < 50; i++) {
      const m = await nextPublishOf(watch, 3000);
      if (m.payload.toString() === '1') break;
    }

    const { client: pub } = await RawClient.connect(n1.port, 5);
    clients.push(pub);
    pub.send(publishOf('dur/t', 'on disk', 1, 1));
    const ack = await pub.next();
    assert.equal(ack.type, 4);
    assert.equal(ack.type === 4 && ack.reasonCode, 0);
    n2.child.kill('SIGKILL');
    await n2.exit;

    n2 = startCli(args);
    port = Number((await n2.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/, 20_000))[1]);
    await n2.waitFor('cluster: joined');
    const { client: s2, connack } = await RawClient.connect(port, 5, session);
    clients.push(s2);
    assert.equal(connack.sessionPresent, true);
    const m = await nextPublishOf(s2, 5000);
    assert.equal(m.payload.toString(), 'on disk');
    assert.equal(await n2.stop('SIGTERM'), 0);
    assert.equal(await n1.run.stop('SIGTERM'), 0);
  });
});
