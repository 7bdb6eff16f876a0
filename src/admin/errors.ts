// The admin API's JSON errors: every 4xx names the problem and, where one is at fault, the field.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { MqttError } from '../codec/errors.js';
import type { Logger } from '../observability/logger.js';

/** A refusal with its HTTP status, a stable code and the field at fault. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The body of every error answer. */
export interface ErrorBody {
  error: string;
  message: string;
  field?: string;
}

/** `404 not_found` for a missing client, session, retained message… */
export const notFound = (what: string, field: string): ApiError =>
  new ApiError(404, 'not_found', `${what} not found`, field);

/** The field a schema validation error points at, e.g. `body.qos` or `querystring.limit`. */
function validationField(err: FastifyError): string {
  const v = err.validation?.[0];
  const context = err.validationContext ?? 'body';
  if (v === undefined) return context;
  const path = v.instancePath
    .split('/')
    .filter((p) => p !== '')
    .join('.');
  const missing =
    (v.params as { missingProperty?: string; additionalProperty?: string }).missingProperty ??
    (v.params as { additionalProperty?: string }).additionalProperty;
  return [context, path, missing].filter((p) => p !== undefined && p !== '').join('.');
}

/** Fastify's error handler for the admin server. */
export function errorHandler(log: Logger) {
  return (err: FastifyError | ApiError, req: FastifyRequest, reply: FastifyReply): void => {
    let status: number;
    let body: ErrorBody;
    if (err instanceof ApiError) {
      status = err.status;
      body = { error: err.code, message: err.message };
      if (err.field !== undefined) body.field = err.field;
    } else if (err.validation !== undefined) {
      const field = validationField(err);
      status = 400;
      body = {
        error: 'invalid_request',
        field,
        message: `${field}: ${err.validation[0]?.message ?? 'invalid'}`,
      };
    } else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
      body = { error: 'bad_request', message: err.message };
    } else {
      log.error({ err, method: req.method, url: req.url }, 'admin API request failed');
      status = 500;
      body = { error: 'internal', message: 'internal error (see the broker log)' };
    }
    void reply.code(status).type('application/json').send(body);
  };
}

/** Runs `f`; a TypeError or MqttError it throws (bad input) becomes a 400 naming `field`. */
export function asInput<T>(field: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const e = err as Error;
    if (e instanceof TypeError || e instanceof MqttError) {
      throw new ApiError(400, 'invalid_request', `${field}: ${e.message}`, field);
    }
    throw err;
  }
}
