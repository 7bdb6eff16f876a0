// /api/v1/sessions: every session, online or offline; inspect, delete, and add or remove a
// subscription of one.
import type { FastifyInstance } from 'fastify';
import type { Broker } from '../../broker/broker.js';
import type { ServerSubscribeOptions } from '../../broker/server-ops.js';
import type { Session } from '../../broker/session/session.js';
import { asInput, notFound } from '../errors.js';
import type { PageQuery } from '../paging.js';
import { PAGE_QUERY, page, pageSchema } from '../paging.js';
import { SESSION, SESSION_DETAIL, SUBSCRIPTION, sessionView, subscriptionView } from './views.js';

interface ListQuery extends PageQuery {
  prefix?: string;
  state?: 'online' | 'offline';
}

const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', description: 'client id' } },
};

function sessionOf(broker: Broker, id: string): Session {
  const s = broker.sessions.get(id);
  if (s === undefined) throw notFound(`session ${JSON.stringify(id)}`, 'params.id');
  return s;
}

/** The session routes. */
export function sessionRoutes(app: FastifyInstance, broker: Broker): void {
  app.get<{ Querystring: ListQuery }>(
    '/api/v1/sessions',
    {
      schema: {
        summary: 'Sessions, online and offline, by client id, filtered and paged',
        tags: ['sessions'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            prefix: { type: 'string', description: 'client ids starting with this' },
            state: { type: 'string', enum: ['online', 'offline'] },
            ...PAGE_QUERY,
          },
        },
        response: { 200: pageSchema(SESSION) },
      },
    },
    (req) => {
      const q = req.query;
      const matched: Session[] = [];
      for (const s of broker.sessions.values()) {
        if (q.prefix !== undefined && !s.clientId.startsWith(q.prefix)) continue;
        if (q.state !== undefined && (s.connection !== undefined) !== (q.state === 'online')) {
          continue;
        }
        matched.push(s);
      }
      return page(matched, (s) => s.clientId, q, sessionView);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/sessions/:id',
    {
      schema: {
        summary: 'One session, with its subscriptions',
        tags: ['sessions'],
        params: ID_PARAMS,
        response: { 200: SESSION_DETAIL },
      },
    },
    (req) => {
      const s = sessionOf(broker, req.params.id);
      const subs = s.hasSubscriptions ? [...s.subscriptions.values()] : [];
      return { ...sessionView(s), subscriptions: subs.map(subscriptionView) };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/sessions/:id',
    {
      schema: {
        summary: 'Delete a session (a connected client is disconnected first, without its will)',
        tags: ['sessions'],
        params: ID_PARAMS,
        response: { 200: { type: 'object', properties: { deleted: { type: 'boolean' } } } },
      },
    },
    (req) => {
      sessionOf(broker, req.params.id);
      broker.deleteSession(req.params.id);
      return { deleted: true };
    },
  );

  app.post<{ Params: { id: string }; Body: ServerSubscribeOptions & { filter: string } }>(
    '/api/v1/sessions/:id/subscriptions',
    {
      schema: {
        summary: 'Add (or replace) a subscription of a session',
        description:
          'Made by the operator: the authorizeSubscribe hook is not asked (an ACL reload may later remove it). A connected client gets the matching retained messages.',
        tags: ['subscriptions'],
        params: ID_PARAMS,
        body: {
          type: 'object',
          required: ['filter'],
          additionalProperties: false,
          properties: {
            filter: { type: 'string', minLength: 1 },
            qos: { type: 'integer', enum: [0, 1, 2], default: 0 },
            noLocal: { type: 'boolean' },
            retainAsPublished: { type: 'boolean' },
            retainHandling: { type: 'integer', enum: [0, 1, 2] },
          },
        },
        response: { 201: SUBSCRIPTION },
      },
    },
    (req, reply) => {
      const s = sessionOf(broker, req.params.id);
      const { filter, ...options } = req.body;
      asInput('body.filter', () => broker.subscribe(s.clientId, filter, options));
      void reply.code(201);
      return subscriptionView(
        s.subscriptions.get(filter) as NonNullable<ReturnType<typeof s.subscriptions.get>>,
      );
    },
  );

  app.delete<{ Params: { id: string }; Querystring: { filter: string } }>(
    '/api/v1/sessions/:id/subscriptions',
    {
      schema: {
        summary: 'Remove one subscription of a session',
        tags: ['subscriptions'],
        params: ID_PARAMS,
        querystring: {
          type: 'object',
          required: ['filter'],
          additionalProperties: false,
          properties: { filter: { type: 'string', description: 'the filter as subscribed' } },
        },
        response: { 200: { type: 'object', properties: { removed: { type: 'boolean' } } } },
      },
    },
    (req) => {
      sessionOf(broker, req.params.id);
      if (!broker.unsubscribe(req.params.id, req.query.filter)) {
        throw notFound(`subscription ${JSON.stringify(req.query.filter)}`, 'querystring.filter');
      }
      return { removed: true };
    },
  );
}
