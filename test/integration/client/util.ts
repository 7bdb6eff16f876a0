// Small helpers shared by the client tests.
import type { MqttClient } from '../../../src/client/client.js';
import { connect } from '../../../src/client/connect.js';
import type { ClientOptions } from '../../../src/client/options.js';
import type { Message } from '../../../src/client/types.js';

/** Tracks clients so every test can close what it opened. */
export class Clients {
  private readonly list: MqttClient[] = [];

  async connect(url: string, options: ClientOptions = {}): Promise<MqttClient> {
    const c = await connect(url, { reconnect: false, ...options });
    this.list.push(c);
    return c;
  }

  track(c: MqttClient): MqttClient {
    this.list.push(c);
    return c;
  }

  closeAll(): void {
    for (const c of this.list.splice(0)) c.destroy();
  }
}

/** The next `n` messages the client receives, or a rejection after `ms`. */
export function nextMessages(client: MqttClient, n: number, ms = 3000): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const got: Message[] = [];
    const timer = setTimeout(() => {
      client.off('message', on);
      reject(new Error(`got ${got.length} of ${n} messages within ${ms} ms`));
    }, ms);
    const on = (m: Message): void => {
      got.push(m);
      if (got.length >= n) {
        clearTimeout(timer);
        client.off('message', on);
        resolve(got);
      }
    };
    client.on('message', on);
  });
}

/** Resolves when the client emits `event`, rejects after `ms`. */
export function once<T extends unknown[]>(
  client: MqttClient,
  event: 'connect' | 'offline' | 'close' | 'reconnect',
  ms = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    client.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let seq = 0;
/** A topic no other test uses. */
export function uniqueTopic(prefix = 't'): string {
  return `petrel-test/${prefix}/${process.pid}/${++seq}`;
}
