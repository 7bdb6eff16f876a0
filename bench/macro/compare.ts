// `npm run bench:compare`: the same load against Petrel, Mosquitto and Aedes, one broker at a
// time, each in its own process; the load generator runs here. Prints messages/s (median of
// RUNS runs) and the ratios Petrel/Mosquitto and Petrel/Aedes.
//   BENCH_SECONDS (default 5) seconds per run, the first one being warm-up
//   BENCH_RUNS (default 3) runs per scenario and broker
//   BENCH_BROKERS (default "petrel,mosquitto,aedes") which brokers to run

import type { RunningBroker } from './brokers.js';
import { startAedes, startMosquittoBroker, startPetrel } from './brokers.js';
import type { Scenario } from './loadgen.js';
import { runLoad } from './loadgen.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? '5');
const RUNS = Number(process.env.BENCH_RUNS ?? '3');
const BROKERS = (process.env.BENCH_BROKERS ?? 'petrel,mosquitto,aedes').split(',');

const scenarios: Scenario[] = [
  {
    name: 'fan-in 16->1 QoS 0 (bench/+/x)',
    publishers: 16,
    subscribers: 1,
    qos: 0,
    topic: (i) => `bench/${i}/x`,
    filter: 'bench/+/x',
    window: 128,
  },
  {
    name: 'fan-in 16->1 QoS 1 (bench/+/x)',
    publishers: 16,
    subscribers: 1,
    qos: 1,
    topic: (i) => `bench/${i}/x`,
    filter: 'bench/+/x',
    window: 128,
  },
  {
    name: 'fan-out 1->100 QoS 0',
    publishers: 1,
    subscribers: 100,
    qos: 0,
    topic: () => 'fanout/x',
    filter: 'fanout/x',
    window: 128,
  },
];

const starters: Record<string, () => Promise<RunningBroker>> = {
  petrel: startPetrel,
  mosquitto: startMosquittoBroker,
  aedes: startAedes,
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

const results = new Map<string, Map<string, number>>();
for (const name of BROKERS) {
  const start = starters[name];
  if (start === undefined) throw new Error(`unknown broker ${name}`);
  const broker = await start();
  const perScenario = new Map<string, number>();
  try {
    for (const sc of scenarios) {
      const rates: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        try {
          const res = await runLoad(
            broker.port,
            sc,
            SECONDS,
            `${name}-${r}-${Date.now() % 100000}`,
          );
          rates.push(res.rate);
          const lost = res.lost > 0 ? ` (${Math.round(res.lost)} written off as dropped)` : '';
          process.stderr.write(
            `${name} | ${sc.name} | run ${r + 1}: ${Math.round(res.rate)} msg/s${lost}\n`,
          );
        } catch (err) {
          rates.push(0);
          process.stderr.write(`${name} | ${sc.name} | run ${r + 1}: failed: ${String(err)}\n`);
        }
        // Let the broker drain whatever the closed connections left behind.
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      perScenario.set(sc.name, median(rates));
    }
  } finally {
    await broker.stop();
  }
  results.set(name, perScenario);
}

const fmt = (n: number | undefined): string =>
  n === undefined ? '-' : Math.round(n).toLocaleString('en-US');
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || b === 0 ? '-' : `${(a / b).toFixed(2)}x`;
const lines = [
  `Median of ${RUNS} runs, ${SECONDS} s each (1 s warm-up), messages delivered per second:`,
  '',
  '| Scenario | Petrel | Mosquitto | Aedes | Petrel/Mosquitto | Petrel/Aedes |',
  '|---|---:|---:|---:|---:|---:|',
];
for (const sc of scenarios) {
  const p = results.get('petrel')?.get(sc.name);
  const m = results.get('mosquitto')?.get(sc.name);
  const a = results.get('aedes')?.get(sc.name);
  lines.push(
    `| ${sc.name} | ${fmt(p)} | ${fmt(m)} | ${fmt(a)} | ${ratio(p, m)} | ${ratio(p, a)} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
