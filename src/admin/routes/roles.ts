// /api/v1/roles and /api/v1/client-rules: the ACL rules of dynamic security (src/auth/dynamic).
import type { FastifyInstance } from 'fastify';
import type { SecurityRule } from '../../auth/dynamic/model.js';
import type { DynamicSecurity } from '../../auth/dynamic/security.js';
import { notFound } from '../errors.js';
import type { PageQuery } from '../paging.js';
import { PAGE_QUERY, page, pageSchema } from '../paging.js';
import { CLIENT_RULES, ROLE, RULES, securityCall } from './security-schemas.js';

const ROLE_PARAMS = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', description: 'role name' } },
} as const;

const CLIENT_PARAMS = {
  type: 'object',
  required: ['clientId'],
  properties: { clientId: { type: 'string', description: 'client id (URL-encoded)' } },
} as const;

const RULES_BODY = {
  type: 'object',
  required: ['rules'],
  additionalProperties: false,
  properties: { rules: RULES },
} as const;

const DELETED = { 200: { type: 'object', properties: { deleted: { type: 'boolean' } } } };

/** Roles and client rules: list, create, read, replace, delete. */
export function roleRoutes(app: FastifyInstance, security: DynamicSecurity): void {
  app.get<{ Querystring: PageQuery }>(
    '/api/v1/roles',
    {
      schema: {
        summary: 'Roles and their rules, by name, paged',
        tags: ['security'],
        querystring: { type: 'object', additionalProperties: false, properties: PAGE_QUERY },
        response: { 200: pageSchema(ROLE) },
      },
    },
    (req) =>
      page(
        security.listRoles(),
        (r) => r.name,
        req.query,
        (r) => r,
      ),
  );

  app.post<{ Body: { name: string; rules?: SecurityRule[] } }>(
    '/api/v1/roles',
    {
      schema: {
        summary: 'Create a role with ordered rules (the first matching rule decides)',
        tags: ['security'],
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
            rules: RULES,
          },
        },
        response: { 201: ROLE },
      },
    },
    async (req, reply) => {
      const role = await securityCall(() => security.createRole(req.body));
      void reply.code(201);
      return role;
    },
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/roles/:name',
    {
      schema: {
        summary: 'One role',
        tags: ['security'],
        params: ROLE_PARAMS,
        response: { 200: ROLE },
      },
    },
    (req) => {
      const role = security.getRole(req.params.name);
      if (role === undefined)
        throw notFound(`role ${JSON.stringify(req.params.name)}`, 'params.name');
      return role;
    },
  );

  app.put<{ Params: { name: string }; Body: { rules: SecurityRule[] } }>(
    '/api/v1/roles/:name',
    {
      schema: {
        summary: 'Replace a role’s rules; they apply at once to connected clients',
        tags: ['security'],
        params: ROLE_PARAMS,
        body: RULES_BODY,
        response: { 200: ROLE },
      },
    },
    (req) => securityCall(() => security.updateRole(req.params.name, req.body.rules)),
  );

  app.delete<{ Params: { name: string } }>(
    '/api/v1/roles/:name',
    {
      schema: {
        summary: 'Delete a role (and take it from every user that had it)',
        tags: ['security'],
        params: ROLE_PARAMS,
        response: DELETED,
      },
    },
    async (req) => {
      await securityCall(() => security.deleteRole(req.params.name));
      return { deleted: true };
    },
  );

  app.get<{ Querystring: PageQuery }>(
    '/api/v1/client-rules',
    {
      schema: {
        summary: 'Client ids with rules of their own, paged',
        tags: ['security'],
        querystring: { type: 'object', additionalProperties: false, properties: PAGE_QUERY },
        response: { 200: pageSchema(CLIENT_RULES) },
      },
    },
    (req) =>
      page(
        security.listClients(),
        (c) => c.clientId,
        req.query,
        (c) => c,
      ),
  );

  app.get<{ Params: { clientId: string } }>(
    '/api/v1/client-rules/:clientId',
    {
      schema: {
        summary: 'The rules of one client id',
        tags: ['security'],
        params: CLIENT_PARAMS,
        response: { 200: CLIENT_RULES },
      },
    },
    (req) => {
      const c = security.getClient(req.params.clientId);
      if (c === undefined) {
        throw notFound(`rules of client ${JSON.stringify(req.params.clientId)}`, 'params.clientId');
      }
      return c;
    },
  );

  app.put<{ Params: { clientId: string }; Body: { rules: SecurityRule[] } }>(
    '/api/v1/client-rules/:clientId',
    {
      schema: {
        summary: 'Set the rules of a client id (consulted before its user’s roles)',
        tags: ['security'],
        params: CLIENT_PARAMS,
        body: RULES_BODY,
        response: { 200: CLIENT_RULES },
      },
    },
    (req) => securityCall(() => security.setClientRules(req.params.clientId, req.body.rules)),
  );

  app.delete<{ Params: { clientId: string } }>(
    '/api/v1/client-rules/:clientId',
    {
      schema: {
        summary: 'Delete the rules of a client id',
        tags: ['security'],
        params: CLIENT_PARAMS,
        response: DELETED,
      },
    },
    async (req) => {
      await securityCall(() => security.deleteClientRules(req.params.clientId));
      return { deleted: true };
    },
  );
}
