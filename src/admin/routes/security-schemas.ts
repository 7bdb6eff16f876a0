// JSON schemas and error mapping shared by the dynamic-security routes (users.ts, roles.ts).
import { SecurityError } from '../../auth/dynamic/model.js';
import { ApiError } from '../errors.js';

/** One ACL rule. */
export const RULE = {
  type: 'object',
  required: ['action', 'topic', 'permission'],
  additionalProperties: false,
  properties: {
    action: {
      type: 'string',
      enum: ['publish', 'subscribe', 'read'],
      description:
        'publish: the client sends; subscribe: the client asks for a filter this one covers; read: a message is delivered to it',
    },
    topic: {
      type: 'string',
      minLength: 1,
      description:
        'topic filter; a level that is exactly %u or %c stands for the user name or client id',
    },
    permission: { type: 'string', enum: ['allow', 'deny'] },
  },
} as const;

/** An ordered rule list (the first matching rule decides). */
export const RULES = { type: 'array', maxItems: 1000, items: RULE } as const;

/** A user as answered: never its password hash. */
export const USER = {
  type: 'object',
  required: ['username', 'disabled', 'roles'],
  properties: {
    username: { type: 'string' },
    disabled: { type: 'boolean' },
    roles: { type: 'array', items: { type: 'string' }, description: 'in the order consulted' },
    clientId: { type: 'string', description: 'the only client id it may connect with, if set' },
  },
} as const;

/** A role as answered. */
export const ROLE = {
  type: 'object',
  required: ['name', 'rules'],
  properties: { name: { type: 'string' }, rules: RULES },
} as const;

/** A client id's rules as answered. */
export const CLIENT_RULES = {
  type: 'object',
  required: ['clientId', 'rules'],
  properties: { clientId: { type: 'string' }, rules: RULES },
} as const;

/** Role names in a body. */
export const ROLE_NAMES = {
  type: 'array',
  maxItems: 100,
  items: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
} as const;

/** Runs a dynamic-security change; its refusals become the API's JSON errors. */
export async function securityCall<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof SecurityError)
      throw new ApiError(err.status, err.code, err.message, err.field);
    throw err;
  }
}
