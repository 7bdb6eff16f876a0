// Petrel's own broker behind the same test interface as Mosquitto (see brokers.ts).
import type { BrokerOptions } from '../../../src/broker.js';
import { StateImage } from '../../../src/persistence/image.js';
import { MemoryStore } from '../../../src/persistence/memory.js';
import { startBroker } from '../../helpers/broker.js';
import type { BrokerKind, BrokerSettings, TestBroker } from './brokers.js';

function options(settings: BrokerSettings): BrokerOptions {
  const o: BrokerOptions = {};
  if (settings.maxPacketSize !== undefined) o.maxPacketSize = settings.maxPacketSize;
  if (settings.receiveMaximum !== undefined) o.receiveMaximum = settings.receiveMaximum;
  if (settings.maxKeepAlive !== undefined) o.maxKeepAlive = settings.maxKeepAlive;
  if (settings.maxQoS !== undefined) o.maximumQoS = settings.maxQoS;
  if (settings.retainAvailable !== undefined) o.retainAvailable = settings.retainAvailable;
  if (settings.topicAliasMaximum !== undefined) o.topicAliasMaximum = settings.topicAliasMaximum;
  if (settings.anonymous === false) {
    o.hooks = {
      authenticate: (req) => (req.username !== undefined ? true : { reasonCode: 0x87 }),
    };
  }
  return o;
}

/** The Petrel broker kind. */
export async function petrelKind(): Promise<BrokerKind> {
  return {
    name: 'petrel',
    async start(settings = {}) {
      const base = options(settings);
      // Persistence across restarts: every incarnation opens the same in-memory image.
      const image = settings.persistence ? new StateImage() : undefined;
      const withStore = (o: BrokerOptions): BrokerOptions =>
        image !== undefined ? { ...o, store: new MemoryStore({ image }) } : o;
      let current = await startBroker(withStore(base));
      const port = current.port;
      let running = true;
      const stop = async (): Promise<void> => {
        if (!running) return;
        running = false;
        await current.close();
      };
      const start = async (): Promise<void> => {
        if (running) return;
        // The port may still be in TIME_WAIT-free closing for a moment: retry briefly.
        for (let i = 0; ; i++) {
          try {
            current = await startBroker(withStore({ ...base, port }));
            running = true;
            return;
          } catch (err) {
            if (i >= 20) throw err;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      };
      const broker: TestBroker = {
        name: 'petrel',
        url: current.url,
        port,
        restart: async () => {
          await stop();
          await start();
        },
        kill: stop,
        start,
        close: stop,
      };
      return broker;
    },
  };
}
