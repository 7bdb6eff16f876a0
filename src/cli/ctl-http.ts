// The HTTP client of `petrel ctl`: node's http/https (so a CA file can be trusted), one request
// at a time, each bounded in time, JSON in and out.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Where and how `petrel ctl` reaches the admin API. */
export interface ApiTarget {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  token: string | undefined;
  /** PEM CA bundle to trust for HTTPS. */
  ca: Buffer | undefined;
  timeoutMs: number;
}

/** An answer of the API that is not 2xx: its status and JSON error. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Sends one request; resolves with the parsed JSON answer, rejects with an ApiFailure. */
export function apiCall(
  t: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const url = new URL(path, t.url);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (t.token !== undefined) headers.authorization = `Bearer ${t.token}`;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method, headers, timeout: t.timeoutMs, ...(t.ca === undefined ? {} : { ca: t.ca }) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(json);
            return;
          }
          const e = json as { message?: unknown } | undefined;
          const why = typeof e?.message === 'string' ? e.message : text.slice(0, 200);
          reject(new ApiFailure(status, `${method} ${url.pathname}: ${status} ${why}`));
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${url.origin}: no answer within ${t.timeoutMs} ms`)),
    );
    req.on('error', (err) =>
      reject(
        (err as NodeJS.ErrnoException).code === 'ECONNREFUSED'
          ? new Error(`${url.origin}: connection refused (is the broker's --http-port open?)`)
          : err,
      ),
    );
    req.end(payload);
  });
}

/** Most pages `fetchAll` reads: a bound on the loop, far beyond any real listing. */
const MAX_PAGES = 10_000;

/** Reads every page of a list endpoint (`?…&limit=1000&after=…`). */
export async function fetchAll(t: ApiTarget, path: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let after: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const cursor = after === undefined ? '' : `&after=${encodeURIComponent(after)}`;
    const page = (await apiCall(t, 'GET', `${path}${sep}limit=1000${cursor}`)) as {
      items: unknown[];
      next?: string;
    };
    items.push(...page.items);
    if (page.next === undefined) return items;
    after = page.next;
  }
  throw new Error(`${path}: more than ${MAX_PAGES} pages`);
}
