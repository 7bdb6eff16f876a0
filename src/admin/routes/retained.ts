// /api/v1/retained: retained messages within a filter (paged), one read, one deleted.
import type { FastifyInstance } from 'fastify';
import type { Broker } from '../../broker/broker.js';
import type { Message } from '../../broker/message.js';
import { topicLevels } from '../../broker/message.js';
import { validateTopicFilter, validateTopicName } from '../../codec/topic.js';
import { asInput, notFound } from '../errors.js';
import type { PageQuery } from '../paging.js';
import { PAGE_QUERY, page, pageSchema } from '../paging.js';
import { RETAINED, RETAINED_DETAIL, retainedDetail, retainedView } from './views.js';

const TOPIC_QUERY = {
  type: 'object',
  required: ['topic'],
  additionalProperties: false,
  properties: { topic: { type: 'string', minLength: 1, description: 'a topic name' } },
};

/** The retained message of `topic`, or a 404 (400 for a bad topic name). */
function retainedOf(broker: Broker, topic: string): Message {
  asInput('querystring.topic', () => validateTopicName(topic));
  const m = broker.router.retained.get(topicLevels(topic));
  if (m === undefined || m.levels[0] === '$SYS') {
    throw notFound(`retained message of ${JSON.stringify(topic)}`, 'querystring.topic');
  }
  return m;
}

/** The retained routes. */
export function retainedRoutes(app: FastifyInstance, broker: Broker): void {
  app.get<{ Querystring: PageQuery & { filter?: string } }>(
    '/api/v1/retained',
    {
      schema: {
        summary: 'Retained messages matching a filter, by topic, paged ($SYS excluded)',
        tags: ['retained'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            filter: { type: 'string', default: '#', description: 'a topic filter' },
            ...PAGE_QUERY,
          },
        },
        response: { 200: pageSchema(RETAINED) },
      },
    },
    (req) => {
      const filter = req.query.filter ?? '#';
      asInput('querystring.filter', () => validateTopicFilter(filter, { shared: false }));
      const found = broker.router.retained.match(filter, []).filter((m) => m.levels[0] !== '$SYS');
      return page(found, (m) => m.topic, req.query, retainedView);
    },
  );

  app.get<{ Querystring: { topic: string } }>(
    '/api/v1/retained/message',
    {
      schema: {
        summary: 'The retained message of one topic, with its payload',
        tags: ['retained'],
        querystring: TOPIC_QUERY,
        response: { 200: RETAINED_DETAIL },
      },
    },
    (req) => retainedDetail(retainedOf(broker, req.query.topic)),
  );

  app.delete<{ Querystring: { topic: string } }>(
    '/api/v1/retained/message',
    {
      schema: {
        summary: 'Delete the retained message of one topic (nothing is published)',
        tags: ['retained'],
        querystring: TOPIC_QUERY,
        response: { 200: { type: 'object', properties: { deleted: { type: 'boolean' } } } },
      },
    },
    (req) => {
      retainedOf(broker, req.query.topic);
      broker.deleteRetained(req.query.topic);
      return { deleted: true };
    },
  );
}
