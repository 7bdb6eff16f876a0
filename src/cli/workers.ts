// `petrel broker --workers N`: the primary process forks N workers with Node's `cluster` module.
// The workers share the listening ports (the primary accepts and hands connections round
// robin); each is a full node of the NATS cluster with its own id and store. Loaded only when
// `--workers` is given.

import type { Worker } from 'node:cluster';
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { Backoff } from '../shared/backoff.js';
import { WORKER_ENV } from './worker-index.js';

/** A worker that exits this soon after its start is taken to be misconfigured: no restart. */
const EARLY_EXIT_MS = 5000;

/**
 * Runs the primary: forks `n` workers, restarts one that dies (with backoff) unless it died at
 * start, forwards SIGHUP, and on SIGINT/SIGTERM stops every worker and resolves with the exit
 * code (1 when a worker failed at start).
 */
export function runPrimary(n: number, log: Logger): Promise<number> {
  const workers = new Map<number, Worker>();
  const backoff = new Backoff({ initialDelay: 500, maxDelay: 10_000 });
  let stopping = false;
  let code = 0;
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal, workers: workers.size }, 'stopping the workers');
      for (const w of workers.values()) w.process.kill('SIGTERM');
      if (workers.size === 0) finish();
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    const onHup = () => {
      for (const w of workers.values()) w.process.kill('SIGHUP');
    };
    const finish = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      resolve(code);
    };
    const fork = (i: number) => {
      const started = Date.now();
      const w = cluster.fork({ [WORKER_ENV]: String(i) });
      workers.set(i, w);
      w.on('exit', (exitCode, signal) => {
        workers.delete(i);
        if (stopping) {
          if (workers.size === 0) finish();
          return;
        }
        if (Date.now() - started < EARLY_EXIT_MS && exitCode !== 0 && signal === null) {
          log.error({ worker: i, exitCode }, 'a worker failed at start: stopping');
          code = 1;
          stop('worker failure');
          return;
        }
        const delay = backoff.next();
        log.warn({ worker: i, exitCode, signal, delay }, 'worker died, restarting it');
        setTimeout(() => {
          if (!stopping) fork(i);
        }, delay).unref();
      });
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    for (let i = 0; i < n; i++) fork(i);
    log.info({ workers: n }, 'workers started');
  });
}
