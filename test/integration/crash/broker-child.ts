// Child-process entry for the crash tests: runs the real broker with the LMDB store on the data
// directory given as argv[2] and prints one JSON line on stdout: {"port":N} once listening, or
// {"error":code,"message":…} when the store refuses to open. Logs go to stderr as pino JSON.
// Optional argv[3]: 'salvage' or 'reset' to start over a damaged database instead of refusing.
import { pino } from 'pino';
import { createBroker } from '../../../src/broker.js';
import { LmdbStore } from '../../../src/persistence/lmdb/index.js';
import { StoreError } from '../../../src/persistence/types.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: broker-child.js <data-dir> [salvage|reset]');
const logger = pino({ level: 'info' }, pino.destination(2));
const store = new LmdbStore({
  dir,
  durability: 'sync',
  onCorrupt:
    process.argv[3] === 'reset' || process.argv[3] === 'salvage' ? process.argv[3] : 'refuse',
  log: logger,
});
const broker = createBroker({
  port: 0,
  host: '127.0.0.1',
  sysInterval: 0,
  closeTimeoutMs: 200,
  store,
  logger,
});
try {
  await broker.listen();
  const tcp = broker.addresses().find((a) => a.type === 'tcp');
  process.stdout.write(`${JSON.stringify({ port: tcp?.port })}\n`);
} catch (err) {
  const code = err instanceof StoreError ? err.code : 'START';
  const message = err instanceof Error ? err.message : String(err);
  process.stdout.write(`${JSON.stringify({ error: code, message })}\n`);
  process.exitCode = 1;
}
process.on('SIGTERM', () => {
  void broker.close().finally(() => {
    process.exitCode = 0;
  });
});
