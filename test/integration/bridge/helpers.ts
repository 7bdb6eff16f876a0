// Shared pieces of the bridge tests: clients that collect what they receive, and waits that are
// bounded in time.
import { connect, type MqttClient } from '../../../src/index.js';

/** A client subscribed to `filter` that records every message (topic, payload, QoS). */
export interface Collector {
  client: MqttClient;
  messages: Array<{ topic: string; payload: string; qos: number; retain: boolean }>;
  /** Resolves once `n` messages are recorded; rejects after `ms`. */
  waitFor(n: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

/** Connects to `url`, subscribes to `filter` at `qos`, and records what arrives. */
export async function collect(
  url: string,
  filter: string,
  qos: 0 | 1 | 2,
  options: { clientId?: string; clean?: boolean; protocolVersion?: 4 | 5 } = {},
): Promise<Collector> {
  const client = await connect(url, {
    clientId: options.clientId ?? `c-${Math.random().toString(16).slice(2, 10)}`,
    clean: options.clean ?? true,
    protocolVersion: options.protocolVersion ?? 5,
    reconnect: { initialDelay: 100, maxDelay: 500 },
    properties: options.clean === false ? { sessionExpiryInterval: 3600 } : {},
  });
  const messages: Collector['messages'] = [];
  client.on('message', (m) => {
    messages.push({ topic: m.topic, payload: m.payload.toString(), qos: m.qos, retain: m.retain });
  });
  await client.subscribe(filter, { qos });
  return {
    client,
    messages,
    waitFor: (n, ms = 10_000) =>
      until(() => messages.length >= n, ms, `${n} messages on ${filter}`),
    close: async () => {
      await client.disconnect().catch(() => client.destroy());
    },
  };
}

/** Polls `test` every 20 ms until it holds; rejects naming `what` after `ms`. */
export async function until(test: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves once the retained `$SYS/broker/bridges/<name>/connected` of the broker at `url` is `value`. */
export async function bridgeState(url: string, name: string, value: '0' | '1', ms = 10_000) {
  const c = await collect(url, `$SYS/broker/bridges/${name}/connected`, 0);
  try {
    await until(
      () => c.messages.at(-1)?.payload === value,
      ms,
      `bridge ${name} connected=${value}`,
    );
  } finally {
    await c.close();
  }
}

/** Payloads in arrival order. */
export function payloads(c: Collector): string[] {
  return c.messages.map((m) => m.payload);
}
