import type { FrameHandler } from '../codec/framer.js';
import { Framer } from '../codec/framer.js';
import type { Transport } from './transport.js';

/**
 * One transport to the broker and what belongs to it alone: the framer of its byte stream and
 * its outgoing bytes. A reconnection makes a new one; late callbacks of an old one are told
 * apart by identity.
 */
export class Connection {
  /** Undefined while the transport is still opening. */
  transport: Transport | undefined = undefined;
  readonly framer: Framer;
  writable = true;
  open = true;
  /** Set by disconnect(): the close that follows is wanted, not a loss. */
  closing = false;
  private out: Buffer[] = [];
  private flushScheduled = false;
  private readonly flushTask = (): void => this.flush();

  constructor(onFrame: FrameHandler, maxPacketSize: number | undefined) {
    this.framer = new Framer(onFrame, maxPacketSize);
  }

  /** Queues encoded bytes; one write per turn, so many publishes in a loop become one syscall. */
  write(bytes: Buffer): void {
    this.out.push(bytes);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushTask);
    }
  }

  /** Writes what is queued now. */
  flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0 || this.transport === undefined) return;
    const data = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    if (!this.open) return;
    if (!this.transport.write(data)) this.writable = false;
  }

  /** Ends the transport after what was written; destroys it if still open after `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    const transport = this.transport;
    if (transport === undefined || !this.open) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        transport.destroy();
        resolve();
      }, timeoutMs);
      const check = (): void => {
        if (!this.open) {
          clearTimeout(timer);
          resolve();
        } else setTimeout(check, 5);
      };
      this.closing = true;
      transport.end();
      check();
    });
  }
}
