// SCRAM-SHA-256 (RFC 5802 / RFC 7677) over MQTT v5 enhanced authentication (AUTH packets).

import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EnhancedAuthRequest, EnhancedAuthResult } from '../broker/hooks.js';

/** The MQTT Authentication Method name of this mechanism. */
export const SCRAM_SHA_256 = 'SCRAM-SHA-256';

const BAD_USER_OR_PASSWORD = 0x86;
const BAD_AUTH_METHOD = 0x8c;

/** What the server stores per user: never the password itself. */
export interface ScramCredentials {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/** Options of {@link createScramAuth}. */
export interface ScramAuthOptions {
  /** Returns the stored credentials of a user, or undefined when the user does not exist. */
  lookup(username: string): ScramCredentials | undefined;
  /** How long a started exchange waits for the client-final message (default 30 s). */
  timeoutMs?: number;
  /** At most this many exchanges in flight; older ones are dropped (default 10000). */
  maxPending?: number;
}

interface Pending {
  readonly expires: number;
  readonly clientFirstBare: string;
  readonly serverFirst: string;
  readonly credentials: ScramCredentials;
  readonly known: boolean;
}

function hmac(key: Buffer, data: string | Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

function saltedPassword(password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
}

/** Parses `k=v,k=v` attributes; the value keeps any '=' it contains. */
function attributes(parts: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of parts) {
    if (part.length < 2 || part[1] !== '=') continue;
    map.set(part[0] as string, part.slice(2));
  }
  return map;
}

function escapeName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function unescapeName(name: string): string | undefined {
  if (/=(?!2C|3D)/.test(name)) return undefined;
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

function nonce(): string {
  return randomBytes(18).toString('base64');
}

/**
 * Derives the record to store for a user from a password.
 * @param password - The user's password.
 * @param salt - Defaults to 16 random bytes.
 * @param iterations - PBKDF2 iterations (RFC 7677 asks for at least 4096).
 */
export function scramCredentials(
  password: string,
  salt: Buffer = randomBytes(16),
  iterations = 4096,
): ScramCredentials {
  const salted = saltedPassword(password, salt, iterations);
  return {
    salt,
    iterations,
    storedKey: sha256(hmac(salted, 'Client Key')),
    serverKey: hmac(salted, 'Server Key'),
  };
}

/**
 * Creates a broker `enhancedAuth` hook for SCRAM-SHA-256: the client-first message comes in
 * CONNECT's Authentication Data, the server-first goes back in AUTH 0x18, the client-final comes
 * in AUTH, and the server-final rides in CONNACK (or AUTH 0x00 on re-authentication).
 * Unknown users get a fabricated, stable salt and fail exactly like a wrong password.
 */
export function createScramAuth(
  options: ScramAuthOptions,
): (request: EnhancedAuthRequest) => EnhancedAuthResult {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxPending = options.maxPending ?? 10_000;
  // Keyed by the combined nonce, which the client echoes in its final message.
  const pending = new Map<string, Pending>();
  const fakeSecret = randomBytes(32);
  const fakeKeys = { storedKey: randomBytes(32), serverKey: randomBytes(32) };
  const fail: EnhancedAuthResult = { outcome: 'fail', reasonCode: BAD_USER_OR_PASSWORD };

  function prune(now: number): void {
    for (const [key, p] of pending) {
      if (p.expires > now && pending.size < maxPending) break;
      pending.delete(key);
    }
  }

  function first(data: string): EnhancedAuthResult {
    // No channel binding over MQTT: only 'n' or 'y' gs2 flags, no authzid.
    const m = /^[ny],,(.*)$/.exec(data);
    if (m === null) return fail;
    const clientFirstBare = m[1] as string;
    const attrs = attributes(clientFirstBare.split(','));
    const rawName = attrs.get('n');
    const clientNonce = attrs.get('r');
    if (rawName === undefined || clientNonce === undefined || clientNonce === '') return fail;
    const username = unescapeName(rawName);
    if (username === undefined) return fail;
    const stored = options.lookup(username);
    const credentials: ScramCredentials = stored ?? {
      salt: hmac(fakeSecret, username).subarray(0, 16),
      iterations: 4096,
      ...fakeKeys,
    };
    const combined = clientNonce + nonce();
    const serverFirst = `r=${combined},s=${credentials.salt.toString('base64')},i=${credentials.iterations}`;
    const now = Date.now();
    prune(now);
    pending.set(combined, {
      expires: now + timeoutMs,
      clientFirstBare,
      serverFirst,
      credentials,
      known: stored !== undefined,
    });
    return { outcome: 'continue', data: Buffer.from(serverFirst) };
  }

  function final(data: string): EnhancedAuthResult {
    const idx = data.lastIndexOf(',p=');
    if (idx < 0) return fail;
    const withoutProof = data.slice(0, idx);
    const attrs = attributes(withoutProof.split(','));
    const combined = attrs.get('r');
    if (combined === undefined) return fail;
    const state = pending.get(combined);
    if (state === undefined) return fail;
    pending.delete(combined);
    if (state.expires <= Date.now() || attrs.get('c') !== 'biws') return fail;
    const proof = Buffer.from(data.slice(idx + 3), 'base64');
    const { storedKey, serverKey } = state.credentials;
    if (proof.length !== storedKey.length) return fail;
    const authMessage = `${state.clientFirstBare},${state.serverFirst},${withoutProof}`;
    const clientKey = xor(proof, hmac(storedKey, authMessage));
    const matches = timingSafeEqual(sha256(clientKey), storedKey);
    if (!matches || !state.known) return fail;
    const signature = hmac(serverKey, authMessage).toString('base64');
    return { outcome: 'success', data: Buffer.from(`v=${signature}`) };
  }

  return (request) => {
    if (request.method !== SCRAM_SHA_256) {
      return { outcome: 'fail', reasonCode: BAD_AUTH_METHOD };
    }
    if (request.data === undefined) return fail;
    const text = request.data.toString('utf8');
    // Steps keep counting across re-authentications, so the message itself tells which it is.
    return text.startsWith('c=') ? final(text) : first(text);
  };
}

/** Client side of one SCRAM-SHA-256 exchange. */
export interface ScramClient {
  /** The client-first message (CONNECT Authentication Data). */
  first(): Buffer;
  /** Answers the server-first message with the client-final message. */
  final(serverFirst: Buffer): Buffer;
  /** True when the server-final message proves the server knows the credentials. */
  verify(serverFinal: Buffer): boolean;
}

/**
 * Creates the client side of a SCRAM-SHA-256 exchange, e.g. for Petrel's client `onAuth` hook.
 * @param username - The SCRAM user name.
 * @param password - The password.
 */
export function scramClient(username: string, password: string): ScramClient {
  const clientNonce = nonce();
  const clientFirstBare = `n=${escapeName(username)},r=${clientNonce}`;
  let expectedSignature: Buffer | undefined;
  return {
    first: () => Buffer.from(`n,,${clientFirstBare}`),
    final(serverFirstBuf) {
      const serverFirst = serverFirstBuf.toString('utf8');
      const attrs = attributes(serverFirst.split(','));
      const combined = attrs.get('r');
      const salt = attrs.get('s');
      const iterations = Number(attrs.get('i'));
      if (
        combined === undefined ||
        !combined.startsWith(clientNonce) ||
        salt === undefined ||
        !Number.isInteger(iterations) ||
        iterations < 1
      ) {
        throw new Error('invalid SCRAM server-first message');
      }
      const salted = saltedPassword(password, Buffer.from(salt, 'base64'), iterations);
      const clientKey = hmac(salted, 'Client Key');
      const withoutProof = `c=biws,r=${combined}`;
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const proof = xor(clientKey, hmac(sha256(clientKey), authMessage));
      expectedSignature = hmac(hmac(salted, 'Server Key'), authMessage);
      return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
    },
    verify(serverFinal) {
      const m = /^v=(.+)$/.exec(serverFinal.toString('utf8'));
      if (m === null || expectedSignature === undefined) return false;
      const got = Buffer.from(m[1] as string, 'base64');
      return got.length === expectedSignature.length && timingSafeEqual(got, expectedSignature);
    },
  };
}
