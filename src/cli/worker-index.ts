// Which `--workers` worker this process is (a leaf, so `petrel broker` can ask without loading
// the primary's code).
import cluster from 'node:cluster';

/** Environment variable that tells a worker its index. */
export const WORKER_ENV = 'PETREL_WORKER';

/** The index of this worker process, or undefined in a process not forked by `--workers`. */
export function workerIndex(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const v = Number(process.env[WORKER_ENV]);
  return Number.isInteger(v) && v >= 0 ? v : undefined;
}
