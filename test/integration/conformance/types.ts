/**
 * Conformance cases are data: hex bytes to send and the reply each step expects, tagged with the
 * normative statements they check. The runner (runner.ts) replays them over raw TCP.
 *
 * Hex notation: whitespace is ignored. In a `send`, `{cid}`, `{cid2}` and `{cid3}` stand for an
 * 8-byte ASCII client id (or topic level) unique to one execution, so cases can run side by side
 * on one broker; `~` stands for the Remaining Length of the rest of the string (convenience for
 * long packets; cases about the length itself spell it out). In an `expect`, `..` matches any
 * byte and `*` (last token) matches the rest of the packet.
 */
export type Version = 3 | 4 | 5;

interface StepBase {
  /** Versions this step applies to (default: every version the case runs for). */
  v?: Version[];
  /** Connection index (default 0). */
  c?: number;
}

/** Send raw bytes. */
export interface SendStep extends StepBase {
  send: string;
}
/** The next packet received must match this pattern (or one of these patterns). */
export interface ExpectStep extends StepBase {
  expect: string | string[];
}
/**
 * The server must close the connection within `closeWithinMs` (runner default). Before closing,
 * only a v5 CONNACK/DISCONNECT is allowed; `reason` lists the acceptable v5 reason codes. Against
 * Petrel the reason packet is required for v5 (issue 3); against other brokers it is optional, as
 * the specification makes it a MAY, but when sent it must carry one of these codes.
 */
export interface CloseStep extends StepBase {
  close: true;
  reason?: number[];
  /** Alternatively the server may answer with a packet matching this pattern (and stay open). */
  or?: string;
  /** How long the server may take (default 2000 ms; keep-alive cases need more). */
  within?: number;
  /** Packets the server may send before closing, for any version (e.g. a 3.1.1 CONNACK 0x01). */
  allow?: string[];
}
/** Nothing may arrive on the connection for this many ms (and it must stay open). */
export interface SilentStep extends StepBase {
  silent: number;
}
/** Open connection `c` with the runner's standard CONNECT for the version and check CONNACK. */
export interface OpenStep extends StepBase {
  open: true;
  /** Clean Session / Clean Start (default true). v5 with clean false adds Session Expiry 300. */
  clean?: boolean;
  /** Which client id placeholder to use (default 'cid' for connection 0, 'cid2', 'cid3'…). */
  id?: 'cid' | 'cid2' | 'cid3';
  /** Expected Session Present flag (default false). */
  present?: boolean;
}
/** Pause (lets the broker process something with no observable reply). */
export interface WaitStep extends StepBase {
  wait: number;
}
/** The client drops its TCP connection without DISCONNECT. */
export interface DropStep extends StepBase {
  drop: true;
}

export type Step = SendStep | ExpectStep | CloseStep | SilentStep | OpenStep | WaitStep | DropStep;

export interface ConformanceCase {
  /** Stable unique id, e.g. 'connect.reserved-flag'. */
  id: string;
  title: string;
  /** Statement ids as numbered in MQTT 3.1.1 (also used for 3.1), e.g. 'MQTT-3.1.2-3'. */
  statements: string[];
  /** Statement ids as numbered in MQTT 5.0 when they differ or exist only there. */
  statements5?: string[];
  /** Protocol versions to run (default all three). */
  versions?: Version[];
  /** When false (default), connection 0 is opened with the standard CONNECT before the steps. */
  raw?: boolean;
  steps: Step[];
  /** Known Mosquitto 2.0.11 deviation: the case runs as a todo against Mosquitto. */
  mosquitto?: { note: string; v?: Version[] };
  /**
   * Known Petrel deviation awaiting a broker fix: the case still runs, unchanged, as a todo
   * against Petrel so the suite stays green while the failure stays visible.
   */
  petrel?: { note: string; v?: Version[] };
  /**
   * Why the case cannot hold when its connections are on different nodes of a Petrel cluster
   * (test/integration/cluster/conformance.test.ts runs it there as a todo).
   */
  cluster?: { note: string; v?: Version[] };
}
