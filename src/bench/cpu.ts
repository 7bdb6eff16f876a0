// The generator's own CPU while it runs: the whole process (every thread, GC helpers included)
// from process.cpuUsage(), and each thread's share from /proc/self/task (Linux), so a saturated
// generator shows even when its total stays below the machine's cores: one JS thread at 100% is
// the limit however idle the others are.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** CPU figures of a run. */
export interface CpuReport {
  /** Seconds of user and system time, all threads of the generator. */
  user: number;
  system: number;
  /** (user + system) / wall time: 1 = one core busy all the time. */
  coreShare: number;
  /** The busiest thread's share of one core (0 where /proc is unavailable). */
  busiestThread: number;
  /** Threads running clients (1, or `--workers`). */
  threads: number;
  /**
   * The generator may have been the limit: its busiest thread used 90% of a core or more, or
   * the whole process 90% of the cores it could use (its client threads, at most the machine's).
   */
  saturated: boolean;
}

/** Share of a core above which a thread (or the process) counts as saturated. */
export const SATURATED = 0.9;

const TICKS_PER_S = 100;

/** utime + stime ticks of every thread of this process, by thread id. */
function threadTicks(): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, Number(f[11]) + Number(f[12]));
    } catch {
      // The thread ended in between.
    }
  }
  return out;
}

/** A CPU measurement started now; `stop()` returns the figures since. */
export class CpuMeter {
  private readonly usage = process.cpuUsage();
  private readonly ticks = threadTicks();
  private readonly at = performance.now();

  constructor(private readonly threads: number) {}

  stop(): CpuReport {
    const seconds = (performance.now() - this.at) / 1000;
    const u = process.cpuUsage(this.usage);
    const user = u.user / 1e6;
    const system = u.system / 1e6;
    let busiest = 0;
    if (seconds > 0) {
      for (const [tid, t] of threadTicks()) {
        const share = (t - (this.ticks.get(tid) ?? 0)) / TICKS_PER_S / seconds;
        if (share > busiest) busiest = share;
      }
    }
    const coreShare = seconds > 0 ? (user + system) / seconds : 0;
    const usable = Math.min(this.threads, availableParallelism());
    const busiestThread = Math.min(busiest, 1);
    return {
      user,
      system,
      coreShare,
      busiestThread,
      threads: this.threads,
      saturated: busiestThread >= SATURATED || coreShare >= SATURATED * usable,
    };
  }
}

/** "87% of a core (busiest thread 80%)", with "SATURATED" when it was. */
export function formatCpu(c: CpuReport): string {
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  return `${pct(c.coreShare)} of one core over ${c.threads} thread${c.threads === 1 ? '' : 's'} (busiest thread ${pct(c.busiestThread)})${c.saturated ? ', SATURATED: figures are lower bounds' : ''}`;
}
