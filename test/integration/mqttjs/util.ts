// Small helpers for driving MQTT.js against Petrel in tests: bounded waits and unique names.

import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { connectAsync } from 'mqtt';

export interface Received {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
}

let seq = 0;
/** A name unique within this process (client ids, topics). */
export function unique(prefix: string): string {
  seq++;
  return `${prefix}-${process.pid}-${seq}`;
}

/** Connects MQTT.js with reconnects off and a short connect timeout. */
export function connectClient(url: string, opts: IClientOptions): Promise<MqttClient> {
  return connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000, ...opts });
}

/** Collects messages and lets a test await the n-th one with a deadline. */
export class Inbox {
  readonly messages: Received[] = [];
  private waiters: Array<() => void> = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload, packet });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves once `count` messages arrived; rejects after `ms`. */
  async waitFor(count: number, ms = 3000): Promise<Received[]> {
    const deadline = Date.now() + ms;
    while (this.messages.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`expected ${count} messages, got ${this.messages.length} in ${ms} ms`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.messages;
  }
}

/** Ends every client, forcefully, so nothing keeps the test process alive. */
export async function endAll(clients: MqttClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
