import { parseSharedSubscription, topicMatches } from '../codec/topic.js';
import { Queue } from './queue.js';
import type { Message } from './types.js';

/**
 * The async iterator behind `client.messages(filter)`. Messages are buffered; once a stream
 * holds `highWaterMark` messages the client stops reading from the socket (TCP back-pressure
 * reaches the broker) until the consumer has caught up to half of that.
 */
export class MessageStream implements AsyncIterableIterator<Message> {
  readonly filter: string | undefined;
  /** The filter messages are matched against: a shared subscription's without `$share/g/`. */
  private readonly match: string | undefined;
  private readonly buffer = new Queue<Message>();
  private waiting: ((r: IteratorResult<Message>) => void) | undefined;
  private failWaiting: ((err: unknown) => void) | undefined;
  private done = false;
  private error: unknown;

  constructor(
    filter: string | undefined,
    readonly highWaterMark: number,
    private readonly onRelease: (stream: MessageStream) => void,
    private readonly onClose: (stream: MessageStream) => void,
  ) {
    this.filter = filter;
    this.match =
      filter === undefined ? undefined : (parseSharedSubscription(filter)?.filter ?? filter);
  }

  /** Messages buffered and not yet consumed. */
  get size(): number {
    return this.buffer.length;
  }

  /** True when this stream holds at least `highWaterMark` messages. */
  get full(): boolean {
    return this.buffer.length >= this.highWaterMark;
  }

  /** Whether a message with this topic belongs to this stream. */
  accepts(topic: string): boolean {
    return this.match === undefined || topicMatches(this.match, topic);
  }

  /** Hands over a message; called by the client. */
  push(msg: Message): void {
    if (this.done) return;
    const waiting = this.waiting;
    if (waiting !== undefined) {
      this.waiting = undefined;
      this.failWaiting = undefined;
      waiting({ value: msg, done: false });
      return;
    }
    this.buffer.push(msg);
  }

  /** Ends the stream: buffered messages are still delivered, then iteration stops (or throws). */
  end(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    this.onClose(this);
    if (this.waiting !== undefined && this.buffer.length === 0) this.settleWaiting();
  }

  next(): Promise<IteratorResult<Message>> {
    const msg = this.buffer.shift();
    if (msg !== undefined) {
      if (this.buffer.length <= this.highWaterMark >> 1) this.onRelease(this);
      return Promise.resolve({ value: msg, done: false });
    }
    if (this.done) {
      if (this.error !== undefined) {
        const err = this.error;
        this.error = undefined;
        return Promise.reject(err);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<Message>> {
    this.buffer.drain();
    this.error = undefined;
    this.end();
    this.onRelease(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    return this;
  }

  private settleWaiting(): void {
    const resolve = this.waiting;
    const reject = this.failWaiting;
    this.waiting = undefined;
    this.failWaiting = undefined;
    if (this.error !== undefined && reject !== undefined) {
      const err = this.error;
      this.error = undefined;
      reject(err);
    } else resolve?.({ value: undefined, done: true });
  }
}
