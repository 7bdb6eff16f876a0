// Serves Aedes (npm) over node:net on the port given as argv[2], for the macro benchmark.
// Prints "ready PORT" once listening; exits on SIGTERM.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2] ?? '0');
const aedes = await Aedes.createBroker();
const server = createServer(aedes.handle);
server.listen(port, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`ready ${typeof a === 'object' && a !== null ? a.port : port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  aedes.close(() => process.exit(0));
});
