// Petrel nodes as child processes (`petrel broker --cluster … --node-id …`), for the tests that
// must kill a node for real.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Run } from '../../helpers/cli.js';
import { killAll, startCli } from '../../helpers/cli.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { startNats } from '../../helpers/nats.js';

/**
 * The set-up of a suite of node processes (call it in the `describe` body): a nats-server and a
 * scratch directory (named from `prefix`) handed to `set` before the tests; after them the
 * suite's `clients` are destroyed, every child process killed, NATS stopped and the directory
 * removed.
 */
export function processSuite(
  prefix: string,
  clients: { destroy(): void }[],
  set: (nats: NatsHandle, dir: string) => void,
): void {
  let nats: NatsHandle | undefined;
  let dir: string | undefined;
  before(async () => {
    nats = await startNats();
    dir = mkdtempSync(join(tmpdir(), prefix));
    set(nats, dir);
  });
  after(async () => {
    for (const c of clients) c.destroy();
    killAll();
    await nats?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
}

export interface NodeProcess {
  run: Run;
  port: number;
}

/** Starts a node on a free port with a memory store; resolves once it has joined the cluster. */
export async function startNodeProcess(
  natsUrl: string,
  id: string,
  extra: string[] = [],
): Promise<NodeProcess> {
  const run = startCli([
    'broker',
    '-p',
    '0',
    '--durability',
    'none',
    '--cluster',
    natsUrl,
    '--node-id',
    id,
    ...extra,
  ]);
  const m = await run.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/);
  await run.waitFor('cluster: joined');
  return { run, port: Number(m[1]) };
}
