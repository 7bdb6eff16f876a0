// The OpenAPI 3 document of the admin API, built from the very schemas fastify validates with:
// every route registers through fastify, whose onRoute hook hands its schema here.
import type { RouteOptions } from 'fastify';

// The documentation keys a route schema may carry besides what fastify validates.
declare module 'fastify/types/schema.js' {
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: string[];
  }
}

interface RouteDoc {
  method: string;
  path: string;
  schema: Record<string, unknown>;
}

/** HTTP methods documented per route (HEAD is fastify's automatic twin of GET). */
const DOCUMENTED = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Collects the routes under `/api/` and renders them as an OpenAPI 3.0 document. */
export class OpenApiCollector {
  private readonly routes: RouteDoc[] = [];

  constructor(private readonly version: string) {}

  /** The onRoute hook. */
  onRoute = (route: RouteOptions): void => {
    // The document does not describe itself.
    if (!route.url.startsWith('/api/') || route.url.endsWith('/openapi.json')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      if (!DOCUMENTED.has(m)) continue;
      this.routes.push({
        method: m.toLowerCase(),
        // `/clients/:id` → `/clients/{id}`
        path: route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
        schema: (route.schema ?? {}) as Record<string, unknown>,
      });
    }
  };

  /** The document. */
  document(): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of this.routes) {
      const s = r.schema;
      const op: Record<string, unknown> = {
        summary: s.summary,
        tags: s.tags,
        parameters: [...parameters(s.params, 'path'), ...parameters(s.querystring, 'query')],
        responses: responses(s.response),
        security: [{ bearer: [] }],
      };
      if (s.description !== undefined) op.description = s.description;
      if (s.body !== undefined) {
        op.requestBody = { required: true, content: { 'application/json': { schema: s.body } } };
      }
      const entry = paths[r.path] ?? {};
      entry[r.method] = op;
      paths[r.path] = entry;
    }
    return {
      openapi: '3.0.3',
      info: {
        title: 'Petrel admin API',
        version: this.version,
        description: 'Administration of a Petrel MQTT broker (docs/admin.md).',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        schemas: { Error: ERROR_SCHEMA },
      },
      paths,
    };
  }
}

/** The JSON schema of every error answer. */
export const ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'stable code, e.g. invalid_request, not_found' },
    message: { type: 'string' },
    field: { type: 'string', description: 'the field at fault, e.g. body.qos' },
  },
};

function parameters(schema: unknown, where: 'path' | 'query'): unknown[] {
  const s = schema as { properties?: Record<string, unknown>; required?: string[] } | undefined;
  if (s?.properties === undefined) return [];
  return Object.entries(s.properties).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || (s.required ?? []).includes(name),
    schema: p,
    ...(typeof (p as { description?: unknown }).description === 'string'
      ? { description: (p as { description: string }).description }
      : {}),
  }));
}

function responses(schema: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [code, s] of Object.entries((schema ?? {}) as Record<string, unknown>)) {
    const desc = (s as { description?: string }).description ?? 'success';
    out[code] = { description: desc, content: { 'application/json': { schema: s } } };
  }
  out['4XX'] = {
    description: 'refused: invalid input, missing credentials or unknown resource',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  return out;
}
