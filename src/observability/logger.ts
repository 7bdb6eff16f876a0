import type { Logger } from 'pino';
import { pino } from 'pino';

export type { Logger } from 'pino';

/** Log levels accepted by {@link createLogger}. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * A pino logger. Embedded brokers default to `silent`, so nothing is formatted or written
 * unless the host asks for it.
 */
export function createLogger(level: LogLevel = 'silent', name = 'petrel'): Logger {
  return pino({ name, level });
}

/** The logger used when none is injected. */
export const silentLogger: Logger = pino({ level: 'silent' });
