// Spawning `petrel pub/sub/rr` and mosquitto_pub/mosquitto_sub as real processes, on top of the
// shared helper in test/helpers/cli.ts.
import type { Run, SpawnOptions } from '../../helpers/cli.js';
import { finish, killAll, startCli, startProcess } from '../../helpers/cli.js';

export type { Run } from '../../helpers/cli.js';
export { killAll };

/** Extra settings of a spawned `petrel`: Node flags before the script, environment additions. */
export type SpawnExtras = Pick<SpawnOptions, 'nodeArgs' | 'env'>;

type Tool = 'petrel' | 'mosquitto_pub' | 'mosquitto_sub' | 'mosquitto_rr';

/** Starts `petrel <args>` or a mosquitto tool; stdin is closed unless `input` is given. */
export function start(
  tool: Tool,
  args: string[],
  input?: string | Buffer,
  extras: SpawnExtras = {},
): Run {
  const opts: SpawnOptions = input === undefined ? { ...extras } : { ...extras, input };
  if (tool === 'petrel') return startCli(args, opts);
  // mosquitto's tools block-buffer stdout into a pipe; line buffering shows `-d` output live.
  return startProcess('stdbuf', ['-oL', tool, ...args], opts);
}

/** Runs to completion; rejects if it takes longer than `ms`. */
export function runTool(
  tool: Tool,
  args: string[],
  input?: string | Buffer,
  ms = 8000,
  extras: SpawnExtras = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return finish(start(tool, args, input, extras), `${tool} ${args.join(' ')}`, ms);
}
