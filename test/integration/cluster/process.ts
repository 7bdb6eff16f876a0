// Petrel nodes as child processes (`petrel broker --cluster … --node-id …`), for the tests that
// must kill a node for real.
import type { Run } from '../../helpers/cli.js';
import { startCli } from '../../helpers/cli.js';

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
