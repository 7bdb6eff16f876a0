// The conformance cases with more than one connection, run on a two-node cluster: connection 0
// on one node, connection 1 on the other (and 2 on the first again), so each publisher and
// subscriber pair crosses nodes (docs/cluster.md, "Conformance across nodes").
import { after, before, describe, test } from 'node:test';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats, startNats } from '../../helpers/nats.js';
import { allCases } from '../conformance/cases/index.js';
import type { Target } from '../conformance/runner.js';
import { caseTitle, runCase } from '../conformance/runner.js';
import type { ConformanceCase, Version } from '../conformance/types.js';
import type { TestNode } from './util.js';
import { peersKnown, startNode } from './util.js';

const ALL: Version[] = [3, 4, 5];
const onlyCase = process.env.CONFORMANCE_CASE;

/** A case whose steps use a second connection. */
function multiConnection(c: ConformanceCase): boolean {
  return c.steps.some((s) => (s.c ?? 0) > 0);
}

describe('MQTT conformance cases across two cluster nodes', {
  skip: !hasNats(),
  concurrency: 4,
}, () => {
  let nats: NatsHandle | undefined;
  let nodes: TestNode[] = [];
  let target: Target | undefined;
  before(async () => {
    nats = await startNats();
    const a = await startNode(nats.url, 'c1');
    const b = await startNode(nats.url, 'c2');
    nodes = [a, b];
    await peersKnown(nodes);
    target = {
      name: 'petrel-cluster',
      host: '127.0.0.1',
      port: a.tb.port,
      ports: [a.tb.port, b.tb.port],
      requireV5Reason: true,
      closeMs: 1000,
    };
  });
  after(async () => {
    for (const n of nodes) await n.close();
    await nats?.close();
  });
  for (const c of allCases) {
    if (!multiConnection(c)) continue;
    if (onlyCase !== undefined && !c.id.startsWith(onlyCase)) continue;
    for (const v of c.versions ?? ALL) {
      const known = [c.petrel, c.cluster].find(
        (k) => k !== undefined && (k.v === undefined || k.v.includes(v)),
      );
      const opts = known !== undefined ? { todo: `across nodes: ${known.note}` } : {};
      test(caseTitle(c, v), { ...opts, timeout: 9000 }, async () => {
        if (target === undefined) throw new Error('cluster not started');
        await runCase(c, v, target);
      });
    }
  }
});
