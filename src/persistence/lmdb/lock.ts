import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../types.js';

/** Name of the lock file inside the data directory. */
export const LOCK_FILE = 'petrel.lock';

/** What {@link acquireLock} found. */
export interface LockResult {
  path: string;
  /** A previous owner died without releasing the lock (crash, SIGKILL). */
  stale: boolean;
}

interface LockInfo {
  pid: number;
  start: string | undefined;
}

/**
 * Takes the data directory's lock file (created exclusively, mode 0600, holding the pid and the
 * process start time). A lock whose process is gone, or whose pid now belongs to a process that
 * started at another time (pid reuse after a crash), is stale and taken over.
 */
export function acquireLock(dir: string): LockResult {
  const path = join(dir, LOCK_FILE);
  let stale = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if (errCode(err) !== 'EEXIST') {
        throw new StoreError('OPEN', `cannot create lock file ${path}: ${errMessage(err)}`, {
          cause: err,
        });
      }
      const holder = readLock(path);
      if (holder !== undefined && isAlive(holder)) {
        throw new StoreError(
          'LOCKED',
          `data directory ${dir} is in use by another broker (pid ${holder.pid}); ` +
            'use another --data-dir or stop that broker',
        );
      }
      stale = true;
      try {
        unlinkSync(path);
      } catch (e) {
        if (errCode(e) !== 'ENOENT') throw new StoreError('OPEN', errMessage(e), { cause: e });
      }
      continue;
    }
    try {
      const info: LockInfo = { pid: process.pid, start: processStart(process.pid) };
      writeSync(fd, JSON.stringify(info));
    } finally {
      closeSync(fd);
    }
    return { path, stale };
  }
  throw new StoreError('LOCKED', `could not take the lock ${path} (another broker is starting?)`);
}

/** Removes the lock file if it is still ours. */
export function releaseLock(path: string): void {
  const holder = readLock(path);
  if (holder !== undefined && holder.pid !== process.pid) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to release.
  }
}

function readLock(path: string): LockInfo | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'pid' in parsed) {
      const pid = (parsed as { pid: unknown }).pid;
      const start = (parsed as { start?: unknown }).start;
      if (typeof pid === 'number' && Number.isInteger(pid) && pid > 0) {
        return { pid, start: typeof start === 'string' ? start : undefined };
      }
    }
  } catch {
    // Unreadable or half-written lock: its writer died mid-write, so it is stale.
  }
  return undefined;
}

function isAlive(info: LockInfo): boolean {
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    if (errCode(err) === 'ESRCH') return false;
    // EPERM: a process exists that we may not signal; treat as alive.
  }
  if (info.start === undefined) return true;
  const now = processStart(info.pid);
  return now === undefined || now === info.start;
}

/** Process start time from /proc (Linux), to tell pid reuse apart; undefined elsewhere. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime) counted after the parenthesised command name, which may hold spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : undefined;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
