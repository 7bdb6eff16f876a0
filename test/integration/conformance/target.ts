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
  throw new Error('Petrel target not wired yet');
}
