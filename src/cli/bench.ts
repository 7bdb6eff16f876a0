// `petrel bench`: the load generator (src/bench) behind a mosquitto-style command line.
import type { BenchCommand } from '../bench/args.js';
import { BENCH_HELP, BenchUsageError, parseBenchArgs } from '../bench/args.js';
import { formatCsv, formatJson, formatText, progressLine } from '../bench/report.js';
import type { RunObserver } from '../bench/runner.js';
import { runBench } from '../bench/runner.js';

/** Entry point of `petrel bench`; returns the exit code (2 for a bad command line). */
export async function run(argv: string[]): Promise<number> {
  let cmd: BenchCommand;
  try {
    cmd = parseBenchArgs(argv);
  } catch (err) {
    if (err instanceof BenchUsageError) {
      process.stderr.write(`petrel bench: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (cmd.help) {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  const tty = process.stderr.isTTY === true && !cmd.quiet;
  const observer: RunObserver = {
    holding: (n, s) => {
      if (tty) process.stderr.write('\r\x1b[K');
      // Printed even without a TTY: scripts wait for it to sample the broker while idle.
      process.stderr.write(`petrel bench: ${n} connections open, holding for ${s} s\n`);
    },
  };
  if (tty) {
    observer.progress = (t, s, r, c) => {
      process.stderr.write(`\r\x1b[K${progressLine(t, s, r, c)}`);
    };
  }
  try {
    const report = await runBench(cmd.plan, observer);
    if (tty) process.stderr.write('\r\x1b[K');
    const out =
      cmd.output === 'json'
        ? formatJson(report)
        : cmd.output === 'csv'
          ? formatCsv(report)
          : formatText(report);
    process.stdout.write(out);
    const failedConns = report.connections !== null && report.connections.failed > 0;
    return report.errors.length > 0 && (failedConns || report.sent === 0) ? 1 : 0;
  } catch (err) {
    if (tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`petrel bench: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
