// A slice of the conformance cases replayed over MQTT-over-WebSocket (path /mqtt, subprotocol
// mqtt), one binary frame per `send` step: split packets, several packets per frame, bad input,
// QoS flows, wills and sessions must behave exactly as over TCP.
import { after, before, describe, test } from 'node:test';
import type { Broker } from '../../../src/broker.js';
import { createBroker } from '../../../src/broker.js';
import { allCases } from './cases/index.js';
import type { Target } from './runner.js';
import { caseTitle, runCase } from './runner.js';
import type { Version } from './types.js';

const PREFIXES = [
  'ping.',
  'frame.',
  'flags.',
  'disconnect.',
  'publish.qos',
  'publish.retained-delivered-on-subscribe',
  'connect.second-connect',
  'connect.takeover',
  'connect.reserved-flag',
  'will.',
  'session.',
];

const ALL: Version[] = [3, 4, 5];
const cases = allCases.filter((c) => PREFIXES.some((p) => c.id.startsWith(p)));

describe('MQTT conformance cases over WebSocket', { concurrency: 4 }, () => {
  let broker: Broker | undefined;
  let target: Target | undefined;
  before(async () => {
    broker = createBroker({ port: 0, host: '127.0.0.1', wsPort: 0 });
    await broker.listen();
    const ws = broker.addresses().find((a) => a.type === 'ws');
    if (ws === undefined) throw new Error('no WebSocket listener');
    target = {
      name: 'petrel-ws',
      host: '127.0.0.1',
      port: ws.port,
      requireV5Reason: true,
      closeMs: 1000,
      webSocketPath: ws.path ?? '/mqtt',
    };
  });
  after(async () => {
    await broker?.close();
  });
  for (const c of cases) {
    for (const v of c.versions ?? ALL) {
      test(`ws: ${caseTitle(c, v)}`, { timeout: 9000 }, async () => {
        if (target === undefined) throw new Error('broker not started');
        await runCase(c, v, target);
      });
    }
  }
});
