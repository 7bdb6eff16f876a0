// The overview: live charts of the broker's figures over the last minutes, sampled from
// /metrics. Counters become per-second rates between two samples; summaries and histograms become
// the mean of the observations in between (Δsum / Δcount). Each chart also prints its latest
// values as text, for screen readers and for reading without hovering.
import uPlot from 'uplot';
import { metricsText } from './api.js';
import { errorText, h, replace, showStatus, statusLine } from './dom.js';
import type { Scrape } from './metrics.js';
import { parseMetrics, SeriesWindow } from './metrics.js';

/** Seconds between samples, and samples kept (five minutes). */
export const SAMPLE_S = 2;
const KEEP = 150;

type Reader = (now: Scrape, before: Scrape, dtS: number) => number;

const LOOP_DELAY = 'petrel_event_loop_delay_seconds';
const dropped = (reason: string): string => `petrel_messages_dropped_total{reason="${reason}"}`;

const value =
  (name: string, scale = 1): Reader =>
  (now) =>
    (now.get(name) ?? Number.NaN) * scale;
const rate =
  (name: string): Reader =>
  (now, before, dtS) => {
    const a = now.get(name);
    const b = before.get(name);
    // A counter that went down restarted (a new broker process): no rate for that step.
    return a === undefined || b === undefined || a < b ? Number.NaN : (a - b) / dtS;
  };
const meanOf =
  (histogram: string, scale: number): Reader =>
  (now, before) => {
    if (now.get(`${histogram}_count`) === undefined) return Number.NaN;
    const count = (now.get(`${histogram}_count`) ?? 0) - (before.get(`${histogram}_count`) ?? 0);
    const sum = (now.get(`${histogram}_sum`) ?? 0) - (before.get(`${histogram}_sum`) ?? 0);
    return count > 0 ? (sum / count) * scale : 0;
  };

interface ChartDef {
  id: string;
  title: string;
  unit: string;
  series: Array<{ label: string; read: Reader; color: string }>;
}

/** The charts and the metrics they read (names from src/admin's Prometheus registry). */
const CHARTS: ChartDef[] = [
  {
    id: 'connections',
    title: 'Connections',
    unit: '',
    series: [{ label: 'connected', read: value('petrel_connections'), color: '#2563eb' }],
  },
  {
    id: 'messages',
    title: 'Messages per second',
    unit: '/s',
    series: [
      { label: 'in', read: rate('petrel_messages_received_total'), color: '#16a34a' },
      { label: 'out', read: rate('petrel_messages_sent_total'), color: '#9333ea' },
    ],
  },
  {
    id: 'drops',
    title: 'Dropped messages per second',
    unit: '/s',
    // By reason, as the counter's `reason` label says (docs/admin.md, Metrics).
    series: [
      { label: 'queue full', read: rate(dropped('queue_full')), color: '#dc2626' },
      { label: 'too large', read: rate(dropped('too_large')), color: '#db2777' },
      { label: 'expired', read: rate(dropped('expired')), color: '#7c3aed' },
      { label: 'no packet id', read: rate(dropped('no_packet_id')), color: '#78716c' },
    ],
  },
  {
    id: 'queue',
    title: 'Queued messages',
    unit: '',
    series: [
      { label: 'queued', read: value('petrel_queued_messages'), color: '#ea580c' },
      { label: 'in flight', read: value('petrel_inflight_messages'), color: '#ca8a04' },
    ],
  },
  {
    id: 'store',
    title: 'Store commit latency',
    unit: 'ms',
    series: [
      { label: 'mean', read: meanOf('petrel_store_commit_seconds', 1000), color: '#0891b2' },
    ],
  },
  {
    id: 'eventloop',
    title: 'Event-loop delay',
    unit: 'ms',
    series: [
      { label: 'p99', read: value(`${LOOP_DELAY}{quantile="0.99"}`, 1000), color: '#4b5563' },
      { label: 'max', read: value(`${LOOP_DELAY}{quantile="1"}`, 1000), color: '#9ca3af' },
    ],
  },
];

interface Chart {
  def: ChartDef;
  window: SeriesWindow;
  plot: uPlot;
  figure: HTMLElement;
  latest: HTMLElement;
}

function chartWidth(figure: HTMLElement): number {
  return Math.max(240, Math.floor(figure.clientWidth - 16));
}

function makeChart(def: ChartDef, grid: HTMLElement): Chart {
  const latest = h('p', { class: 'latest' }, 'waiting for data');
  const plotBox = h('div', { class: 'plot', 'aria-hidden': 'true' });
  const figure = h(
    'figure',
    { id: `chart-${def.id}`, class: 'chart', 'data-points': 0 },
    h('figcaption', {}, def.title),
    plotBox,
    latest,
  );
  grid.appendChild(figure);
  const window = new SeriesWindow(def.series.length, KEEP);
  const plot = new uPlot(
    {
      width: chartWidth(figure),
      height: 160,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: true } },
      axes: [{}, { size: 50 }],
      series: [{}, ...def.series.map((s) => ({ label: s.label, stroke: s.color, width: 2 }))],
    },
    window.data(),
    plotBox,
  );
  return { def, window, plot, figure, latest };
}

function format(v: number, unit: string): string {
  // NaN: the broker does not report this figure (or a counter restarted in this step).
  if (!Number.isFinite(v)) return 'no data';
  const digits = Math.abs(v) >= 100 || Number.isInteger(v) ? 0 : 2;
  return `${v.toFixed(digits)}${unit === '' ? '' : ` ${unit}`}`;
}

/** Mounts the overview into `root`; returns the function that stops its sampling. */
export function mountOverview(root: HTMLElement): () => void {
  const status = statusLine('overview-status');
  const grid = h('div', { class: 'charts' });
  replace(
    root,
    h('h2', { tabindex: -1 }, 'Overview'),
    h('p', { class: 'hint' }, `Scraped from /metrics every ${SAMPLE_S} s; the last 5 minutes.`),
    status,
    grid,
  );
  const charts = CHARTS.map((def) => makeChart(def, grid));
  let before: { at: number; sample: Scrape } | undefined;
  let stopped = false;

  const sample = async (): Promise<void> => {
    try {
      const sample = parseMetrics(await metricsText());
      const at = Date.now() / 1000;
      if (stopped) return;
      showStatus(status, undefined);
      const prev = before;
      before = { at, sample };
      if (prev === undefined) return;
      for (const c of charts) {
        const values = c.def.series.map((s) => s.read(sample, prev.sample, at - prev.at));
        c.window.push(at, values);
        c.plot.setData(c.window.data());
        c.figure.dataset.points = String(c.window.times.length);
        c.latest.textContent = c.def.series
          .map((s, i) => `${s.label}: ${format(values[i] ?? Number.NaN, c.def.unit)}`)
          .join(', ');
      }
    } catch (err) {
      if (!stopped) showStatus(status, `Cannot read /metrics: ${errorText(err)}`);
    }
  };
  void sample();
  const timer = setInterval(() => void sample(), SAMPLE_S * 1000);
  const resize = (): void => {
    for (const c of charts) c.plot.setSize({ width: chartWidth(c.figure), height: 160 });
  };
  addEventListener('resize', resize);
  return () => {
    stopped = true;
    clearInterval(timer);
    removeEventListener('resize', resize);
    for (const c of charts) c.plot.destroy();
  };
}
