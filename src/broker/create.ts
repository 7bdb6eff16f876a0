import { MemoryStore } from '../persistence/memory.js';
import type { Store } from '../persistence/types.js';
import { Broker } from './broker.js';
import { Listeners } from './listeners.js';
import type { BrokerOptions, ResolvedOptions } from './options.js';

/**
 * Creates a broker (not yet listening): `const broker = createBroker({ port: 0 });
 * await broker.listen();`. Without `options.store`, state lives in a `MemoryStore`, written to
 * only when `durability` asks for it; the listeners are the TCP, TLS and WebSocket servers of
 * `options.listeners`.
 */
export function createBroker(options: BrokerOptions = {}): Broker {
  return new Broker(options, { store: defaultStore, network: (host) => new Listeners(host) });
}

/** `options.store`, or a `MemoryStore` that is written to only when `durability` asks for it. */
function defaultStore(o: ResolvedOptions): { store: Store; persistState: boolean } {
  if (o.store !== undefined) return { store: o.store, persistState: true };
  const store = new MemoryStore({ durability: o.durability, intervalMs: o.batchIntervalMs });
  return { store, persistState: o.durability !== 'none' };
}
