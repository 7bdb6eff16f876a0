// Spawning `petrel pub/sub/rr` and mosquitto_pub/mosquitto_sub as real processes.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

export interface Run {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Exit code (signal deaths count as -1). */
  exit: Promise<number>;
  /** Resolves when stdout or stderr contains `text`. */
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills every process still running (call from afterEach). */
export function killAll(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}

/** Extra settings of a spawned `petrel`: Node flags before the script, environment additions. */
export interface SpawnExtras {
  nodeArgs?: string[];
  env?: Record<string, string>;
}

/** Starts `petrel <args>` or another program; stdin is closed unless `input` is given. */
export function start(
  tool: 'petrel' | 'mosquitto_pub' | 'mosquitto_sub' | 'mosquitto_rr',
  args: string[],
  input?: string | Buffer,
  extras: SpawnExtras = {},
): Run {
  const child =
    tool === 'petrel'
      ? spawn(process.execPath, [...(extras.nodeArgs ?? []), main, ...args], {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { ...process.env, ...extras.env },
        })
      : // mosquitto's tools block-buffer stdout into a pipe; line buffering shows `-d` output live.
        spawn('stdbuf', ['-oL', tool, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  const watchers: Array<() => void> = [];
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString('latin1');
    for (const w of watchers.slice()) w();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString('latin1');
    for (const w of watchers.slice()) w();
  });
  if (input !== undefined) child.stdin?.end(input);
  else child.stdin?.end();
  const exit = new Promise<number>((resolve) => {
    child.on('close', (code) => {
      running.delete(child);
      resolve(code ?? -1);
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    waitFor(text, ms = 5000) {
      const has = (): boolean =>
        typeof text === 'string' ? (out + err).includes(text) : text.test(out + err);
      if (has()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`'${String(text)}' not seen within ${ms} ms; got:\n${out}\n${err}`));
        }, ms);
        const w = (): void => {
          if (!has()) return;
          clearTimeout(timer);
          watchers.splice(watchers.indexOf(w), 1);
          resolve();
        };
        watchers.push(w);
        void exit.then(() => {
          if (has()) return;
          clearTimeout(timer);
          reject(new Error(`exited before '${String(text)}'; got:\n${out}\n${err}`));
        });
      });
    },
  };
}

/** Runs to completion; rejects if it takes longer than `ms`. */
export async function runTool(
  tool: 'petrel' | 'mosquitto_pub' | 'mosquitto_sub' | 'mosquitto_rr',
  args: string[],
  input?: string | Buffer,
  ms = 8000,
  extras: SpawnExtras = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = start(tool, args, input, extras);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      r.child.kill('SIGKILL');
      reject(new Error(`${tool} ${args.join(' ')} did not finish within ${ms} ms`));
    }, ms);
  });
  try {
    const code = await Promise.race([r.exit, timeout]);
    return { code, stdout: r.stdout(), stderr: r.stderr() };
  } finally {
    clearTimeout(timer);
  }
}
