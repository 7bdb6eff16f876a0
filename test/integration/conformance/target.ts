import { createBroker } from '../../../src/broker.js';
import { startMosquitto } from '../../helpers/mosquitto-conf.js';
import type { Target } from './runner.js';

/** A running broker for the suite plus the function that stops it. */
export interface RunningTarget {
  target: Target;
  stop(): Promise<void>;
}

/**
 * `CONFORMANCE_TARGET=mosquitto` validates the cases against Debian's Mosquitto; the default is
 * Petrel, started in-process on port 0.
 */
export async function startTarget(): Promise<RunningTarget> {
  if (process.env.CONFORMANCE_TARGET === 'mosquitto') {
    const m = await startMosquitto();
    return {
      target: { name: 'mosquitto', host: m.host, port: m.port, requireV5Reason: false },
      stop: () => m.stop(),
    };
  }
  return startPetrel();
}

async function startPetrel(): Promise<RunningTarget> {
  const broker = createBroker({ port: 0, host: '127.0.0.1' });
  await broker.listen();
  const addr = broker.address();
  if (addr === undefined) throw new Error('Petrel did not report a listening address');
  return {
    target: {
      name: 'petrel',
      host: '127.0.0.1',
      port: addr.port,
      requireV5Reason: true,
      closeMs: 1000,
    },
    stop: () => broker.close(),
  };
}
