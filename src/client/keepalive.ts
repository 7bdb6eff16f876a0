/**
 * Keep-alive for one connection, on a single timer ticking every half keep-alive period: a
 * PINGREQ goes out when nothing was sent or nothing was received during the last period, and a
 * PINGRESP still missing at the next tick declares the connection dead. Traffic is recorded with
 * two plain flags, so the hot path pays no clock read per packet.
 */
export class KeepAlive {
  /** Set by the client whenever it writes a packet. */
  sent = false;
  /** Set by the client whenever bytes arrive. */
  received = false;
  private outstanding = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private period = 0;

  constructor(
    private readonly ping: () => void,
    private readonly dead: () => void,
  ) {}

  /** Starts (or restarts) with a keep-alive in milliseconds; 0 disables it. */
  start(keepAliveMs: number): void {
    this.stop();
    if (keepAliveMs <= 0) return;
    this.period = Math.max(50, keepAliveMs / 2);
    this.outstanding = false;
    this.sent = true;
    this.received = true;
    this.timer = setTimeout(this.tick, this.period);
  }

  /** A PINGRESP arrived. */
  pong(): void {
    this.outstanding = false;
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.outstanding) {
      this.dead();
      return;
    }
    const idle = !this.sent || !this.received;
    this.sent = false;
    this.received = false;
    // Between two sends there are at most two periods: one keep-alive, as [MQTT-3.1.2-20] asks.
    if (idle) {
      this.outstanding = true;
      this.ping();
    }
    this.timer = setTimeout(this.tick, this.period);
  };
}
