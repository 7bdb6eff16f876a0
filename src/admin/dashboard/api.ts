// The page's one door to the admin API (/api/v1) and /metrics. Credentials travel only in the
// Authorization header (the API takes none from cookies); the page keeps them in sessionStorage,
// so they last as long as the tab.

const CREDENTIALS_KEY = 'petrel.authorization';

/** An API answer other than 2xx: the status and the JSON error's message (naming the field). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Sets (or with undefined, forgets) the Authorization header value sent with every request. */
export function setAuthorization(value: string | undefined): void {
  if (value === undefined) sessionStorage.removeItem(CREDENTIALS_KEY);
  else sessionStorage.setItem(CREDENTIALS_KEY, value);
}

/** Whether a credential is set (a 401 then means it was refused). */
export function hasAuthorization(): boolean {
  return sessionStorage.getItem(CREDENTIALS_KEY) !== null;
}

/** Called when the API answers 401, so that the page can ask for credentials. */
let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const auth = sessionStorage.getItem(CREDENTIALS_KEY);
  if (auth !== null) headers.authorization = auth;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'omit',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.ok) return res;
  if (res.status === 401) onUnauthorized();
  let message = `${method} ${path}: HTTP ${res.status}`;
  try {
    const err = (await res.json()) as { message?: unknown; error?: unknown };
    const text = typeof err.message === 'string' ? err.message : err.error;
    if (typeof text === 'string') message = `${message}: ${text}`;
  } catch {
    // Not JSON: the status line says enough.
  }
  throw new ApiError(res.status, message);
}

/** Calls `/api/v1<path>` and returns its JSON answer (undefined for 204 No Content). */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await request(method, `/api/v1${path}`, body);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** The Prometheus text exposition from /metrics. */
export async function metricsText(): Promise<string> {
  const res = await request('GET', '/metrics');
  return res.text();
}

/** A path segment (client id, topic, user name) escaped for a URL. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
