// The /api/v1/ routes, one module per resource.
import type { FastifyInstance } from 'fastify';
import type { Broker } from '../../broker/broker.js';
import type { AdminOptions } from '../options.js';
import { brokerRoutes } from './broker-info.js';

/** Registers every `/api/v1/` route. */
export function apiRoutes(app: FastifyInstance, broker: Broker, options: AdminOptions): void {
  brokerRoutes(app, broker, options);
}
