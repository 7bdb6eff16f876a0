// GET /api/v1/subscriptions: every subscription within a filter.
import type { FastifyInstance } from 'fastify';
import type { Broker } from '../../broker/broker.js';
import type { SubEntry } from '../../broker/routing/subscription.js';
import { filterCovers, validateTopicFilter } from '../../codec/topic.js';
import { asInput } from '../errors.js';
import type { PageQuery } from '../paging.js';
import { PAGE_QUERY, page, pageSchema } from '../paging.js';
import { SUBSCRIPTION, subscriptionView } from './views.js';

/** `GET /api/v1/subscriptions`. */
export function subscriptionRoutes(app: FastifyInstance, broker: Broker): void {
  app.get<{ Querystring: PageQuery & { filter?: string; client?: string } }>(
    '/api/v1/subscriptions',
    {
      schema: {
        summary: 'Subscriptions whose filter lies within `filter`, paged',
        description:
          'filter=sensors/# lists subscriptions to sensors/#, sensors/+/t, sensors/1…; shared subscriptions are matched by their filter without the $share/group/ prefix. Ordered by client id, then filter.',
        tags: ['subscriptions'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            filter: { type: 'string', default: '#', description: 'a topic filter' },
            client: { type: 'string', description: 'one client id only' },
            ...PAGE_QUERY,
          },
        },
        response: { 200: pageSchema(SUBSCRIPTION) },
      },
    },
    (req) => {
      const q = req.query;
      const filter = q.filter ?? '#';
      asInput('querystring.filter', () => validateTopicFilter(filter, { shared: false }));
      const matched: SubEntry[] = [];
      const sessions =
        q.client === undefined ? broker.sessions.values() : [broker.sessions.get(q.client)];
      for (const s of sessions) {
        if (s === undefined || !s.hasSubscriptions) continue;
        for (const e of s.subscriptions.values()) {
          if (filterCovers(filter, e.topicFilter)) matched.push(e);
        }
      }
      // The NUL separator sorts a client's filters together, before the next client's.
      return page(matched, (e) => `${e.session.clientId}\0${e.filter}`, q, subscriptionView);
    },
  );
}
