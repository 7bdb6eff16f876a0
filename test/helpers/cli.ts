// Spawning the `petrel` command line (dist/src/cli/main.js) or another program as a real
// process, waiting for a line of its output or for its exit, with bounded timeouts. Every process
// started here is remembered until it exits: call `killAll()` from `afterEach`/`after`.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled command line's entry point. */
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** How long `waitFor` waits by default (ms). */
const WAIT_MS = 5000;
/** How long `runCli` lets a command run by default (ms). */
const RUN_MS = 8000;

export interface SpawnOptions {
  /** Written to stdin, which is then closed; without it stdin is closed at once. */
  input?: string | Buffer;
  /** Working directory (the broker keeps its store in ./data by default). */
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Node flags placed before the script (`petrel` only). */
  nodeArgs?: string[];
  /** How stdout and stderr are decoded: latin1 (the default) keeps binary output byte for byte. */
  encoding?: BufferEncoding;
}

export interface Run {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Exit code (a death by signal counts as -1). */
  exit: Promise<number>;
  /**
   * Resolves with the match once stdout or stderr contains `text`; rejects after `ms` or when the
   * process exits without it.
   */
  waitFor(text: string | RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` unless the process has exited; resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

const running = new Set<ChildProcess>();

/** Kills every process still running. */
export function killAll(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}

/** Starts `petrel <args>`. */
export function startCli(args: string[], opts: SpawnOptions = {}): Run {
  return startProcess(process.execPath, [...(opts.nodeArgs ?? []), CLI_MAIN, ...args], opts);
}

/** Runs `petrel <args>` to completion; rejects (and kills it) if it takes longer than `ms`. */
export function runCli(
  args: string[],
  opts: SpawnOptions = {},
  ms = RUN_MS,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return finish(startCli(args, opts), `petrel ${args.join(' ')}`, ms);
}

/** Starts any program, collecting its output like `startCli`. */
export function startProcess(command: string, args: string[], opts: SpawnOptions = {}): Run {
  const child = spawn(command, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    env: { ...process.env, ...opts.env },
  });
  running.add(child);
  let out = '';
  let err = '';
  const watchers: Array<() => void> = [];
  const encoding = opts.encoding ?? 'latin1';
  child.stdout?.setEncoding(encoding).on('data', (d: string) => {
    out += d;
    for (const w of watchers.slice()) w();
  });
  child.stderr?.setEncoding(encoding).on('data', (d: string) => {
    err += d;
    for (const w of watchers.slice()) w();
  });
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  else child.stdin?.end();
  const exit = new Promise<number>((resolve) => {
    child.on('close', (code) => {
      running.delete(child);
      resolve(code ?? -1);
    });
  });
  const match = (text: string | RegExp): RegExpMatchArray | null => {
    const all = out + err;
    if (typeof text !== 'string') return all.match(text);
    return all.includes(text) ? [text] : null;
  };
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    waitFor(text, ms = WAIT_MS) {
      const now = match(text);
      if (now !== null) return Promise.resolve(now);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.splice(watchers.indexOf(w), 1);
          reject(new Error(`'${String(text)}' not seen within ${ms} ms; got:\n${out}\n${err}`));
        }, ms);
        const w = (): void => {
          const m = match(text);
          if (m === null) return;
          clearTimeout(timer);
          watchers.splice(watchers.indexOf(w), 1);
          resolve(m);
        };
        watchers.push(w);
        void exit.then(() => {
          if (match(text) !== null) return;
          clearTimeout(timer);
          reject(new Error(`exited before '${String(text)}'; got:\n${out}\n${err}`));
        });
      });
    },
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
  };
}

/** Waits for `r` to exit, for `ms` at most (then kills it and rejects). */
export async function finish(
  r: Run,
  what: string,
  ms = RUN_MS,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      r.child.kill('SIGKILL');
      reject(new Error(`${what} did not finish within ${ms} ms`));
    }, ms);
  });
  try {
    const code = await Promise.race([r.exit, timeout]);
    return { code, stdout: r.stdout(), stderr: r.stderr() };
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every 25 ms until it holds; rejects after `ms`. */
export async function waitUntil(check: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
