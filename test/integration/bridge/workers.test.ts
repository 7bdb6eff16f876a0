// `petrel broker --workers N` with a bridge: only the first worker runs it (one connection to the
// remote, no session take-overs), and messages published on any worker reach the remote.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBroker } from '../../../src/broker.js';
import { connect } from '../../../src/index.js';
import { killAll, startCli } from '../../helpers/cli.js';
import { hasNats, type NatsHandle, startNats } from '../../helpers/nats.js';
import { collect, until } from './helpers.js';

describe('bridges with --workers', { skip: !hasNats(), timeout: 40_000 }, () => {
  let nats: NatsHandle;
  const dir = mkdtempSync(join(tmpdir(), 'petrel-bridge-workers-'));
  before(async () => {
    nats = await startNats();
  });
  after(async () => {
    killAll();
    await nats?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one worker runs the bridge; every worker’s messages cross it', async () => {
    const remote = createBroker({ port: 0 });
    const connects: string[] = [];
    remote.on('clientConnected', (e) => connects.push(e.clientId));
    await remote.listen();
    const cfg = join(dir, 'w.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        cluster: { servers: [nats.url], nodeId: 'bw', heartbeatMs: 200, nodeTimeoutMs: 1000 },
        bridges: [
          {
            name: 'up',
            addresses: [`127.0.0.1:${remote.port}`],
            remoteClientId: 'bw-bridge',
            protocolVersion: 5,
            topics: [{ pattern: 'w/#', direction: 'out', qos: 1 }],
          },
        ],
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
    const far = await collect(`mqtt://127.0.0.1:${remote.port}`, 'w/#', 1);
    try {
      const port = Number(
        (await run.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/, 15_000))[1],
      );
      const joined = () => run.stderr().split('cluster: joined').length - 1;
      await until(
        () => joined() >= 2 && connects.includes('bw-bridge'),
        15_000,
        'workers and bridge',
      );
      // The primary hands connections round robin: these land on both workers.
      for (let i = 0; i < 6; i++) {
        const c = await connect(`mqtt://127.0.0.1:${port}`, {
          clientId: `p${i}`,
          reconnect: false,
        });
        await c.publish(`w/${i}`, `m${i}`, { qos: 1 });
        await c.disconnect();
      }
      await far.waitFor(6);
      assert.deepEqual(far.messages.map((m) => m.payload).sort(), [
        'm0',
        'm1',
        'm2',
        'm3',
        'm4',
        'm5',
      ]);
      assert.deepEqual(
        connects.filter((c) => c === 'bw-bridge'),
        ['bw-bridge'],
      );
    } finally {
      await far.close();
      await run.stop('SIGTERM');
      await remote.close();
    }
  });
});
