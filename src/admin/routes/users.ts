// /api/v1/users: runtime users of dynamic security (src/auth/dynamic).
import type { FastifyInstance } from 'fastify';
import type { DynamicSecurity, NewUser, UserChange } from '../../auth/dynamic/security.js';
import { notFound } from '../errors.js';
import type { PageQuery } from '../paging.js';
import { PAGE_QUERY, page, pageSchema } from '../paging.js';
import { ROLE_NAMES, securityCall, USER } from './security-schemas.js';

const NAME_PARAMS = {
  type: 'object',
  required: ['username'],
  properties: { username: { type: 'string', description: 'user name' } },
} as const;

/** `GET/POST /api/v1/users`, `GET/PATCH/DELETE /api/v1/users/{username}`. */
export function userRoutes(app: FastifyInstance, security: DynamicSecurity): void {
  app.get<{ Querystring: PageQuery & { prefix?: string } }>(
    '/api/v1/users',
    {
      schema: {
        summary: 'Runtime users, by name, paged',
        tags: ['security'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            prefix: { type: 'string', description: 'user names starting with this' },
            ...PAGE_QUERY,
          },
        },
        response: { 200: pageSchema(USER) },
      },
    },
    (req) => {
      const prefix = req.query.prefix ?? '';
      const users = security.listUsers().filter((u) => u.username.startsWith(prefix));
      return page(
        users,
        (u) => u.username,
        req.query,
        (u) => u,
      );
    },
  );

  app.post<{ Body: NewUser }>(
    '/api/v1/users',
    {
      schema: {
        summary: 'Create a user (scrypt-hashed password)',
        description:
          'Refused with 409 when the name exists, here or in the password file (which takes precedence).',
        tags: ['security'],
        body: {
          type: 'object',
          required: ['username', 'password'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1 },
            password: {
              type: 'string',
              minLength: 1,
              description: 'never stored or returned as such',
            },
            roles: ROLE_NAMES,
            disabled: { type: 'boolean', default: false },
            clientId: {
              type: 'string',
              minLength: 1,
              description: 'binds the user: it may connect with this client id only',
            },
          },
        },
        response: { 201: USER },
      },
    },
    async (req, reply) => {
      const user = await securityCall(() => security.createUser(req.body));
      void reply.code(201);
      return user;
    },
  );

  app.get<{ Params: { username: string } }>(
    '/api/v1/users/:username',
    {
      schema: {
        summary: 'One user',
        tags: ['security'],
        params: NAME_PARAMS,
        response: { 200: USER },
      },
    },
    (req) => {
      const user = security.getUser(req.params.username);
      if (user === undefined)
        throw notFound(`user ${JSON.stringify(req.params.username)}`, 'params.username');
      return user;
    },
  );

  app.patch<{ Params: { username: string }; Body: UserChange }>(
    '/api/v1/users/:username',
    {
      schema: {
        summary: 'Change a user: password, roles, disabled, or bound client id',
        description:
          'Disabling closes the user’s connections (5.0: DISCONNECT 0x87 Not authorized); new roles apply at once, and subscriptions they no longer allow are removed.',
        tags: ['security'],
        params: NAME_PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            password: { type: 'string', minLength: 1 },
            roles: ROLE_NAMES,
            disabled: { type: 'boolean' },
            clientId: {
              type: 'string',
              description:
                'binds the user to this client id (its other connections close); "" unbinds',
            },
          },
        },
        response: { 200: USER },
      },
    },
    (req) => securityCall(() => security.updateUser(req.params.username, req.body)),
  );

  app.delete<{ Params: { username: string } }>(
    '/api/v1/users/:username',
    {
      schema: {
        summary: 'Delete a user; its connections are closed (5.0: DISCONNECT 0x87)',
        tags: ['security'],
        params: NAME_PARAMS,
        response: { 200: { type: 'object', properties: { deleted: { type: 'boolean' } } } },
      },
    },
    async (req) => {
      await securityCall(() => security.deleteUser(req.params.username));
      return { deleted: true };
    },
  );
}
