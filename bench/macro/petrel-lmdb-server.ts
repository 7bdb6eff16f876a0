// Serves Petrel with the LMDB store in `sync` durability for the macro benchmark:
// argv = PORT DATA_DIR [QUEUE_LIMIT [QUEUE_BYTES]]. PUBACK leaves only once the message is
// committed to disk.
// Exits on SIGTERM after closing the broker (and the store).
import { createBroker } from '../../src/broker.js';
import { LmdbStore } from '../../src/persistence/lmdb/index.js';

const port = Number(process.argv[2] ?? '0');
const dir = process.argv[3];
if (dir === undefined)
  throw new Error('usage: petrel-lmdb-server.js PORT DATA_DIR [QUEUE_LIMIT [QUEUE_BYTES]]');
const queue = Number(process.argv[4] ?? '10000');
const queueBytes = Number(process.argv[5] ?? String(1 << 30));
const broker = createBroker({
  port,
  host: '127.0.0.1',
  sysInterval: 0,
  maxQueuedMessages: queue,
  maxQueuedBytes: queueBytes,
  maxInflight: 100,
  maxConnections: 50_000,
  store: new LmdbStore({ dir, durability: 'sync', verify: 'never' }),
});
await broker.listen();
process.stdout.write(`ready ${port}\n`);
process.on('SIGTERM', () => {
  void broker.close().finally(() => process.exit(0));
});
