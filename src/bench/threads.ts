// The generator's threads seen from the coordinator: the engine on the main thread, or one
// engine per worker thread driven by messages. Both answer the same five calls.
import { Worker } from 'node:worker_threads';
import type { ThreadResult } from './engine.js';
import { Engine } from './engine.js';
import type { BenchPlan } from './options.js';
import { SharedCounters } from './shared.js';

/** A request to a worker engine. */
export type EngineCall =
  | { op: 'setup' }
  | { op: 'start'; startAt: number; measureFrom: number }
  | { op: 'connect'; startAt: number }
  | { op: 'stop' }
  | { op: 'finish' };

/** One thread's engine. */
export interface EngineHandle {
  call(c: EngineCall): Promise<ThreadResult | undefined>;
  close(): Promise<void>;
}

/** Runs a call on a local engine. */
export async function callEngine(e: Engine, c: EngineCall): Promise<ThreadResult | undefined> {
  switch (c.op) {
    case 'setup':
      await e.setup();
      return undefined;
    case 'start':
      e.start(c.startAt, c.measureFrom);
      return undefined;
    case 'connect':
      await e.connectAll(c.startAt);
      return undefined;
    case 'stop':
      e.stop();
      return undefined;
    case 'finish':
      return e.finish();
  }
}

class LocalHandle implements EngineHandle {
  constructor(private readonly engine: Engine) {}
  call(c: EngineCall): Promise<ThreadResult | undefined> {
    return callEngine(this.engine, c);
  }
  async close(): Promise<void> {}
}

interface Reply {
  id: number;
  result?: ThreadResult;
  error?: string;
}

class WorkerHandle implements EngineHandle {
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: ThreadResult | undefined) => void; reject: (e: Error) => void }
  >();

  constructor(plan: BenchPlan, buffer: SharedArrayBuffer, thread: number) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { plan, buffer, thread },
    });
    this.worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.result);
    });
    const fail = (err: Error): void => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`worker ${thread} exited (${code})`)));
  }

  call(c: EngineCall): Promise<ThreadResult | undefined> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, call: c });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Engines for a plan: `workers` threads (or the main thread alone) sharing one set of counters. */
export function startEngines(plan: BenchPlan): { shared: SharedCounters; engines: EngineHandle[] } {
  const threads = Math.max(1, plan.workers);
  const shared = new SharedCounters(plan.publishers, threads);
  const engines: EngineHandle[] = [];
  if (plan.workers <= 1) {
    engines.push(new LocalHandle(new Engine(plan, shared, 0)));
  } else {
    for (let t = 0; t < threads; t++) engines.push(new WorkerHandle(plan, shared.buffer, t));
  }
  return { shared, engines };
}
