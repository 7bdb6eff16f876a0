// Static files at `/` (the dashboard's assets), from one directory, never outside it.
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/** `GET /` and `GET /*` from `dir` (`/` is `index.html`). */
export function staticRoutes(app: FastifyInstance, dir: string): void {
  const root = resolve(dir);
  const serve = async (path: string) => {
    const file = resolve(join(root, decodeURIComponent(path)));
    if (file !== root && !file.startsWith(root + sep)) {
      throw new ApiError(404, 'not_found', 'no such file', 'path');
    }
    const target = file === root || (await isDir(file)) ? join(file, 'index.html') : file;
    try {
      return {
        body: await readFile(target),
        type: TYPES[extname(target)] ?? 'application/octet-stream',
      };
    } catch {
      throw new ApiError(404, 'not_found', 'no such file', 'path');
    }
  };
  // Public: served without a token (server.ts); the files are the same for everyone.
  app.get('/*', { config: { public: true } }, async (req, reply) => {
    const f = await serve((req.params as { '*': string })['*']);
    void reply.type(f.type).header('x-content-type-options', 'nosniff');
    return f.body;
  });
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
