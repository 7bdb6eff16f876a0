// Spawns the crash-test broker (broker-child.js) as a real child process and kills it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Packet } from '../../../src/codec/types.js';
import { RawClient } from '../../helpers/broker.js';

const CHILD = fileURLToPath(new URL('./broker-child.js', import.meta.url));

/** How a child broker start ended. */
export type Started =
  | { ok: true; port: number; child: ChildProcess; stderr: () => string }
  | {
      ok: false;
      error: string;
      message: string;
      code: number | null;
      signal: NodeJS.Signals | null;
      stderr: string;
    };

const running = new Set<ChildProcess>();

/** Starts a broker process on `dir`; resolves once it listens or has failed to start. */
export function startChild(dir: string, mode?: 'salvage' | 'reset'): Promise<Started> {
  const child = spawn(process.execPath, [CHILD, dir, ...(mode ? [mode] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker child did not start within 20 s; stderr: ${err}`));
    }, 20_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const line = JSON.parse(out.slice(0, nl)) as {
        port?: number;
        error?: string;
        message?: string;
      };
      if (line.port !== undefined) {
        clearTimeout(timer);
        resolve({ ok: true, port: line.port, child, stderr: () => err });
      }
    });
    child.on('exit', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      let error = 'EXIT';
      let message = '';
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        const line = JSON.parse(out.slice(0, nl)) as { error?: string; message?: string };
        error = line.error ?? 'EXIT';
        message = line.message ?? '';
      }
      resolve({ ok: false, error, message, code, signal, stderr: err });
    });
  });
}

/** Starts a broker that must come up; returns its port and child. */
export async function mustStart(
  dir: string,
  mode?: 'salvage' | 'reset',
): Promise<{ port: number; child: ChildProcess; stderr: () => string }> {
  const s = await startChild(dir, mode);
  if (!s.ok) throw new Error(`broker did not start: ${s.error} ${s.message} ${s.stderr}`);
  return s;
}

/**
 * Waits until the child's stderr matches `re`: the ready line comes on stdout, so a log line
 * written just before it may still be in the other pipe.
 */
export async function stderrMatch(stderr: () => string, re: RegExp, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!re.test(stderr())) {
    if (Date.now() > deadline) throw new Error(`stderr never matched ${re}; got: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SIGKILLs the child and waits until it is gone. */
export function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Kills every child still running (test teardown). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((c) => kill(c)));
}

/** A fresh temporary data directory and its removal. */
export async function tempDataDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const base = await mkdtemp(join(tmpdir(), 'petrel-crash-'));
  return { dir: join(base, 'data'), remove: () => rm(base, { recursive: true, force: true }) };
}

/** CONNECT as a v5 client with a persistent session (expiry in seconds). */
export async function connectPersistent(
  port: number,
  clientId: string,
  expiry = 300,
  clean = false,
): Promise<{ client: RawClient; sessionPresent: boolean }> {
  const { client, connack } = await RawClient.connect(port, 5, {
    clientId,
    clean,
    properties: { sessionExpiryInterval: expiry },
  });
  if (connack.reasonCode !== 0)
    throw new Error(`CONNACK refused: 0x${connack.reasonCode.toString(16)}`);
  return { client, sessionPresent: connack.sessionPresent };
}

/** Reads PUBLISH packets (acking QoS 1/2 fully) until `quietMs` pass without one. */
export async function drain(c: RawClient, quietMs = 400): Promise<string[]> {
  const got: string[] = [];
  for (;;) {
    let p: Packet;
    try {
      p = await c.next(quietMs);
    } catch {
      return got;
    }
    if (p.type === 3) {
      got.push(p.payload.toString());
      if (p.qos === 1)
        c.send({ type: 4, packetId: p.packetId, reasonCode: 0, properties: undefined });
      if (p.qos === 2)
        c.send({ type: 5, packetId: p.packetId, reasonCode: 0, properties: undefined });
    } else if (p.type === 6) {
      c.send({ type: 7, packetId: p.packetId, reasonCode: 0, properties: undefined });
    }
  }
}
