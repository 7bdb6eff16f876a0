// Runs a compiled script of this package as a child process and collects its output.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/ root: dist/test/integration/bench -> dist. */
export const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The `petrel` command. */
export const MAIN = join(DIST, 'src', 'cli', 'main.js');

/** What a child printed and how it exited. */
export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node file args`; rejects (after killing it) when it runs longer than `timeoutMs`. */
export function runNode(file: string, args: string[], timeoutMs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} ${args.join(' ')} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
