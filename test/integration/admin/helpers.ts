// An embedded broker with its admin listener on 127.0.0.1 port 0, and a small HTTP client (node's
// http/https, so a test CA can be trusted) for the admin tests.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AdminOptions, AdminServer } from '../../../src/admin/index.js';
import { startAdmin } from '../../../src/admin/index.js';
import type { BrokerOptions } from '../../../src/broker.js';
import type { TestBroker } from '../../helpers/broker.js';
import { startBroker } from '../../helpers/broker.js';

/** A broker with its admin server. */
export interface AdminFixture extends TestBroker {
  admin: AdminServer;
}

/** Starts a broker (port 0, $SYS off) and its admin listener (port 0). */
export async function startWithAdmin(
  admin: AdminOptions = {},
  options: BrokerOptions = {},
): Promise<AdminFixture> {
  const b = await startBroker(options);
  try {
    return { ...b, admin: await startAdmin(b.broker, { port: 0, ...admin }) };
  } catch (err) {
    await b.close();
    throw err;
  }
}

/** An answer: status, headers and the body as text and (when JSON) parsed. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  json: any;
}

/** Options of {@link call}. */
export interface CallOptions {
  method?: string;
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  /** CA to trust for HTTPS. */
  ca?: string | Buffer;
}

/** One request, bounded to 5 s. */
export function call(base: string, path: string, o: CallOptions = {}): Promise<Answer> {
  const url = new URL(path, base);
  const headers: Record<string, string> = { ...o.headers };
  let payload: Buffer | undefined;
  if (o.body !== undefined) {
    payload = Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body));
    headers['content-type'] ??= 'application/json';
  }
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: o.method ?? 'GET',
        headers,
        timeout: 5000,
        ...(o.ca === undefined ? {} : { ca: o.ca }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer within 5 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}
