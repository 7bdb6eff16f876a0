// Coordinates a run: sets the engines up, starts them together, watches the shared counters for
// the measured interval, stops, waits for the deliveries still on their way, merges the results.
import type { Histogram } from 'hdr-histogram-js';
import { nowMs } from './connection.js';
import { CpuMeter } from './cpu.js';
import type { ThreadResult } from './engine.js';
import { mergeHistogram, newHistogram, summarize } from './histogram.js';
import type { BenchPlan } from './options.js';
import { fanoutOf } from './options.js';
import type { BenchReport, ConnectReport } from './report.js';
import { SharedCounters } from './shared.js';
import type { EngineCall, EngineHandle } from './threads.js';
import { startEngines } from './threads.js';

/** Callbacks for a live display; all optional. */
export interface RunObserver {
  /** Once a second: rates over the last second. */
  progress?(elapsedS: number, sentRate: number, recvRate: number, connected: number): void;
  /** `conn`: every connection is open and is now held. */
  holding?(connected: number, holdS: number): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function all(engines: EngineHandle[], c: EngineCall): Promise<(ThreadResult | undefined)[]> {
  return Promise.all(engines.map((e) => e.call(c)));
}

/** Runs `plan` and returns its report. */
export async function runBench(plan: BenchPlan, observer: RunObserver = {}): Promise<BenchReport> {
  const { shared, engines } = startEngines(plan);
  try {
    return plan.scenario === 'conn'
      ? await runConn(plan, shared, engines, observer)
      : await runMessages(plan, shared, engines, observer);
  } catch (err) {
    // Close whatever did connect, so a failed run does not keep the process alive.
    await Promise.allSettled(engines.map((e) => e.call({ op: 'finish' })));
    throw err;
  } finally {
    await Promise.all(engines.map((e) => e.close()));
  }
}

function baseReport(plan: BenchPlan): BenchReport {
  return {
    scenario: plan.scenario,
    broker:
      plan.subHost !== undefined || plan.subPort !== undefined
        ? `${plan.host}:${plan.port} -> ${plan.subHost ?? plan.host}:${plan.subPort ?? plan.port}`
        : `${plan.host}:${plan.port}`,
    protocolVersion: plan.version,
    qos: plan.qos,
    payloadSize: plan.payloadSize,
    publishers: plan.publishers,
    subscribers: plan.subscribers,
    window: plan.window,
    rate: plan.rate,
    workers: plan.workers,
    seconds: 0,
    sent: 0,
    received: 0,
    expected: 0,
    lost: 0,
    duplicates: 0,
    sendRate: 0,
    receiveRate: 0,
    latencyMs: null,
    ackMs: null,
    connections: null,
    cpu: {
      user: 0,
      system: 0,
      coreShare: 0,
      busiestThread: 0,
      threads: Math.max(1, plan.workers),
      saturated: false,
    },
    errors: [],
  };
}

async function runMessages(
  plan: BenchPlan,
  shared: SharedCounters,
  engines: EngineHandle[],
  observer: RunObserver,
): Promise<BenchReport> {
  await all(engines, { op: 'setup' });
  const sentNow = (): number => SharedCounters.sum(shared.sent);
  const recvNow = (): number => SharedCounters.sum(shared.received);
  const cpu0 = new CpuMeter(Math.max(1, plan.workers));
  const startAt = nowMs();
  const measureFrom = startAt + plan.warmupMs;
  const endAt = startAt + plan.durationMs;
  await all(engines, { op: 'start', startAt, measureFrom });
  const totalCount = plan.count > 0 ? plan.count * plan.publishers : 0;
  let s0: [number, number] | undefined = plan.warmupMs > 0 ? undefined : [0, 0];
  let last: [number, number, number] = [startAt, 0, 0];
  for (;;) {
    await sleep(20);
    const t = nowMs();
    const sent = sentNow();
    if (s0 === undefined && t >= measureFrom) s0 = [sent, recvNow()];
    if (t >= endAt || (totalCount > 0 && sent >= totalCount)) break;
    if (observer.progress !== undefined && t - last[0] >= 1000) {
      const recv = recvNow();
      const dt = (t - last[0]) / 1000;
      observer.progress(
        (t - startAt) / 1000,
        (sent - last[1]) / dt,
        (recv - last[2]) / dt,
        plan.publishers + plan.subscribers,
      );
      last = [t, sent, recv];
    }
  }
  const stopAt = nowMs();
  const cpu = cpu0.stop();
  const s1: [number, number] = [sentNow(), recvNow()];
  const from = s0 === undefined ? startAt : Math.max(measureFrom, startAt);
  const first = s0 ?? [0, 0];
  await all(engines, { op: 'stop' });
  const expectedNow = (): number => {
    let n = 0;
    for (let p = 0; p < plan.publishers; p++) n += Atomics.load(shared.sent, p) * fanoutOf(plan, p);
    return n;
  };
  const deliveredNow = (): number => SharedCounters.sum(shared.delivered);
  // Wait for what is still on its way: until every delivery (and ack) is in, or nothing moves.
  const drainEnd = nowMs() + plan.drainMs;
  let lastProgress = nowMs();
  let lastSeen = -1;
  while (nowMs() < drainEnd) {
    const d = deliveredNow();
    const acked = SharedCounters.sum(shared.acked);
    const complete = d >= expectedNow() && (plan.qos === 0 || acked >= sentNow());
    if (complete) break;
    const seen = d + acked + recvNow();
    if (seen !== lastSeen) {
      lastSeen = seen;
      lastProgress = nowMs();
    } else if (nowMs() - lastProgress > 2000) break;
    await sleep(20);
  }
  const results = (await all(engines, { op: 'finish' })) as ThreadResult[];
  const seconds = (stopAt - from) / 1000;
  const r = baseReport(plan);
  r.seconds = seconds;
  r.sent = sentNow();
  r.received = recvNow();
  r.expected = expectedNow();
  r.sendRate = seconds > 0 ? (s1[0] - first[0]) / seconds : 0;
  r.receiveRate = seconds > 0 ? (s1[1] - first[1]) / seconds : 0;
  const h: Histogram = newHistogram();
  const ackH: Histogram = newHistogram();
  let unique = 0;
  let gaps = 0;
  for (const res of results) {
    mergeHistogram(h, res.latency);
    mergeHistogram(ackH, res.ack);
    unique += res.unique;
    r.duplicates += res.duplicates;
    gaps += res.gaps;
    r.errors.push(...res.errors);
  }
  r.latencyMs = summarize(h) ?? null;
  r.ackMs = plan.qos > 0 ? (summarize(ackH) ?? null) : null;
  if (plan.matrix === 'foreign') r.lost = gaps;
  else if (r.expected > 0) r.lost = Math.max(0, r.expected - unique);
  if (plan.subscribers === 0 && plan.qos > 0) {
    // Publishers only: what the broker never acknowledged.
    r.lost = Math.max(0, r.sent - SharedCounters.sum(shared.acked));
  }
  r.cpu = cpu;
  return r;
}

async function runConn(
  plan: BenchPlan,
  shared: SharedCounters,
  engines: EngineHandle[],
  observer: RunObserver,
): Promise<BenchReport> {
  const cpu0 = new CpuMeter(Math.max(1, plan.workers));
  const startAt = nowMs();
  let done = false;
  const ticker = setInterval(() => {
    if (done || observer.progress === undefined) return;
    observer.progress((nowMs() - startAt) / 1000, 0, 0, SharedCounters.sum(shared.connected));
  }, 1000);
  try {
    await all(engines, { op: 'connect', startAt });
  } finally {
    done = true;
    clearInterval(ticker);
  }
  const connectedAt = nowMs();
  const cpu = cpu0.stop();
  const connected = SharedCounters.sum(shared.connected);
  observer.holding?.(connected, plan.durationMs / 1000);
  await sleep(plan.durationMs);
  const results = (await all(engines, { op: 'finish' })) as ThreadResult[];
  const h = newHistogram();
  let first = Number.POSITIVE_INFINITY;
  let lastAck = 0;
  const r = baseReport(plan);
  for (const res of results) {
    mergeHistogram(h, res.connack);
    if (res.connectStart > 0) first = Math.min(first, res.connectStart);
    lastAck = Math.max(lastAck, res.connectEnd);
    r.errors.push(...res.errors);
  }
  const span = (lastAck - first) / 1000;
  const c: ConnectReport = {
    requested: plan.connections,
    connected,
    failed: SharedCounters.sum(shared.failed),
    rate: span > 0 ? connected / span : 0,
    connackMs: summarize(h) ?? null,
  };
  r.connections = c;
  r.seconds = (connectedAt - startAt) / 1000;
  r.cpu = cpu;
  return r;
}
