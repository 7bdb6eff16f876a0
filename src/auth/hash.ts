// Password hash formats: Petrel's own scrypt hashes in a PHC-style string, plus the two formats
// Mosquitto's `mosquitto_passwd` writes ($6$ and $7$) so that existing files keep working.
import { createHash, pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost parameters as carried in the hash string: N = 2^ln, block size r, parallelism p. */
export interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

/** A parsed password hash. */
export type PasswordHash =
  | { scheme: 'scrypt'; params: ScryptParams; salt: Buffer; hash: Buffer }
  /** Mosquitto `$6$`: SHA-512 over password then salt. */
  | { scheme: 'sha512'; salt: Buffer; hash: Buffer }
  /** Mosquitto `$7$`: PBKDF2-HMAC-SHA512 with the given iteration count. */
  | { scheme: 'pbkdf2-sha512'; iterations: number; salt: Buffer; hash: Buffer };

/**
 * Derives a scrypt key. Injectable so tests can observe that every verification path (including
 * the dummy one for unknown users) does the same work, without measuring time.
 */
export type ScryptFunction = (
  password: Buffer,
  salt: Buffer,
  keylen: number,
  params: ScryptParams,
) => Promise<Buffer>;

/** Default cost: N = 2^15, r = 8, p = 1 (32 MiB, tens of milliseconds per verification). */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ ln: 15, r: 8, p: 1 });

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Mosquitto stores 64-byte SHA-512 outputs; anything else is a corrupt line. */
const MOSQUITTO_HASH_BYTES = 64;
/** Keeps a hostile or mistyped hash line from asking for gigabytes of memory at verify time. */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

function scryptMemory(params: ScryptParams): number {
  return 128 * 2 ** params.ln * params.r;
}

/** The node:crypto scrypt, async so the event loop keeps running while it works. */
export const nodeScrypt: ScryptFunction = (password, salt, keylen, params) =>
  new Promise((resolve, reject) => {
    const options = {
      N: 2 ** params.ln,
      r: params.r,
      p: params.p,
      maxmem: scryptMemory(params) + 16 * 1024 * 1024,
    };
    scrypt(password, salt, keylen, options, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });

function pbkdf2Async(password: Buffer, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, MOSQUITTO_HASH_BYTES, 'sha512', (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/** Validates scrypt parameters; returns a reason or undefined. */
export function checkScryptParams(params: ScryptParams): string | undefined {
  const { ln, r, p } = params;
  if (!Number.isInteger(ln) || ln < 1 || ln > 30) return 'scrypt ln must be an integer 1..30';
  if (!Number.isInteger(r) || r < 1 || r > 64) return 'scrypt r must be an integer 1..64';
  if (!Number.isInteger(p) || p < 1 || p > 16) return 'scrypt p must be an integer 1..16';
  if (scryptMemory(params) > MAX_SCRYPT_MEMORY) return 'scrypt parameters need more than 256 MiB';
  return undefined;
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeB64(text: string, what: string): Buffer {
  if (!B64.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new Error(`${what} is not valid base64`);
  }
  return Buffer.from(text, 'base64');
}

/** PHC strings use unpadded standard base64. */
function encodeB64(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '');
}

const SCRYPT_PARAMS = /^ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,2})$/;

/**
 * Parses a hash string (`$scrypt$ln=..,r=..,p=..$salt$hash`, `$6$salt$hash` or
 * `$7$iterations$salt$hash`). Throws an Error whose message is the reason; callers add the line.
 */
export function parseHash(text: string): PasswordHash {
  const parts = text.split('$');
  // A leading '$' yields an empty first part.
  if (parts.length < 4 || parts[0] !== '') throw new Error('not a recognised password hash');
  const scheme = parts[1];
  if (scheme === 'scrypt') {
    if (parts.length !== 5) throw new Error('scrypt hash must be $scrypt$params$salt$hash');
    const m = SCRYPT_PARAMS.exec(parts[2] ?? '');
    if (m === null) throw new Error('scrypt parameters must read ln=N,r=N,p=N');
    const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
    const bad = checkScryptParams(params);
    if (bad !== undefined) throw new Error(bad);
    const salt = decodeB64(parts[3] ?? '', 'salt');
    const hash = decodeB64(parts[4] ?? '', 'hash');
    if (salt.length < 8 || salt.length > 64) throw new Error('salt must be 8..64 bytes');
    if (hash.length < 16 || hash.length > 64) throw new Error('hash must be 16..64 bytes');
    return { scheme: 'scrypt', params, salt, hash };
  }
  if (scheme === '6') {
    if (parts.length !== 4) throw new Error('$6$ hash must be $6$salt$hash');
    const salt = decodeB64(parts[2] ?? '', 'salt');
    const hash = decodeB64(parts[3] ?? '', 'hash');
    checkMosquitto(salt, hash);
    return { scheme: 'sha512', salt, hash };
  }
  if (scheme === '7') {
    if (parts.length !== 5) throw new Error('$7$ hash must be $7$iterations$salt$hash');
    const it = parts[2] ?? '';
    if (!/^\d{1,10}$/.test(it) || Number(it) < 1 || Number(it) > 0x7fffffff) {
      throw new Error('$7$ iteration count must be a positive integer');
    }
    const salt = decodeB64(parts[3] ?? '', 'salt');
    const hash = decodeB64(parts[4] ?? '', 'hash');
    checkMosquitto(salt, hash);
    return { scheme: 'pbkdf2-sha512', iterations: Number(it), salt, hash };
  }
  throw new Error(`unknown password hash scheme '$${scheme ?? ''}$'`);
}

function checkMosquitto(salt: Buffer, hash: Buffer): void {
  if (salt.length === 0) throw new Error('salt is empty');
  if (hash.length !== MOSQUITTO_HASH_BYTES) throw new Error('hash must be 64 bytes');
}

/** Formats an scrypt hash as `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`. */
export function formatScryptHash(params: ScryptParams, salt: Buffer, hash: Buffer): string {
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${encodeB64(salt)}$${encodeB64(hash)}`;
}

/** Options for {@link hashPassword}. */
export interface HashOptions {
  /** Cost parameters; default {@link DEFAULT_SCRYPT_PARAMS}. */
  params?: ScryptParams;
  /** scrypt implementation; default node:crypto's. */
  scrypt?: ScryptFunction;
}

/** Hashes a password with scrypt and a fresh random salt, returning the PHC-style string. */
export async function hashPassword(
  password: string | Buffer,
  options: HashOptions = {},
): Promise<string> {
  const params = options.params ?? DEFAULT_SCRYPT_PARAMS;
  const bad = checkScryptParams(params);
  if (bad !== undefined) throw new RangeError(bad);
  const salt = randomBytes(SALT_BYTES);
  const derive = options.scrypt ?? nodeScrypt;
  const hash = await derive(toBuffer(password), salt, KEY_BYTES, params);
  return formatScryptHash(params, salt, hash);
}

/** Verifies a password against a parsed hash; the final comparison runs in constant time. */
export async function verifyHash(
  stored: PasswordHash,
  password: Buffer,
  derive: ScryptFunction = nodeScrypt,
): Promise<boolean> {
  let candidate: Buffer;
  switch (stored.scheme) {
    case 'scrypt':
      candidate = await derive(password, stored.salt, stored.hash.length, stored.params);
      break;
    case 'sha512':
      candidate = createHash('sha512').update(password).update(stored.salt).digest();
      break;
    case 'pbkdf2-sha512':
      candidate = await pbkdf2Async(password, stored.salt, stored.iterations);
      break;
  }
  return candidate.length === stored.hash.length && timingSafeEqual(candidate, stored.hash);
}

/**
 * A hash that no password matches, for dummy verifications. Give it the cost parameters of the
 * real hashes so an unknown user costs as much as a wrong password.
 */
export function dummyHash(params: ScryptParams = DEFAULT_SCRYPT_PARAMS): PasswordHash {
  return {
    scheme: 'scrypt',
    params: { ...params },
    salt: randomBytes(SALT_BYTES),
    hash: randomBytes(KEY_BYTES),
  };
}

/** UTF-8 bytes of a string; a Buffer as is. */
export function toBuffer(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}
