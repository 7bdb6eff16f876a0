import { Bridge, type BridgeHost } from './bridge.js';
import { type ResolvedBridge, resolveBridges } from './options.js';

export { resolveBridges };

/** One bridge's state, as `$SYS`, the metrics and the admin API show it. */
export interface BridgeStatus {
  name: string;
  connected: boolean;
  /** Messages waiting for the remote: queued in, or in flight from, the bridge's session. */
  queued: number;
  forwardedIn: number;
  forwardedOut: number;
  /** Why the last connection failed; undefined once connected. */
  lastError: string | undefined;
}

/**
 * The running bridges of a broker: started, changed and stopped as the configuration changes
 * (a reload touches only the bridges whose options changed), and their `$SYS` values.
 */
export class BridgeManager {
  private readonly bridges = new Map<string, Bridge>();
  private timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    private readonly host: BridgeHost,
    /** Seconds between `$SYS/broker/bridges/...` updates (0: only on changes). */
    private readonly sysInterval: number,
  ) {}

  /** Names of the running bridges. */
  get names(): string[] {
    return [...this.bridges.keys()];
  }

  /** The state of every bridge, by name. */
  states(): BridgeStatus[] {
    return [...this.bridges.values()].map((b) => ({
      name: b.config.name,
      connected: b.state.connected,
      queued: b.queued,
      forwardedIn: b.state.forwardedIn,
      forwardedOut: b.state.forwardedOut,
      lastError: b.state.lastError,
    }));
  }

  /**
   * Takes over a `bridges` configuration: validates all of it first (throws a TypeError naming
   * the field, changing nothing), then stops removed bridges, restarts changed ones and starts
   * new ones. Unchanged bridges keep their connections.
   */
  async update(input: unknown): Promise<void> {
    const next = resolveBridges(input);
    const wanted = new Map(next.map((b) => [b.name, b]));
    const stops: Promise<void>[] = [];
    const stale = new Map<string, string[]>();
    for (const [name, bridge] of this.bridges) {
      const cfg = wanted.get(name);
      if (cfg !== undefined && same(cfg, bridge.config)) {
        wanted.delete(name);
        continue;
      }
      this.bridges.delete(name);
      if (cfg !== undefined) stale.set(name, remoteFilters(bridge.config));
      stops.push(bridge.stop());
      if (cfg === undefined) this.clearSys(name);
      this.host.log.info({ bridge: name }, cfg === undefined ? 'bridge removed' : 'bridge changed');
    }
    await Promise.all(stops);
    for (const cfg of wanted.values()) {
      const bridge = new Bridge(this.host, cfg, (b) => this.publishSys(b));
      this.bridges.set(cfg.name, bridge);
      bridge.start(stale.get(cfg.name));
      this.publishSys(bridge);
    }
    if (this.timer === undefined && this.sysInterval > 0 && this.bridges.size > 0) {
      this.timer = setInterval(() => {
        for (const b of this.bridges.values()) this.publishSys(b);
      }, this.sysInterval * 1000);
      this.timer.unref();
    }
  }

  /** Stops every bridge. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const all = [...this.bridges.values()];
    this.bridges.clear();
    await Promise.all(all.map((b) => b.stop()));
  }

  private publishSys(b: Bridge): void {
    const base = `$SYS/broker/bridges/${b.config.name}/`;
    const s = b.state;
    const values: Array<[string, string]> = [
      ['connected', s.connected ? '1' : '0'],
      ['queued', String(b.queued)],
      ['forwarded/in', String(s.forwardedIn)],
      ['forwarded/out', String(s.forwardedOut)],
      ['last-error', s.lastError ?? ''],
    ];
    for (const [k, v] of values) this.host.publish(base + k, v, { qos: 0, retain: true });
  }

  /** A removed bridge's retained `$SYS` values are cleared (empty retained payload). */
  private clearSys(name: string): void {
    for (const k of ['connected', 'queued', 'forwarded/in', 'forwarded/out', 'last-error']) {
      this.host.publish(`$SYS/broker/bridges/${name}/${k}`, '', { qos: 0, retain: true });
    }
  }
}

function same(a: ResolvedBridge, b: ResolvedBridge): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function remoteFilters(b: ResolvedBridge): string[] {
  return b.topics.filter((t) => t.direction !== 'out').map((t) => t.remoteFilter);
}
