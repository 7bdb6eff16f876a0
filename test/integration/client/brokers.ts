// The brokers every client test runs against: Debian's Mosquitto (the reference) and, once it
// exists in this build, Petrel's own broker.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasMosquitto, startMosquitto } from '../../helpers/mosquitto.js';

/** Broker settings a test needs, mapped to each broker's own configuration. */
export interface BrokerSettings {
  /** v5 Maximum Packet Size announced in CONNACK. */
  maxPacketSize?: number;
  /** v5 Receive Maximum announced in CONNACK. */
  receiveMaximum?: number;
  /** Largest keep-alive accepted; a larger one comes back as Server Keep Alive. */
  maxKeepAlive?: number;
  /** v5 Maximum QoS announced in CONNACK. */
  maxQoS?: 0 | 1;
  /** v5 Retain Available = 0 when false. */
  retainAvailable?: boolean;
  /** v5 Topic Alias Maximum announced in CONNACK. */
  topicAliasMaximum?: number;
  /** Refuse clients without credentials. */
  anonymous?: boolean;
  /** Keep sessions across restarts. */
  persistence?: boolean;
}

export interface TestBroker {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** Stop and start again on the same port (sessions survive only with `persistence`). */
  restart(): Promise<void>;
  /** Stop abruptly; `start()` brings it back on the same port. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Freeze (stop answering without closing sockets), when the broker supports it. */
  pause?(): void;
  resume?(): void;
  close(): Promise<void>;
}

export interface BrokerKind {
  name: string;
  start(settings?: BrokerSettings): Promise<TestBroker>;
}

function mosquittoKind(): BrokerKind {
  return {
    name: 'mosquitto',
    async start(settings = {}) {
      const config: string[] = [];
      if (settings.maxPacketSize !== undefined) {
        config.push(`max_packet_size ${settings.maxPacketSize}`);
      }
      if (settings.receiveMaximum !== undefined) {
        config.push(`max_inflight_messages ${settings.receiveMaximum}`);
      }
      if (settings.maxKeepAlive !== undefined)
        config.push(`max_keepalive ${settings.maxKeepAlive}`);
      if (settings.maxQoS !== undefined) config.push(`max_qos ${settings.maxQoS}`);
      if (settings.retainAvailable === false) config.push('retain_available false');
      if (settings.topicAliasMaximum !== undefined) {
        config.push(`max_topic_alias ${settings.topicAliasMaximum}`);
      }
      const m = await startMosquitto({
        config,
        persistence: settings.persistence ?? false,
        anonymous: settings.anonymous ?? true,
      });
      let running = true;
      return {
        name: 'mosquitto',
        url: m.url,
        port: m.port,
        restart: async () => {
          await m.restart();
          running = true;
        },
        kill: async () => {
          await m.kill();
          running = false;
        },
        start: async () => {
          if (!running) await m.restart();
          running = true;
        },
        pause: () => m.pause(),
        resume: () => m.resume(),
        close: () => m.close(),
      };
    },
  };
}

async function petrelKind(): Promise<BrokerKind | undefined> {
  const helper = fileURLToPath(new URL('../../helpers/broker.js', import.meta.url));
  if (!existsSync(helper)) return undefined;
  // A computed specifier: the adapter only exists once Petrel's broker does.
  const adapter = './petrel-broker.js';
  const mod = (await import(adapter)) as { petrelKind: () => Promise<BrokerKind> };
  return mod.petrelKind();
}

/** The broker kinds available in this build. */
export async function brokerKinds(): Promise<BrokerKind[]> {
  const kinds: BrokerKind[] = [];
  if (hasMosquitto()) kinds.push(mosquittoKind());
  const petrel = await petrelKind();
  if (petrel !== undefined) kinds.push(petrel);
  return kinds;
}
