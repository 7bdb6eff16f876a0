import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * A WebSocket as a byte stream for the broker. Unlike `ws.createWebSocketStream`, it implements
 * `_writev`: everything the connection wrote in one corked turn goes out as a single binary
 * frame (MQTT over WebSocket allows several packets per frame), instead of one frame per packet
 * each waiting for the previous send to complete.
 */
export class WebSocketStream extends Duplex {
  constructor(private readonly ws: WebSocket) {
    super({ allowHalfOpen: false });
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const chunk = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data);
      if (!isBinary) {
        // [MQTT-6.0.0-1] MQTT travels in binary frames only.
        this.destroy(new Error('text frame on an MQTT WebSocket'));
        return;
      }
      if (!this.push(chunk)) ws.pause();
    });
    ws.on('close', () => {
      this.push(null);
      this.destroy();
    });
    ws.on('error', (err: Error) => this.destroy(err));
  }

  override _read(): void {
    this.ws.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.ws.send(chunk, { binary: true }, cb);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    cb: (err?: Error | null) => void,
  ): void {
    const bufs = new Array<Buffer>(chunks.length);
    for (let i = 0; i < chunks.length; i++) bufs[i] = (chunks[i] as { chunk: Buffer }).chunk;
    this.ws.send(
      bufs.length === 1 ? (bufs[0] as Buffer) : Buffer.concat(bufs),
      { binary: true },
      cb,
    );
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.ws.close();
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    if (this.ws.readyState !== this.ws.CLOSED) this.ws.terminate();
    cb(err);
  }
}
