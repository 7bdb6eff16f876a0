// The bridge guarantee (docs/bridges.md): a QoS 1/2 message acknowledged by `petrel broker`
// (LMDB store, `sync`) reaches the remote broker — QoS 1 at least once, QoS 2 exactly once —
// through a restart of the remote (Mosquitto) during traffic and SIGKILLs of Petrel itself.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connect, type MqttClient } from '../../../src/index.js';
import { killAll, type Run, startCli } from '../../helpers/cli.js';
import {
  freePort,
  hasMosquitto,
  type MosquittoHandle,
  startMosquitto,
} from '../../helpers/mosquitto.js';
import { bridgeState, type Collector, collect, until } from './helpers.js';

const skip = hasMosquitto() ? false : 'mosquitto is not installed';
const root = mkdtempSync(join(tmpdir(), 'petrel-bridge-durable-'));

function startPetrel(config: string, dataDir: string): { run: Run; ready: Promise<unknown> } {
  const run = startCli(['broker', '-c', config, '--data-dir', dataDir], { cwd: root });
  return { run, ready: run.waitFor(/listening on mqtt:\/\//, 8000) };
}

/** Publishes `topic/<i>` for each i, `window` at a time; records each payload once acknowledged. */
async function publishAll(
  client: MqttClient,
  topic: string,
  from: number,
  to: number,
  qos: 1 | 2,
  acked: Set<string>,
  window = 10,
  onAck?: () => void,
): Promise<void> {
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const payload = `${topic}-${next++}`;
      // A PUBCOMP 0x92 (a PUBREL resent after a restart the broker had completed) resolves too.
      await client.publish(`${topic}/${payload}`, payload, { qos });
      acked.add(payload);
      onAck?.();
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
}

/** Every acknowledged payload arrived on the far side; returns how often each arrived. */
async function allArrived(
  far: Collector,
  acked: Set<string>,
  ms: number,
): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  await until(
    () => {
      seen.clear();
      for (const m of far.messages) seen.set(m.payload, (seen.get(m.payload) ?? 0) + 1);
      return [...acked].every((p) => seen.has(p));
    },
    ms,
    `${acked.size} acknowledged messages on the far side`,
  );
  return seen;
}

describe('bridge durability: nothing acknowledged is lost', { skip }, () => {
  const procs: Run[] = [];
  let mosquitto: MosquittoHandle | undefined;
  after(async () => {
    killAll();
    await mosquitto?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('Mosquitto restarted during QoS 1 traffic, then Petrel SIGKILLed with a queue and during QoS 2 traffic', async () => {
    mosquitto = await startMosquitto({ persistence: true });
    const m = mosquitto;
    const port = await freePort();
    const config = join(root, 'petrel.json');
    writeFileSync(
      config,
      JSON.stringify({
        port,
        sysInterval: 1,
        bridges: [
          {
            name: 'hq',
            addresses: [`127.0.0.1:${m.port}`],
            restartTimeout: 0.2,
            topics: [
              { pattern: 'q1/#', qos: 1, remotePrefix: 'hq/' },
              { pattern: 'q2/#', qos: 2, remotePrefix: 'hq/' },
            ],
          },
        ],
      }),
    );
    const dataDir = join(root, 'data');
    let petrel = startPetrel(config, dataDir);
    procs.push(petrel.run);
    await petrel.ready;
    const local = `mqtt://127.0.0.1:${port}`;
    await bridgeState(local, 'hq', '1');
    // The far subscriber keeps its session on Mosquitto (persistence on) through its restart.
    const far = await collect(m.url, 'hq/#', 2, {
      clientId: 'far',
      clean: false,
      protocolVersion: 4,
    });
    const pub = await connect(local, {
      clientId: 'publisher',
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      reconnect: { initialDelay: 100, maxDelay: 300 },
    });
    const acked1 = new Set<string>();
    const acked2 = new Set<string>();
    try {
      // 1. QoS 1 traffic; Mosquitto is stopped and started again in the middle of it.
      let restarting: Promise<void> | undefined;
      await publishAll(pub, 'q1', 0, 300, 1, acked1, 10, () => {
        if (acked1.size === 100) restarting = m.restart();
      });
      await restarting;
      await allArrived(far, acked1, 20_000);

      // 2. Mosquitto down: acknowledged messages wait in Petrel's store; Petrel is SIGKILLed
      //    right after the last acknowledgement, Mosquitto comes back, Petrel restarts.
      await m.stop();
      await publishAll(pub, 'q1', 300, 400, 1, acked1);
      await publishAll(pub, 'q2', 0, 100, 2, acked2);
      await petrel.run.stop('SIGKILL');
      await m.restart();
      petrel = startPetrel(config, dataDir);
      procs.push(petrel.run);
      await petrel.ready;
      await allArrived(far, acked1, 20_000);
      await allArrived(far, acked2, 20_000);

      // 3. Petrel SIGKILLed while QoS 2 messages are crossing the bridge, then restarted.
      const crossing = publishAll(pub, 'q2', 100, 400, 2, acked2, 20).then(
        () => undefined,
        (err: unknown) => err,
      );
      const late = () => far.messages.filter((x) => /^q2-\d{3}$/.test(x.payload)).length;
      await until(() => late() >= 30, 20_000, 'QoS 2 traffic crossing the bridge');
      await petrel.run.stop('SIGKILL');
      petrel = startPetrel(config, dataDir);
      procs.push(petrel.run);
      await petrel.ready;
      const failed = await crossing;
      if (failed !== undefined) throw failed;
      const seen1 = await allArrived(far, acked1, 20_000);
      const seen2 = await allArrived(far, acked2, 20_000);
      assert.equal(acked1.size, 400);
      assert.equal(acked2.size, 400);
      for (const p of acked1) assert.ok((seen1.get(p) ?? 0) >= 1, `${p} lost`);
      // QoS 2: exactly once, through both kills.
      const twice = [...acked2].filter((p) => (seen2.get(p) ?? 0) !== 1);
      assert.deepEqual(twice, [], 'QoS 2 messages not delivered exactly once');
    } catch (err) {
      // The brokers' logs say what went wrong (bridge state, store replay).
      for (const p of procs) process.stderr.write(p.stderr().slice(-4000));
      throw err;
    } finally {
      pub.destroy();
      await far.close();
      for (const p of procs) await p.stop('SIGKILL');
    }
  });

  it('QoS 2 from Mosquitto into Petrel: every message Mosquitto acknowledged arrives exactly once at a QoS 2 subscriber, Petrel SIGKILLed while messages cross', async () => {
    const m = await startMosquitto({ persistence: true });
    const port = await freePort();
    const config = join(root, 'petrel-in.json');
    writeFileSync(
      config,
      JSON.stringify({
        port,
        sysInterval: 1,
        bridges: [
          {
            name: 'hq',
            addresses: [`127.0.0.1:${m.port}`],
            restartTimeout: 0.2,
            topics: [{ pattern: 'in/#', direction: 'in', qos: 2, remotePrefix: 'hq/' }],
          },
        ],
      }),
    );
    const dataDir = join(root, 'data-in');
    let petrel = startPetrel(config, dataDir);
    procs.push(petrel.run);
    const local = `mqtt://127.0.0.1:${port}`;
    let near: Collector | undefined;
    const pub = await connect(m.url, {
      clientId: 'far-publisher',
      protocolVersion: 4,
      clean: false,
      reconnect: { initialDelay: 100, maxDelay: 300 },
    });
    try {
      await petrel.ready;
      await bridgeState(local, 'hq', '1');
      // A persistent QoS 2 subscriber on Petrel: what Petrel stored for it survives the kill.
      near = await collect(local, 'in/#', 2, { clientId: 'near', clean: false });
      const acked = new Set<string>();
      const crossing = publishAll(pub, 'hq/in', 0, 300, 2, acked, 10).then(
        () => undefined,
        (err: unknown) => err,
      );
      const n = near;
      await until(() => n.messages.length >= 60, 20_000, 'QoS 2 traffic crossing the bridge');
      await petrel.run.stop('SIGKILL');
      petrel = startPetrel(config, dataDir);
      procs.push(petrel.run);
      await petrel.ready;
      const failed = await crossing;
      if (failed !== undefined) throw failed;
      const seen = await allArrived(n, acked, 20_000);
      assert.equal(acked.size, 300);
      // Exactly once end to end: Mosquitto -> bridge -> Petrel's store -> the QoS 2 subscriber.
      const notOnce = [...acked].filter((p) => (seen.get(p) ?? 0) !== 1);
      assert.deepEqual(notOnce, [], 'QoS 2 messages not delivered exactly once');
    } catch (err) {
      for (const p of procs) process.stderr.write(p.stderr().slice(-4000));
      throw err;
    } finally {
      pub.destroy();
      await near?.close();
      for (const p of procs) await p.stop('SIGKILL');
      await m.close();
    }
  });
});
