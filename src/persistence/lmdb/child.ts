import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** How a child run ended: its output, and the spawn error, exit code or signal. */
export interface ChildOutcome {
  /** Everything the child printed on stdout. */
  out: string;
  /** The start of what it printed on stderr (capped). */
  err: string;
  /** Set when the child could not be started at all. */
  spawnError: Error | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs `script` (a file next to this one) in a child Node process and collects its output.
 * Reading a damaged LMDB file can fault or loop instead of throwing; in a child that costs the
 * child, not the broker, and a child still running after `timeoutMs` is killed.
 */
export function runChild(
  script: string,
  args: readonly string[],
  timeoutMs: number,
  maxStderr: number,
): Promise<ChildOutcome> {
  const file = fileURLToPath(new URL(script, import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (err.length < maxStderr) err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ out, err, spawnError: e, code: null, signal: null });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ out, err, spawnError: undefined, code, signal });
    });
  });
}
