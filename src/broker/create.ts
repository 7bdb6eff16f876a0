import { MemoryStore } from '../persistence/memory.js';
import { Broker } from './broker.js';
import { Listeners } from './listeners.js';
import type { BrokerOptions } from './options.js';
import { resolveOptions } from './options.js';

/**
 * Creates a broker (not yet listening): `const broker = createBroker({ port: 0 });
 * await broker.listen();`. Without `options.store`, state lives in a `MemoryStore`, written to
 * only when `durability` asks for it; the listeners are the TCP, TLS and WebSocket servers of
 * `options.listeners`.
 */
export function createBroker(options: BrokerOptions = {}): Broker {
  const given = options.store;
  let store = given;
  let persistState = true;
  if (store === undefined) {
    const o = resolveOptions(options);
    store = new MemoryStore({ durability: o.durability, intervalMs: o.batchIntervalMs });
    persistState = o.durability !== 'none';
  }
  return new Broker(options, { store, persistState, network: (host) => new Listeners(host) });
}
