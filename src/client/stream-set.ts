import type { ClientCore, StreamsPart } from './core.js';
import { MessageStream } from './message-stream.js';
import type { Message } from './types.js';

/**
 * The open `messages()` streams and the back-pressure they exert: reading from the broker
 * pauses while a stream is full and resumes once every stream is down to half its mark.
 */
export class StreamSet implements StreamsPart {
  private readonly streams = new Set<MessageStream>();
  private paused = false;
  private readonly release = (): void => this.checkResume();
  private readonly remove = (stream: MessageStream): void => {
    this.streams.delete(stream);
    this.checkResume();
  };

  constructor(private readonly ctx: ClientCore) {}

  /** A new stream of the messages matching `filter` (all when undefined). */
  open(filter: string | undefined): MessageStream {
    const stream = new MessageStream(
      filter,
      this.ctx.opts.highWaterMark,
      this.release,
      this.remove,
    );
    if (this.ctx.state === 'closed') stream.end();
    else this.streams.add(stream);
    return stream;
  }

  /** Hands `msg` to every stream whose filter matches. */
  push(msg: Message): void {
    let full = false;
    for (const s of this.streams) {
      if (s.accepts(msg.topic)) {
        s.push(msg);
        if (s.full) full = true;
      }
    }
    if (full && !this.paused) {
      this.paused = true;
      this.ctx.conn?.transport?.pause();
    }
  }

  /** Ends every stream (the client is closing). */
  endAll(): void {
    for (const s of [...this.streams]) s.end();
    this.streams.clear();
  }

  private checkResume(): void {
    if (!this.paused) return;
    for (const s of this.streams) if (s.size > s.highWaterMark >> 1) return;
    this.paused = false;
    this.ctx.conn?.transport?.resume();
  }
}
