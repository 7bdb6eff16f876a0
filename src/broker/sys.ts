import { readFileSync } from 'node:fs';
import type { TimerTarget } from '../shared/timing-wheel.js';
import { Timer } from '../shared/timing-wheel.js';
import type { BrokerCore } from './core.js';
import { Message } from './message.js';

/** Counters the broker keeps as plain numbers; `$SYS` and metrics derive from them. */
export class BrokerStats {
  connected = 0;
  maxConnected = 0;
  clientsTotal = 0;
  connectionsRefused = 0;
  /** CONNECTs refused by a connect-rate or pending-authentication limit, or for anonymity. */
  connectsRefused = 0;
  /** CONNECTs refused by the `authenticate` hook (bad or missing credentials). */
  authFailures = 0;
  /** Clients disconnected for exceeding a message or byte rate. */
  rateLimited = 0;
  publishReceived = 0;
  /** `publishReceived` by QoS (index 0, 1, 2). */
  readonly publishReceivedByQos: [number, number, number] = [0, 0, 0];
  publishSent = 0;
  /** `publishSent` by QoS (index 0, 1, 2). */
  readonly publishSentByQos: [number, number, number] = [0, 0, 0];
  bytesReceived = 0;
  bytesSent = 0;
  /** Messages dropped by queue limits, packet size limits or expiry. */
  dropped = 0;
  /**
   * Messages not delivered to one subscriber, by reason: its queue was full, the packet exceeded
   * its Maximum Packet Size, the message expired while queued, or no packet id was free.
   * (`dropped` is the older total behind `$SYS`, which counts neither the expired nor the
   * oversize QoS 0 ones.)
   */
  readonly drops = { queueFull: 0, tooLarge: 0, expired: 0, noPacketId: 0 };
  /** Times a publishing connection stopped being read because a subscriber queue was full. */
  publishersThrottled = 0;
}

/** The version in package.json ("unknown" when it cannot be read). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
    ) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Exponentially-weighted per-minute rates over 1, 5 and 15 minutes (like Unix load averages). */
class Rate {
  readonly avg = [0, 0, 0];
  private last = 0;
  update(total: number, intervalS: number): void {
    const perMinute = ((total - this.last) * 60) / intervalS;
    this.last = total;
    const windows = [60, 300, 900];
    for (let i = 0; i < 3; i++) {
      const a = Math.exp(-intervalS / (windows[i] as number));
      this.avg[i] = (this.avg[i] as number) * a + perMinute * (1 - a);
    }
  }
}

/**
 * Publishes `$SYS/broker/...` as retained messages every `sysInterval` seconds (so a new
 * subscriber gets the current values at once). Counters are read on the tick, never per message.
 */
export class SysPublisher implements TimerTarget {
  private readonly timer = new Timer(this, 1);
  private readonly version = `petrel ${packageVersion()}`;
  private readonly received = new Rate();
  private readonly sent = new Rate();
  /** When the broker was created (clock ms). */
  readonly startedAt: number;

  constructor(private readonly broker: BrokerCore) {
    this.startedAt = broker.clock.now;
  }

  start(): void {
    if (this.broker.options.sysInterval === 0) return;
    this.publishAll();
    this.broker.wheel.schedule(this.timer, this.broker.options.sysInterval * 1000);
  }

  stop(): void {
    this.broker.wheel.cancel(this.timer);
  }

  onTimer(): void {
    const interval = this.broker.options.sysInterval;
    this.received.update(this.broker.stats.publishReceived, interval);
    this.sent.update(this.broker.stats.publishSent, interval);
    this.publishAll();
    this.broker.wheel.schedule(this.timer, interval * 1000);
  }

  /** Current `$SYS` values, topic → text. */
  values(): Array<[string, string]> {
    const b = this.broker;
    const s = b.stats;
    const r = this.received.avg;
    const t = this.sent.avg;
    const f = (n: number) => n.toFixed(2);
    return [
      ['version', this.version],
      ['uptime', `${Math.floor((b.clock.now - this.startedAt) / 1000)} seconds`],
      ['clients/connected', String(s.connected)],
      ['clients/disconnected', String(b.sessions.size - s.connected)],
      ['clients/maximum', String(s.maxConnected)],
      ['clients/total', String(b.sessions.size)],
      ['messages/received', String(s.publishReceived)],
      ['messages/sent', String(s.publishSent)],
      ['messages/dropped', String(s.dropped)],
      ['clients/throttled', String(s.publishersThrottled)],
      ['bytes/received', String(s.bytesReceived)],
      ['bytes/sent', String(s.bytesSent)],
      ['subscriptions/count', String(b.router.trie.count)],
      ['retained messages/count', String(b.router.retained.count)],
      ['load/publish/received/1min', f(r[0] as number)],
      ['load/publish/received/5min', f(r[1] as number)],
      ['load/publish/received/15min', f(r[2] as number)],
      ['load/publish/sent/1min', f(t[0] as number)],
      ['load/publish/sent/5min', f(t[1] as number)],
      ['load/publish/sent/15min', f(t[2] as number)],
    ];
  }

  /** Publishes every value now. */
  publishAll(): void {
    const now = this.broker.clock.now;
    for (const [name, value] of this.values()) {
      const m = new Message(`$SYS/broker/${name}`, Buffer.from(value), 0, true, undefined, '', now);
      m.owned = true;
      this.broker.router.publish(m);
    }
  }
}
