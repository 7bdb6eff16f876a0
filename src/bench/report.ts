// The result of a run and its three renderings: human text, JSON and CSV.
import type { CpuReport } from './cpu.js';
import { formatCpu } from './cpu.js';
import type { LatencySummary } from './histogram.js';
import type { ScenarioName } from './options.js';

/** Connection figures of the `conn` scenario. */
export interface ConnectReport {
  requested: number;
  connected: number;
  failed: number;
  /** Connections established per second, first attempt to last CONNACK. */
  rate: number;
  /** From opening the socket to the CONNACK, ms. */
  connackMs: LatencySummary | null;
}

/** Everything `petrel bench` measured. */
export interface BenchReport {
  scenario: ScenarioName;
  broker: string;
  protocolVersion: number;
  qos: number;
  payloadSize: number;
  publishers: number;
  subscribers: number;
  window: number;
  /** Messages/s per publisher asked for; 0 = closed loop. */
  rate: number;
  workers: number;
  /** Length of the measured interval (after the warm-up), seconds. */
  seconds: number;
  /** Messages published, whole run. */
  sent: number;
  /** PUBLISH packets received by the subscribers, whole run. */
  received: number;
  /** Deliveries the subscribers should get for what was sent (0 when unknown). */
  expected: number;
  lost: number;
  duplicates: number;
  /** Messages/s over the measured interval. */
  sendRate: number;
  receiveRate: number;
  /** Publish→receive latency from the timestamp in each payload. */
  latencyMs: LatencySummary | null;
  /**
   * QoS 1/2: publisher-side acknowledgement latency, from writing a PUBLISH to reading its
   * PUBACK (QoS 1) or PUBCOMP (QoS 2); null at QoS 0.
   */
  ackMs: LatencySummary | null;
  connections: ConnectReport | null;
  /**
   * The generator's own CPU time (all threads) while publishing (`conn`: while connecting),
   * seconds, as a share of one core over that time, its busiest thread's share, and whether it
   * was saturated (then every rate is a lower bound).
   */
  cpu: CpuReport;
  errors: string[];
}

const n0 = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A multi-line human report. */
export function formatText(r: BenchReport): string {
  const lines: string[] = [];
  lines.push(
    `${r.scenario} against ${r.broker}: MQTT v${r.protocolVersion === 5 ? '5' : r.protocolVersion === 4 ? '3.1.1' : '3.1'}, QoS ${r.qos}, ${r.payloadSize} B payloads, ${r.publishers} pub / ${r.subscribers} sub, window ${r.window}${r.rate > 0 ? `, ${r.rate} msg/s per publisher` : ''}`,
  );
  // Every figure carries the generator's CPU beside it; a saturated generator's rates are lower
  // bounds ("≥") and its latencies upper bounds of the broker's own share ("≤").
  const gen = `  [generator ${Math.round(r.cpu.coreShare * 100)}% of a core${r.cpu.saturated ? ', saturated' : ''}]`;
  const ge = r.cpu.saturated ? '≥' : '';
  if (r.scenario !== 'conn') {
    const mb = (rate: number): string =>
      r.payloadSize >= 65_536 ? `  ${((rate * r.payloadSize) / 1e6).toFixed(1)} MB/s` : '';
    lines.push(
      `  sent      ${n0(r.sent).padStart(12)}  ${(ge + n0(r.sendRate)).padStart(12)} msg/s${mb(r.sendRate)}${gen}`,
      `  received  ${n0(r.received).padStart(12)}  ${(ge + n0(r.receiveRate)).padStart(12)} msg/s${mb(r.receiveRate)}${gen}`,
    );
    if (r.expected > 0 || r.lost > 0 || r.duplicates > 0) {
      lines.push(
        `  expected  ${n0(r.expected).padStart(12)}  lost ${n0(r.lost)}  duplicates ${n0(r.duplicates)}`,
      );
    }
    const l = r.latencyMs;
    if (l !== null) {
      lines.push(
        `  latency   p50 ${l.p50} ms  p99 ${l.p99} ms  p99.9 ${l.p999} ms  max ${l.max} ms  (${n0(l.count)} samples)${gen}`,
      );
    }
    const a = r.ackMs;
    if (a !== null) {
      lines.push(
        `  ack       p50 ${a.p50} ms  p99 ${a.p99} ms  p99.9 ${a.p999} ms  max ${a.max} ms  (${n0(a.count)} samples, PUBLISH to ${r.qos === 2 ? 'PUBCOMP' : 'PUBACK'})${gen}`,
      );
    }
  }
  const c = r.connections;
  if (c !== null) {
    lines.push(
      `  connections ${n0(c.connected)}/${n0(c.requested)} (${n0(c.failed)} failed)  ${ge}${n0(c.rate)} conn/s${gen}`,
    );
    if (c.connackMs !== null) {
      lines.push(
        `  CONNACK   p50 ${c.connackMs.p50} ms  p99 ${c.connackMs.p99} ms  p99.9 ${c.connackMs.p999} ms  max ${c.connackMs.max} ms`,
      );
    }
  }
  lines.push(
    `  generator CPU ${r.cpu.user.toFixed(2)} s user + ${r.cpu.system.toFixed(2)} s system: ${formatCpu(r.cpu)}`,
  );
  for (const e of r.errors) lines.push(`  error: ${e}`);
  return `${lines.join('\n')}\n`;
}

/** One JSON object. */
export function formatJson(r: BenchReport): string {
  return `${JSON.stringify(r)}\n`;
}

const CSV_COLUMNS = [
  'scenario',
  'broker',
  'protocolVersion',
  'qos',
  'payloadSize',
  'publishers',
  'subscribers',
  'window',
  'rate',
  'seconds',
  'sent',
  'received',
  'expected',
  'lost',
  'duplicates',
  'sendRate',
  'receiveRate',
  'latencyP50Ms',
  'latencyP99Ms',
  'latencyP999Ms',
  'ackP50Ms',
  'ackP99Ms',
  'ackP999Ms',
  'connected',
  'connectRate',
  'connackP50Ms',
  'connackP99Ms',
  'cpuUser',
  'cpuSystem',
  'cpuCoreShare',
  'cpuBusiestThread',
  'cpuSaturated',
] as const;

/** A header line and one data line. */
export function formatCsv(r: BenchReport): string {
  const v: Record<(typeof CSV_COLUMNS)[number], string | number> = {
    scenario: r.scenario,
    broker: r.broker,
    protocolVersion: r.protocolVersion,
    qos: r.qos,
    payloadSize: r.payloadSize,
    publishers: r.publishers,
    subscribers: r.subscribers,
    window: r.window,
    rate: r.rate,
    seconds: r.seconds.toFixed(3),
    sent: r.sent,
    received: r.received,
    expected: r.expected,
    lost: r.lost,
    duplicates: r.duplicates,
    sendRate: Math.round(r.sendRate),
    receiveRate: Math.round(r.receiveRate),
    latencyP50Ms: r.latencyMs?.p50 ?? '',
    latencyP99Ms: r.latencyMs?.p99 ?? '',
    latencyP999Ms: r.latencyMs?.p999 ?? '',
    ackP50Ms: r.ackMs?.p50 ?? '',
    ackP99Ms: r.ackMs?.p99 ?? '',
    ackP999Ms: r.ackMs?.p999 ?? '',
    connected: r.connections?.connected ?? '',
    connectRate: r.connections === null ? '' : Math.round(r.connections.rate),
    connackP50Ms: r.connections?.connackMs?.p50 ?? '',
    connackP99Ms: r.connections?.connackMs?.p99 ?? '',
    cpuUser: r.cpu.user.toFixed(3),
    cpuSystem: r.cpu.system.toFixed(3),
    cpuCoreShare: r.cpu.coreShare.toFixed(3),
    cpuBusiestThread: r.cpu.busiestThread.toFixed(3),
    cpuSaturated: r.cpu.saturated ? 1 : 0,
  };
  return `${CSV_COLUMNS.join(',')}\n${CSV_COLUMNS.map((k) => String(v[k])).join(',')}\n`;
}

/** The live progress line (no newline; the caller rewrites it with \r). */
export function progressLine(
  elapsedS: number,
  sentRate: number,
  recvRate: number,
  connected: number,
): string {
  return `  ${elapsedS.toFixed(0).padStart(4)} s  sent ${n0(sentRate).padStart(11)} msg/s  received ${n0(recvRate).padStart(11)} msg/s  connections ${n0(connected)}`;
}
