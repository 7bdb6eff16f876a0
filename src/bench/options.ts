// What a `petrel bench` run does, resolved from the command line into a plain, serialisable plan
// (it is posted to worker threads as is).
import type { ProtocolVersion, QoS } from '../codec/constants.js';

/** Scenario names: three building blocks and four presets combining them. */
export type ScenarioName = 'pub' | 'sub' | 'conn' | 'fanin' | 'fanout' | 'pairs' | 'latency';

/** All scenario names, in help order. */
export const SCENARIOS: readonly ScenarioName[] = [
  'pub',
  'sub',
  'conn',
  'fanin',
  'fanout',
  'pairs',
  'latency',
];

/**
 * Which publishers a subscriber hears: every one (`all`: fan-in, fan-out), only the one with its
 * index (`pairs`), or publishers of another process (`foreign`: the `sub` scenario).
 */
export type Matrix = 'all' | 'pairs' | 'foreign' | 'none';

/** A fully resolved benchmark run. */
export interface BenchPlan {
  scenario: ScenarioName;
  host: string;
  port: number;
  /**
   * Where subscribers connect when not to host/port: another node of a cluster, so that every
   * message crosses between nodes (`--sub-host`, `--sub-port`).
   */
  subHost?: string;
  subPort?: number;
  version: ProtocolVersion;
  username: string | undefined;
  password: string | undefined;
  keepAlive: number;
  /** Clean session / clean start; false keeps sessions (with v5 session expiry 3600 s). */
  clean: boolean;
  /** Client id prefix; ids are `<prefix>-p<i>`, `<prefix>-s<i>`, `<prefix>-c<i>`. */
  idPrefix: string;
  qos: QoS;
  /** Payload bytes, at least PAYLOAD_HEADER (sequence number and timestamp). */
  payloadSize: number;
  publishers: number;
  subscribers: number;
  /** Topic of publisher i: `%i` replaced by i. */
  topic: string;
  /** Filter of subscriber i: `%i` replaced by i. */
  filter: string;
  matrix: Matrix;
  /** Messages per second per publisher; 0 = closed loop (as fast as the window allows). */
  rate: number;
  /** Messages a publisher may have in flight (sent, not yet acked or delivered everywhere). */
  window: number;
  /** Messages per publisher; 0 = until the duration ends. */
  count: number;
  durationMs: number;
  /** Start of the run not counted in the rates and latencies. */
  warmupMs: number;
  /** `conn`: connections to open and hold. */
  connections: number;
  /** `conn`: connections started per second; 0 = as fast as `connectConcurrency` allows. */
  connectRate: number;
  /** `conn`: CONNECTs awaiting CONNACK at most. */
  connectConcurrency: number;
  /** Worker threads; 0 or 1 runs everything on the main thread. */
  workers: number;
  /** Tags this run's payloads, so a subscriber tells its own publishers' messages apart. */
  tag: number;
  /** Longest wait after the last publish for deliveries still on their way, ms. */
  drainMs: number;
}

/** The minimum payload: magic (2), run tag (4), publisher (4), sequence (4), timestamp (8). */
export const PAYLOAD_HEADER = 22;

/** How many subscribers of `plan` should receive each message of publisher `pub`. */
export function fanoutOf(plan: BenchPlan, pub: number): number {
  switch (plan.matrix) {
    case 'all':
      return plan.subscribers;
    case 'pairs':
      return pub < plan.subscribers ? 1 : 0;
    case 'foreign':
    case 'none':
      return 0;
  }
}

/** Whether subscriber `sub` should receive publisher `pub`'s messages. */
export function hears(plan: BenchPlan, sub: number, pub: number): boolean {
  return plan.matrix === 'all' || (plan.matrix === 'pairs' && sub === pub);
}

/** `%i` in a topic pattern replaced by the client index. */
export function expand(pattern: string, i: number): string {
  return pattern.includes('%i') ? pattern.replaceAll('%i', String(i)) : pattern;
}
