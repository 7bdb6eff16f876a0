import { ClientError, ClientErrorCode } from './errors.js';
import type {
  Message,
  PublishOptions,
  PublishResult,
  SubscribeOptions,
  SubscribeResult,
} from './types.js';

/** Options of `client.request()`. */
export interface RequestOptions extends PublishOptions {
  /** Milliseconds to wait for the response (default 10000). */
  timeout?: number;
  /** Response topic to use instead of the client's own. */
  responseTopic?: string;
}

/** What the requester needs from the client (kept narrow to avoid a cycle). */
export interface RequestHost {
  readonly clientId: string;
  readonly protocolVersion: number;
  subscribe(filter: string, options: SubscribeOptions): Promise<SubscribeResult>;
  publish(
    topic: string,
    payload: string | Uint8Array,
    options: PublishOptions,
  ): Promise<PublishResult>;
  on(event: 'message', listener: (msg: Message) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

interface Waiting {
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * MQTT 5 request/response: publishes with a Response Topic and fresh Correlation Data and
 * resolves with the first message on that topic carrying the same Correlation Data.
 */
export class Requester {
  private readonly waiting = new Map<string, Waiting>();
  private readonly subscribed = new Map<string, Promise<SubscribeResult>>();
  private counter = 0;
  private readonly nonce = Math.random().toString(36).slice(2, 10);

  constructor(
    private readonly host: RequestHost,
    private readonly prefix: string | undefined,
  ) {
    host.on('message', (msg) => this.onMessage(msg));
    host.on('close', () => {
      for (const [, w] of this.waiting) {
        clearTimeout(w.timer);
        w.reject(new ClientError(ClientErrorCode.ClientClosed, 'the client is closed'));
      }
      this.waiting.clear();
    });
  }

  async request(
    topic: string,
    payload: string | Uint8Array,
    options: RequestOptions = {},
  ): Promise<Message> {
    if (this.host.protocolVersion !== 5) {
      throw new ClientError(ClientErrorCode.InvalidArgument, 'request() needs MQTT 5');
    }
    const responseTopic =
      options.responseTopic ?? `${this.prefix ?? `petrel/rr/${this.host.clientId}/`}${this.nonce}`;
    let sub = this.subscribed.get(responseTopic);
    if (sub === undefined) {
      sub = this.host.subscribe(responseTopic, { qos: options.qos ?? 1 });
      this.subscribed.set(responseTopic, sub);
      sub.catch(() => this.subscribed.delete(responseTopic));
    }
    const result = await sub;
    const granted = result.granted[0];
    if (granted === undefined || granted.reasonCode >= 0x80) {
      this.subscribed.delete(responseTopic);
      throw new ClientError(
        ClientErrorCode.InvalidArgument,
        `cannot subscribe to response topic '${responseTopic}'`,
        granted?.reasonCode ?? 0x80,
      );
    }
    const correlation = Buffer.from(`${this.nonce}:${++this.counter}`, 'utf8');
    const key = correlation.toString('hex');
    const timeout = options.timeout ?? 10_000;
    const response = new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(
          new ClientError(
            ClientErrorCode.RequestTimeout,
            `no response on '${responseTopic}' within ${timeout} ms`,
          ),
        );
      }, timeout);
      this.waiting.set(key, { resolve, reject, timer });
    });
    const { timeout: _t, responseTopic: _r, ...publishOptions } = options;
    try {
      await this.host.publish(topic, payload, {
        ...publishOptions,
        properties: { ...options.properties, responseTopic, correlationData: correlation },
      });
    } catch (err) {
      const w = this.waiting.get(key);
      if (w !== undefined) {
        clearTimeout(w.timer);
        this.waiting.delete(key);
      }
      throw err;
    }
    return response;
  }

  private onMessage(msg: Message): void {
    const data = msg.properties?.correlationData;
    if (data === undefined) return;
    const key = data.toString('hex');
    const w = this.waiting.get(key);
    if (w === undefined) return;
    this.waiting.delete(key);
    clearTimeout(w.timer);
    w.resolve(msg);
  }
}
