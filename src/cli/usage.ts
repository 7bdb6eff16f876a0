// Reporting a bad command line and a failed command, shared by every `petrel` tool.

/** A bad command line; the message names the flag. */
export class UsageError extends Error {}

/** Parses an integer flag value within bounds. */
export function int(v: string, flag: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(v)) throw new UsageError(`option '${flag}': '${v}' is not an integer`);
  const n = Number(v);
  if (n < min || n > max) {
    throw new UsageError(`option '${flag}': ${n} is out of range (${min}..${max})`);
  }
  return n;
}

/** Parses a non-negative number (seconds, may be fractional). */
export function num(v: string, flag: string, min = 0): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min) {
    throw new UsageError(`option '${flag}': '${v}' is not a valid number`);
  }
  return n;
}

/** Prints `petrel <cmd>: message` on stderr and returns the exit code. */
export function fail(cmd: string, message: string, code = 1): number {
  process.stderr.write(`petrel ${cmd}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return code;
}

/** The error message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Common help text lines. */
