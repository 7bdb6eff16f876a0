// Reading the Prometheus text format (what /metrics serves) in the page: samples by name, summed
// over their labels, and the ring of recent points each chart draws.

/** One scrape: every sample's value by metric name and by name plus its exact label set. */
export type Scrape = Map<string, number>;

/**
 * Reads the text format. Each sample counts under its name (summed over all its label sets, so
 * `petrel_connections` is the total over listeners) and under `name{labels}` as written, which
 * picks one label set (`petrel_event_loop_delay_seconds{quantile="0.99"}`). A metric declared by
 * `# TYPE` without samples reads 0.
 */
export function parseMetrics(text: string): Scrape {
  const out: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      // A declared metric without samples (a labelled gauge nobody has set yet) reads as 0.
      const [name, type] = line.slice(7).split(' ');
      const parts = type === 'histogram' || type === 'summary' ? ['_sum', '_count'] : [''];
      for (const p of parts) if (name !== undefined) out.set(`${name}${p}`, 0);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    // name{labels} value [timestamp]; label values may hold spaces, so split after the brace.
    const brace = line.indexOf('{');
    const close = brace === -1 ? -1 : line.lastIndexOf('}');
    const name = brace === -1 ? line.slice(0, line.indexOf(' ')) : line.slice(0, brace);
    const rest = (close === -1 ? line.slice(name.length) : line.slice(close + 1)).trim();
    const value = Number(rest.split(' ')[0]);
    if (name === '' || Number.isNaN(value)) continue;
    out.set(name, (out.get(name) ?? 0) + value);
    if (close !== -1) out.set(line.slice(0, close + 1), value);
  }
  return out;
}

/** A fixed window of the latest points of several series sharing one time axis. */
export class SeriesWindow {
  readonly times: number[] = [];
  readonly series: number[][];

  constructor(
    count: number,
    private readonly capacity: number,
  ) {
    this.series = Array.from({ length: count }, () => []);
  }

  /** Adds one point per series at `time` (seconds), dropping the oldest beyond the capacity. */
  push(time: number, values: number[]): void {
    this.times.push(time);
    for (let i = 0; i < this.series.length; i++) this.series[i]?.push(values[i] ?? Number.NaN);
    if (this.times.length > this.capacity) {
      this.times.shift();
      for (const s of this.series) s.shift();
    }
  }

  /** The uPlot data layout: the time axis, then one array per series. */
  data(): [number[], ...number[][]] {
    return [this.times, ...this.series];
  }
}
