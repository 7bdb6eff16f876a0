// A `petrel broker` process with its admin listener (which serves the dashboard) and a
// WebSocket listener, on free loopback ports, with a memory-only store in a temporary directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run } from '../../helpers/cli.js';
import { startCli } from '../../helpers/cli.js';

export interface DashboardBroker {
  /** The admin listener, e.g. `http://127.0.0.1:PORT` (the dashboard is at `/`). */
  http: string;
  /** `mqtt://127.0.0.1:PORT` */
  mqtt: string;
  wsPort: number;
  run: Run;
  close(): Promise<void>;
}

interface Listener {
  type: string;
  port: number;
}

/** Starts the broker; `args` are added to its command line. */
export async function startDashboardBroker(args: string[] = []): Promise<DashboardBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-dash-'));
  const run = startCli(
    ['broker', '-p', '0', '--ws-port', '0', '--http-port', '0', '--durability', 'none', ...args],
    { cwd: dir },
  );
  try {
    // pino writes one JSON object per line: the listeners line and the admin line.
    const listening = await run.waitFor(/\{[^\n]*"msg":"broker listening"\}/);
    const admin = await run.waitFor(/"url":"(http:\/\/[^"]+)"[^\n]*"admin API listening"/);
    const listeners = (JSON.parse(listening[0]) as { listeners: Listener[] }).listeners;
    const port = (type: string): number => {
      const l = listeners.find((x) => x.type === type);
      if (l === undefined) throw new Error(`no ${type} listener in ${listening[0]}`);
      return l.port;
    };
    return {
      http: admin[1] as string,
      mqtt: `mqtt://127.0.0.1:${port('tcp')}`,
      wsPort: port('ws'),
      run,
      close: async () => {
        await run.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await run.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${String(err)}\n${run.stdout()}\n${run.stderr()}`);
  }
}
