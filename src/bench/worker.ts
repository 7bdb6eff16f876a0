// Entry of a generator worker thread: one Engine over the shared counters, driven by messages.
import { parentPort, workerData } from 'node:worker_threads';
import { Engine } from './engine.js';
import type { BenchPlan } from './options.js';
import { SharedCounters } from './shared.js';
import type { EngineCall } from './threads.js';
import { callEngine } from './threads.js';

const data = workerData as { plan: BenchPlan; buffer: SharedArrayBuffer; thread: number };
const threads = Math.max(1, data.plan.workers);
const engine = new Engine(
  data.plan,
  new SharedCounters(data.plan.publishers, threads, data.buffer),
  data.thread,
);
const port = parentPort;
if (port === null) throw new Error('bench worker started outside a worker thread');
port.on('message', (m: { id: number; call: EngineCall }) => {
  callEngine(engine, m.call).then(
    (result) => port.postMessage({ id: m.id, result }),
    (err: unknown) =>
      port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
