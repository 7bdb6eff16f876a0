// `petrel reload` (SIGHUP) adds, changes and removes bridges of a running `petrel broker`
// without restarting it or touching the bridges that did not change.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BridgeOptions } from '../../../src/bridge/options.js';
import { createBroker } from '../../../src/broker.js';
import { killAll, runCli, startCli } from '../../helpers/cli.js';
import { freePort } from '../../helpers/mosquitto.js';
import { bridgeState, collect, until } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'petrel-bridge-reload-'));

function bridge(name: string, port: number, pattern: string): BridgeOptions {
  return {
    name,
    addresses: [`127.0.0.1:${port}`],
    remoteClientId: name,
    restartTimeout: 0.2,
    topics: [{ pattern, direction: 'out', qos: 1 }],
  };
}

describe('bridges on reload', () => {
  after(() => {
    killAll();
    rmSync(root, { recursive: true, force: true });
  });

  it('adds, changes and removes bridges; the others keep their connection', async () => {
    // The remote: a Petrel in this process, so that its connections can be counted.
    const remote = createBroker({ port: 0 });
    const connects: string[] = [];
    const disconnects: string[] = [];
    remote.on('clientConnected', (e) => connects.push(e.clientId));
    remote.on('clientDisconnected', (e) => disconnects.push(e.clientId));
    await remote.listen();
    const port = await freePort();
    const config = join(root, 'petrel.json');
    const pidFile = join(root, 'petrel.pid');
    const write = (bridges: unknown[]) =>
      writeFileSync(config, JSON.stringify({ port, sysInterval: 1, durability: 'none', bridges }));
    write([bridge('one', remote.port, 'a/#')]);
    const run = startCli(['broker', '-c', config, '--pid-file', pidFile], { cwd: root });
    const local = `mqtt://127.0.0.1:${port}`;
    const far = await collect(`mqtt://127.0.0.1:${remote.port}`, '#', 1);
    const reloads = () => (run.stdout() + run.stderr()).split('configuration reload').length - 1;
    const reload = async () => {
      const before = reloads();
      assert.equal((await runCli(['reload', '--pid-file', pidFile])).code, 0);
      await until(() => reloads() > before, 5000, 'the reload to be logged');
    };
    try {
      await run.waitFor(/listening on mqtt:\/\//, 8000);
      await bridgeState(local, 'one', '1');
      const pub = await collect(local, 'nothing', 0);

      // Added: 'two' starts, 'one' is not reconnected.
      write([bridge('one', remote.port, 'a/#'), bridge('two', remote.port, 'b/#')]);
      await reload();
      await bridgeState(local, 'two', '1');
      await pub.client.publish('a/1', 'one-a', { qos: 1 });
      await pub.client.publish('b/1', 'two-b', { qos: 1 });
      await far.waitFor(2);
      assert.deepEqual(connects.filter((c) => c === 'one').length, 1);

      // Changed: 'two' carries c/# instead of b/#; 'one' still untouched.
      write([bridge('one', remote.port, 'a/#'), bridge('two', remote.port, 'c/#')]);
      await reload();
      await until(() => connects.filter((c) => c === 'two').length === 2, 5000, 'two to reconnect');
      await bridgeState(local, 'two', '1');
      await pub.client.publish('b/2', 'not-bridged', { qos: 1 });
      await pub.client.publish('c/1', 'two-c', { qos: 1 });
      await far.waitFor(3);

      // A bad bridge: the reload is refused as a whole, everything keeps running.
      write([
        bridge('one', remote.port, 'a/#'),
        { ...bridge('two', remote.port, 'c/#'), addresses: [] },
      ]);
      await reload();
      await run.waitFor(/bridges\[1\]\.addresses: must be a non-empty array/, 5000);

      // Removed: 'two' disconnects, 'one' stays.
      write([bridge('one', remote.port, 'a/#')]);
      await reload();
      await until(() => disconnects.includes('two'), 5000, 'two to disconnect');
      await pub.client.publish('c/2', 'gone', { qos: 1 });
      await pub.client.publish('a/2', 'one-a-2', { qos: 1 });
      await far.waitFor(4);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(far.messages.map((m) => m.payload).sort(), [
        'one-a',
        'one-a-2',
        'two-b',
        'two-c',
      ]);
      assert.deepEqual(connects.filter((c) => c === 'one').length, 1);
      assert.equal(disconnects.includes('one'), false);
      await pub.close();
    } finally {
      await far.close();
      await run.stop('SIGTERM');
      await remote.close();
    }
  });
});
