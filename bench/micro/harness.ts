/**
 * A tiny benchmark harness: warm-up, several timed rounds, median ops/s. Each case is a function
 * that performs `batch` operations per call and returns a value folded into a sink so the work
 * cannot be optimised away.
 */

export interface BenchOptions {
  /** Warm-up time in ms before measuring. */
  warmupMs: number;
  /** Number of timed rounds; the median is reported. */
  rounds: number;
  /** Length of each round in ms. */
  roundMs: number;
}

export const defaultOptions: BenchOptions = { warmupMs: 100, rounds: 15, roundMs: 40 };

let sink = 0;

/** Keeps results observable; call once at the end so the JIT cannot drop the work. */
export function consumeSink(): number {
  return sink;
}

function runFor(fn: () => unknown, ms: number): { ops: number; ns: number } {
  const deadline = process.hrtime.bigint() + BigInt(ms) * 1_000_000n;
  const start = process.hrtime.bigint();
  let calls = 0;
  let now = start;
  // Check the clock every few calls only: hrtime itself costs tens of nanoseconds.
  while (now < deadline) {
    for (let i = 0; i < 64; i++) {
      const r = fn();
      if (r === undefined) sink++;
    }
    calls += 64;
    now = process.hrtime.bigint();
  }
  return { ops: calls, ns: Number(now - start) };
}

/** Median operations per second of `fn` over the configured rounds. */
export function measure(fn: () => unknown, opts: BenchOptions = defaultOptions): number {
  runFor(fn, opts.warmupMs);
  const rates: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    const { ops, ns } = runFor(fn, opts.roundMs);
    rates.push((ops * 1e9) / ns);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] as number;
}

export interface Comparison {
  /** Median ops/s of the first function. */
  a: number;
  /** Median ops/s of the second function. */
  b: number;
  /** Median of the per-round ratios a/b: robust to load changing between rounds. */
  ratio: number;
}

/**
 * Measures two functions in alternating rounds (a, b, a, b, …) so that both see the same
 * machine load, which matters on a shared machine.
 */
export function compare(
  fa: () => unknown,
  fb: () => unknown,
  opts: BenchOptions = defaultOptions,
): Comparison {
  runFor(fa, opts.warmupMs);
  runFor(fb, opts.warmupMs);
  const ra: number[] = [];
  const rb: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    const x = runFor(fa, opts.roundMs);
    const y = runFor(fb, opts.roundMs);
    const a = (x.ops * 1e9) / x.ns;
    const b = (y.ops * 1e9) / y.ns;
    ra.push(a);
    rb.push(b);
    ratios.push(a / b);
  }
  return { a: median(ra), b: median(rb), ratio: median(ratios) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)] as number;
}

/** Formats ops/s with thousands separators. */
export function fmtOps(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
