import { Duplex } from 'node:stream';

/**
 * One end of an in-process byte pipe: what one end writes, the other reads, with back-pressure
 * (a write completes once the reader has room) and closes passed across. The bridges' local
 * side talks MQTT to the broker over it, so their session is an ordinary broker session.
 */
class PipeEnd extends Duplex {
  peer: PipeEnd | undefined = undefined;
  /** The peer's write waiting for this end's reader to want more. */
  private blocked: ((error?: Error | null) => void) | undefined = undefined;

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error | null) => void) {
    const peer = this.peer;
    if (peer === undefined || peer.destroyed) {
      done(new Error('pipe closed'));
      return;
    }
    if (peer.push(chunk)) done();
    else peer.blocked = done;
  }

  override _read(): void {
    const done = this.blocked;
    this.blocked = undefined;
    done?.();
  }

  override _final(done: (e?: Error | null) => void): void {
    this.peer?.push(null);
    done();
  }

  override _destroy(error: Error | null, done: (e?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = undefined;
    const blocked = this.blocked;
    this.blocked = undefined;
    blocked?.(new Error('pipe closed'));
    if (peer !== undefined && !peer.destroyed) peer.destroy();
    done(error);
  }
}

/** Two connected in-process stream ends. */
export function pipePair(): [Duplex, Duplex] {
  const a = new PipeEnd();
  const b = new PipeEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
