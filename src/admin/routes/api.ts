// The /api/v1/ routes, one module per resource.
import type { FastifyInstance } from 'fastify';
import type { Broker } from '../../broker/broker.js';
import type { AdminOptions } from '../options.js';
import { bridgeRoutes } from './bridges.js';
import { brokerRoutes } from './broker-info.js';
import { clientRoutes } from './clients.js';
import { publishRoutes } from './publish.js';
import { retainedRoutes } from './retained.js';
import { roleRoutes } from './roles.js';
import { sessionRoutes } from './sessions.js';
import { subscriptionRoutes } from './subscriptions.js';
import { userRoutes } from './users.js';

/** Registers every `/api/v1/` route. */
export function apiRoutes(app: FastifyInstance, broker: Broker, options: AdminOptions): void {
  brokerRoutes(app, broker, options);
  clientRoutes(app, broker);
  sessionRoutes(app, broker);
  subscriptionRoutes(app, broker);
  retainedRoutes(app, broker);
  publishRoutes(app, broker);
  bridgeRoutes(app, broker);
  if (options.security !== undefined) {
    userRoutes(app, options.security);
    roleRoutes(app, options.security);
  }
}
